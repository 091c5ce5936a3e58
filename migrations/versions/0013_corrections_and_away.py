"""corrections: a member away until a date; small corrections waiting for their confirmation

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kla_bot.models

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("away_until", sa.Date(), nullable=True))
    op.create_table(
        "pending_corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("regency_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", kla_bot.models.UTCDateTime(), nullable=False),
        sa.Column("decided_at", kla_bot.models.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"],
                                name=op.f("fk_pending_corrections_member_id_members"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["regency_id"], ["regencies.id"],
                                name=op.f("fk_pending_corrections_regency_id_regencies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_corrections")),
    )


def downgrade() -> None:
    op.drop_table("pending_corrections")
    with op.batch_alter_table("members") as batch:
        batch.drop_column("away_until")
