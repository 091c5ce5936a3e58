"""Which channel reaches a member, and when WhatsApp lets the bot write freely.

A member's Telegram account lives in the ``members`` columns; other channels' addresses in
``member_addresses`` (one per channel). Moving Telegram there too is a later step.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from kla_bot.domain import Channel
from kla_bot.models import Member, MemberAddress

WHATSAPP: Channel = "whatsapp"

# WhatsApp's customer-service window: free-form messages only this long after the member's
# last message to the bot; after it, only approved (billed) templates.
WHATSAPP_WINDOW = timedelta(hours=24)


def within_window(address: MemberAddress | None, now: datetime) -> bool:
    """True while a free-form WhatsApp message may still go to ``address``. At exactly 24 h
    the window counts as closed: a template is the safe side."""
    last = address.last_inbound_at if address is not None else None
    return last is not None and now - last < WHATSAPP_WINDOW


def preferred_channel(member: Member, addresses: Iterable[MemberAddress]) -> Channel:
    """The channel the member used last. The members table keeps no Telegram inbound time yet,
    so Telegram counts as used at ``registered_at`` (when it is linked); a tie goes to
    Telegram, the channel every member had first. No address at all: Telegram."""
    whatsapp = max((a.last_inbound_at for a in addresses
                    if a.channel == WHATSAPP and a.last_inbound_at is not None), default=None)
    if whatsapp is None:
        return "telegram"
    telegram = member.registered_at if member.telegram_user_id is not None else None
    return "telegram" if telegram is not None and telegram >= whatsapp else WHATSAPP
