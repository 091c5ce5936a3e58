"""Who wrote on WhatsApp: a known address, a member registering by their first message (the
imported phone matches the sender's number), or someone who must redeem an invite code because
WhatsApp gave only a business-scoped user id. Plain Python; nothing is sent from here.

Refusals are reason keys in ``Identified.reason`` (the caller words them), and change nothing:
``unknown_number`` (no member has this phone), ``needs_invite`` (no phone number: ask for a
code), ``bad_invite``, ``address_in_use`` (this WhatsApp account is another member's, or
another regency's), ``linked_elsewhere`` (this member already has another WhatsApp account).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot.models import Member, MemberAddress
from kla_bot.phones import try_normalize_sent_phone
from kla_bot.services import audit, members, registration
from kla_bot.services.access import AccessDenied
from kla_bot.services.addresses import WHATSAPP
from kla_bot.services.audit import Actor
from kla_bot.services.workspace import Workspace


@dataclass(frozen=True)
class Identified:
    """The member behind a WhatsApp sender, or None and why not."""

    member: Member | None
    reason: str | None = None
    registered: bool = False  # this message linked the address just now


async def identify(session: AsyncSession, workspace: Workspace, *, wa_id: str | None,
                   user_id: str | None, now: datetime) -> Identified:
    """The member who sent a WhatsApp message; registers them when the sender's number is an
    imported member's phone. Every known sender's last inbound time is updated."""
    address = await _known(session, wa_id, user_id)
    if address is not None:
        return await _inbound(session, workspace, address, now)
    if not wa_id:
        return Identified(None, "needs_invite")
    phone = try_normalize_sent_phone(wa_id) if wa_id.isdigit() else None
    member = await members.by_phone(session, workspace, phone) if phone else None
    if member is None:
        return Identified(None, "unknown_number")
    return await _link(session, workspace, member, wa_id, has_phone=True, now=now, via="phone")


async def redeem_invite(session: AsyncSession, workspace: Workspace, *, code: str,
                        wa_id: str | None, user_id: str | None, now: datetime) -> Identified:
    """Link the sender to the member a one-time invite code was made for, using the code up.
    Sending the used code again from the same account is harmless."""
    sent = wa_id or user_id
    if not sent:
        return Identified(None, "needs_invite")
    try:
        invite, member = await registration.find_invite(session, workspace, code)
    except AccessDenied:
        return Identified(None, "bad_invite")
    address = await _known(session, wa_id, user_id)
    if address is not None and address.member_id == member.id:
        return await _inbound(session, workspace, address, now)
    if address is not None:
        return Identified(None, "address_in_use")
    if invite.used_at is not None:
        return Identified(None, "bad_invite")
    if await _address_of(session, member.id) is not None:
        return Identified(None, "linked_elsewhere")
    try:
        await registration.use_invite(session, invite, now=now)
    except AccessDenied:
        return Identified(None, "bad_invite")
    return await _link(session, workspace, member, sent, has_phone=bool(wa_id), now=now,
                       via="invite")


async def _known(session: AsyncSession, wa_id: str | None,
                 user_id: str | None) -> MemberAddress | None:
    candidates = [a for a in (wa_id, user_id) if a]
    if not candidates:
        return None
    return await session.scalar(select(MemberAddress).where(
        MemberAddress.channel == WHATSAPP, MemberAddress.address.in_(candidates)).limit(1))


async def _address_of(session: AsyncSession, member_id: int) -> MemberAddress | None:
    return await session.scalar(select(MemberAddress).where(
        MemberAddress.member_id == member_id, MemberAddress.channel == WHATSAPP))


async def _inbound(session: AsyncSession, workspace: Workspace, address: MemberAddress,
                   now: datetime) -> Identified:
    member = await session.get(Member, address.member_id)
    if member is None or member.regency_id != workspace.regency_id:
        return Identified(None, "address_in_use")
    address.last_inbound_at = now
    if not address.reachable:
        # Their message proves WhatsApp delivers to them again.
        address.reachable = True
        address.unreachable_since = None
        await audit.record(session, at=now, actor=Actor.member(member),
                           action="member.reachable_again", subject_type="member",
                           subject_id=member.id, regency_id=workspace.regency_id,
                           channel=WHATSAPP)
    await session.flush()
    return Identified(member)


async def _link(session: AsyncSession, workspace: Workspace, member: Member, address: str, *,
                has_phone: bool, now: datetime, via: str) -> Identified:
    if await _address_of(session, member.id) is not None:
        return Identified(None, "linked_elsewhere")
    session.add(MemberAddress(member_id=member.id, channel=WHATSAPP, address=address,
                              has_phone=has_phone, reachable=True, last_inbound_at=now,
                              created_at=now))
    member.registered_at = member.registered_at or now
    member.updated_at = now
    await audit.record(session, at=now, actor=Actor.member(member), action="member.registered",
                       subject_type="member", subject_id=member.id,
                       regency_id=workspace.regency_id, channel=WHATSAPP, via=via)
    await session.flush()
    return Identified(member, registered=True)
