"""regencies: province, regional holidays and the configuration last applied

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("regencies") as batch:
        batch.add_column(sa.Column("province", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("holidays", sa.JSON(), nullable=False,
                                   server_default=sa.text("'[]'")))
        batch.add_column(sa.Column("config_applied", sa.JSON(), nullable=True))
        batch.create_index(batch.f("ix_regencies_province"), ["province"])


def downgrade() -> None:
    with op.batch_alter_table("regencies") as batch:
        batch.drop_index(batch.f("ix_regencies_province"))
        batch.drop_column("config_applied")
        batch.drop_column("holidays")
        batch.drop_column("province")
