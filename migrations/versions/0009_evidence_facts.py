"""evidence.facts and the period a task must cover

What the file itself says (type, pages, the date it was made, image quality) is read once at
intake and kept on the evidence; a task may carry the period its evidence must cover (none:
the calendar year before the verification date).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evidence") as batch_op:
        batch_op.add_column(sa.Column("facts", sa.JSON(), nullable=True))
    with op.batch_alter_table("tasks") as batch_op:
        batch_op.add_column(sa.Column("period_start", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("period_end", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch_op:
        batch_op.drop_column("period_end")
        batch_op.drop_column("period_start")
    with op.batch_alter_table("evidence") as batch_op:
        batch_op.drop_column("facts")
