"""message ids of any channel: message_tasks replaces sent_message_tasks; pending_reasons
keep the channel and its chat and message ids as text (WhatsApp's are not numbers)

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kla_bot.models

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "message_tasks",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("chat", sa.String(length=128), nullable=False),
        sa.Column("message", sa.String(length=160), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("created_at", kla_bot.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"],
                                name=op.f("fk_message_tasks_task_id_tasks"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("channel", "chat", "message", "task_id",
                                name=op.f("pk_message_tasks")),
    )
    op.execute(
        "INSERT INTO message_tasks (channel, chat, message, task_id, created_at) "
        "SELECT 'telegram', CAST(chat_id AS VARCHAR(128)), CAST(message_id AS VARCHAR(160)), "
        "task_id, created_at FROM sent_message_tasks")
    op.drop_table("sent_message_tasks")
    # A reason owed is minutes old at most: the coordinator presses Tolak again.
    op.drop_table("pending_reasons")
    op.create_table(
        "pending_reasons",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("chat", sa.String(length=128), nullable=False),
        sa.Column("card_message", sa.String(length=160), nullable=True),
        sa.Column("prompt_message", sa.String(length=160), nullable=True),
        sa.Column("created_at", kla_bot.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["evidence_id"], ["evidence.id"],
                                name=op.f("fk_pending_reasons_evidence_id_evidence"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"],
                                name=op.f("fk_pending_reasons_member_id_members"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_pending_reasons")),
    )


def downgrade() -> None:
    op.drop_table("pending_reasons")
    op.create_table(
        "pending_reasons",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("card_message_id", sa.BigInteger(), nullable=True),
        sa.Column("prompt_message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", kla_bot.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["evidence_id"], ["evidence.id"],
                                name=op.f("fk_pending_reasons_evidence_id_evidence"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"],
                                name=op.f("fk_pending_reasons_member_id_members"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_pending_reasons")),
    )
    op.create_table(
        "sent_message_tasks",
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("created_at", kla_bot.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"],
                                name=op.f("fk_sent_message_tasks_task_id_tasks"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("chat_id", "message_id", "task_id",
                                name=op.f("pk_sent_message_tasks")),
    )
    op.execute(
        "INSERT INTO sent_message_tasks (chat_id, message_id, task_id, created_at) "
        "SELECT CAST(chat AS BIGINT), CAST(message AS BIGINT), task_id, created_at "
        "FROM message_tasks WHERE channel = 'telegram'")
    op.drop_table("message_tasks")
