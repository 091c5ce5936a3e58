"""inbound_messages: one durable webhook inbox for every channel (WhatsApp's, Telegram's),
with the worker holding each message; whatsapp_inbox moves into it

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kla_bot.models

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=160), nullable=False),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column("received_at", kla_bot.models.UTCDateTime(), nullable=False),
        sa.Column("holder", sa.BigInteger(), nullable=True),
        sa.Column("handled_at", kla_bot.models.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_messages")),
        sa.UniqueConstraint("channel", "external_id",
                            name=op.f("uq_inbound_messages_channel_external_id")),
    )
    op.create_index(op.f("ix_inbound_messages_handled_at"), "inbound_messages", ["handled_at"])
    op.execute("INSERT INTO inbound_messages (channel, external_id, raw, received_at, "
               "handled_at) SELECT 'whatsapp', message_id, raw, received_at, handled_at "
               "FROM whatsapp_inbox ORDER BY id")
    op.drop_index(op.f("ix_whatsapp_inbox_handled_at"), table_name="whatsapp_inbox")
    op.drop_table("whatsapp_inbox")


def downgrade() -> None:
    op.create_table(
        "whatsapp_inbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=160), nullable=False),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column("received_at", kla_bot.models.UTCDateTime(), nullable=False),
        sa.Column("handled_at", kla_bot.models.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_whatsapp_inbox")),
        sa.UniqueConstraint("message_id", name=op.f("uq_whatsapp_inbox_message_id")),
    )
    op.create_index(op.f("ix_whatsapp_inbox_handled_at"), "whatsapp_inbox", ["handled_at"])
    op.execute("INSERT INTO whatsapp_inbox (message_id, raw, received_at, handled_at) "
               "SELECT external_id, raw, received_at, handled_at FROM inbound_messages "
               "WHERE channel = 'whatsapp' ORDER BY id")
    op.drop_index(op.f("ix_inbound_messages_handled_at"), table_name="inbound_messages")
    op.drop_table("inbound_messages")
