"""task_force_groups, group_notices: the linked task-force group, who was told to register

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kla_bot.models

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "task_force_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("regency_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("chat", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("linked_by_id", sa.Integer(), nullable=True),
        sa.Column("linked_at", kla_bot.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["regency_id"], ["regencies.id"],
                                name=op.f("fk_task_force_groups_regency_id_regencies")),
        sa.ForeignKeyConstraint(["linked_by_id"], ["members.id"], ondelete="SET NULL",
                                name=op.f("fk_task_force_groups_linked_by_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_force_groups")),
        sa.UniqueConstraint("regency_id", name=op.f("uq_task_force_groups_regency_id")),
        sa.UniqueConstraint("chat", name=op.f("uq_task_force_groups_chat")),
    )
    op.create_table(
        "group_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("chat", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("told_at", kla_bot.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_notices")),
        sa.UniqueConstraint("channel", "chat", "address",
                            name=op.f("uq_group_notices_channel_chat_address")),
    )


def downgrade() -> None:
    op.drop_table("group_notices")
    op.drop_table("task_force_groups")
