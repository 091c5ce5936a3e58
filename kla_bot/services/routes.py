"""Who can be messaged, and on which channel a message goes: the one rule, in one place.

A member can be messaged when their Telegram chat is reachable (``members.chat_id`` set and
``members.reachable``) or their WhatsApp address is (``member_addresses.reachable``). Which
channel a message takes is decided when it is SENT, not when it is queued: the channel the
member used last (:func:`kla_bot.services.addresses.preferred_channel`), among the reachable
ones the running bot serves. Services queue messages for a member (``recipient_id``); the
sender asks :func:`routes_for` just before sending.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from kla_bot.domain import Channel
from kla_bot.models import Member, MemberAddress
from kla_bot.services.addresses import WHATSAPP, preferred_channel, within_window

TELEGRAM: Channel = "telegram"

# SQL: the member's Telegram chat takes messages.
TELEGRAM_REACHABLE = and_(Member.reachable.is_(True), Member.chat_id.is_not(None))
# SQL: the member's WhatsApp address takes messages.
WHATSAPP_REACHABLE = exists(select(MemberAddress.id).where(
    MemberAddress.member_id == Member.id, MemberAddress.channel == WHATSAPP,
    MemberAddress.reachable.is_(True)))
# SQL, on ``Member``: the bot can write to this member on some channel.
REACHABLE: ColumnElement[bool] = or_(TELEGRAM_REACHABLE, WHATSAPP_REACHABLE)
# SQL, on ``Member``: the member has an address at all (reachable or not: a message queued for
# them waits while they are unreachable and goes when they write again).
ADDRESSED: ColumnElement[bool] = or_(Member.chat_id.is_not(None), exists(
    select(MemberAddress.id).where(MemberAddress.member_id == Member.id,
                                   MemberAddress.channel == WHATSAPP)))


def unreachable_members() -> ColumnElement[int]:
    """A subquery of the ids of members no channel reaches (their messages are held)."""
    return select(Member.id).where(~REACHABLE).scalar_subquery()


async def can_message(session: AsyncSession, member_id: int) -> bool:
    """Whether some channel reaches this member now."""
    return bool(await session.scalar(select(Member.id).where(Member.id == member_id,
                                                             REACHABLE)))


async def has_address(session: AsyncSession, member_id: int) -> bool:
    """Whether the member has any channel at all, reachable or not."""
    return bool(await session.scalar(select(Member.id).where(Member.id == member_id,
                                                             ADDRESSED)))


@dataclass(frozen=True)
class Route:
    """Where one message goes: the channel, the chat or address on it (text), and — on
    WhatsApp — whether the 24-hour window is open and when it was opened (the member's last
    message; a send refused as outside the window is remembered against it). ``edit``: the
    row replaces this earlier message in place (:meth:`OutboxPayload.edits`)."""

    channel: Channel
    chat: str
    window_open: bool = True
    last_inbound_at: datetime | None = None
    edit: str | None = None  # a message of the bot's there to edit instead (the day's post)


def choose(member: Member, address: MemberAddress | None, *, now: datetime,
           channels: Collection[Channel]) -> Route | None:
    """The route for one member among ``channels`` (those the running bot serves): the
    channel they used last when both reach them, else the one that does; None: none does."""
    telegram = (TELEGRAM in channels and member.reachable and member.chat_id is not None)
    whatsapp = (WHATSAPP in channels and address is not None and address.reachable)
    if telegram and whatsapp:
        assert address is not None
        channel = preferred_channel(member, [address])
    elif telegram or whatsapp:
        channel = TELEGRAM if telegram else WHATSAPP
    else:
        return None
    if channel == TELEGRAM:
        return Route(TELEGRAM, str(member.chat_id))
    assert address is not None
    return Route(WHATSAPP, address.address, within_window(address, now),
                 address.last_inbound_at)


async def routes_for(session: AsyncSession, member_ids: Iterable[int], *, now: datetime,
                     channels: Collection[Channel]) -> dict[int, Route]:
    """Each member's route now (members no served channel reaches are left out)."""
    ids = sorted(set(member_ids))
    if not ids:
        return {}
    rows = await session.execute(
        select(Member, MemberAddress)
        .outerjoin(MemberAddress, and_(MemberAddress.member_id == Member.id,
                                       MemberAddress.channel == WHATSAPP))
        .where(Member.id.in_(ids)))
    found: dict[int, Route] = {}
    for member, address in rows:
        route = choose(member, address, now=now, channels=channels)
        if route is not None:
            found[member.id] = route
    return found
