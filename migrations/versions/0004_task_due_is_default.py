"""tasks.due_is_default: a due date the import derived from the verification date

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 06:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch_op:
        batch_op.add_column(sa.Column("due_is_default", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    # Tasks imported before this revision whose due date is exactly two days before their
    # cycle's verification date were almost surely given the default: let them follow it.
    op.execute(
        "UPDATE tasks SET due_is_default = true WHERE due_date = ("
        "SELECT c.verification_date - 2 FROM cycles c WHERE c.id = tasks.cycle_id)"
        if op.get_bind().dialect.name == "postgresql" else
        "UPDATE tasks SET due_is_default = 1 WHERE due_date = ("
        "SELECT date(c.verification_date, '-2 days') FROM cycles c WHERE c.id = tasks.cycle_id)")


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch_op:
        batch_op.drop_column("due_is_default")
