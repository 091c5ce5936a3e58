"""whatsapp_inbox: WhatsApp messages kept before the webhook is acknowledged, handled once

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kla_bot.models

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
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


def downgrade() -> None:
    op.drop_index(op.f("ix_whatsapp_inbox_handled_at"), table_name="whatsapp_inbox")
    op.drop_table("whatsapp_inbox")
