"""pending_imports: spreadsheets the secretariat sent in chat, previewed, awaiting apply

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kla_bot.models

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("regency_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("storage_key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("missing", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", kla_bot.models.UTCDateTime(), nullable=False),
        sa.Column("decided_at", kla_bot.models.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"],
                                name=op.f("fk_pending_imports_member_id_members"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["regency_id"], ["regencies.id"],
                                name=op.f("fk_pending_imports_regency_id_regencies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_imports")),
    )
    op.create_index(op.f("ix_pending_imports_regency_id"), "pending_imports", ["regency_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_pending_imports_regency_id"), table_name="pending_imports")
    op.drop_table("pending_imports")
