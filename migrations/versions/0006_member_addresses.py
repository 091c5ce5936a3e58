"""member_addresses: a member's address per channel (WhatsApp), reachability, last inbound time

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kla_bot.models

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "member_addresses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=128), nullable=False),
        sa.Column("has_phone", sa.Boolean(), nullable=False),
        sa.Column("reachable", sa.Boolean(), nullable=False),
        sa.Column("unreachable_since", kla_bot.models.UTCDateTime(), nullable=True),
        sa.Column("last_inbound_at", kla_bot.models.UTCDateTime(), nullable=True),
        sa.Column("created_at", kla_bot.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"],
                                name=op.f("fk_member_addresses_member_id_members"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_addresses")),
        sa.UniqueConstraint("channel", "address",
                            name=op.f("uq_member_addresses_channel_address")),
        sa.UniqueConstraint("member_id", "channel",
                            name=op.f("uq_member_addresses_member_id_channel")),
    )


def downgrade() -> None:
    op.drop_table("member_addresses")
