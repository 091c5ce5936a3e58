"""outbox rows record the route they took (channel, chat, message ids as text) and the
WhatsApp template they went as; chat_id is optional (a member's route is chosen at send time)

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("channel", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("chat", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("message_ids", sa.Text(), nullable=True))
        batch.add_column(sa.Column("template", sa.String(length=512), nullable=True))
        batch.alter_column("chat_id", existing_type=sa.BigInteger(), nullable=True)
    # Rows sent before: Telegram, by the chat they were queued for.
    op.execute(
        "UPDATE outbox SET channel = 'telegram', chat = CAST(chat_id AS VARCHAR(128)), "
        "message_ids = CAST(telegram_message_id AS VARCHAR(160)) "
        "WHERE telegram_message_id IS NOT NULL")


def downgrade() -> None:
    op.execute("DELETE FROM outbox WHERE chat_id IS NULL")
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("chat_id", existing_type=sa.BigInteger(), nullable=False)
        batch.drop_column("template")
        batch.drop_column("message_ids")
        batch.drop_column("chat")
        batch.drop_column("channel")
