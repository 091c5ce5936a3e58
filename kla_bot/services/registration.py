"""Linking a Telegram account to an imported member: by shared contact or one-time invite code;
and noticing that a member who had blocked the bot writes to it again (reachable again)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot.domain import Who
from kla_bot.models import Invite, Member
from kla_bot.phones import try_normalize_phone, try_normalize_sent_phone
from kla_bot.services import audit, delivery, members
from kla_bot.services.access import AccessDenied, overseer_scope
from kla_bot.services.audit import Actor
from kla_bot.services.workspace import Workspace

# No 0/O or 1/I/L: codes get read aloud and typed from paper.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10


@dataclass(frozen=True)
class Registered:
    """A member now linked to the account (``new`` is False when it already was)."""

    member_id: int
    name: str
    agency: str
    role: str
    language: str | None
    new: bool


def _registered(member: Member, new: bool) -> Registered:
    return Registered(member.id, member.name, member.agency, member.role, member.language, new)


async def who_is(session: AsyncSession, workspace: Workspace,
                 who: Who) -> Registered | None:
    """The member behind an account, or None for a stranger."""
    member = await members.by_who(session, workspace, who)
    return None if member is None else _registered(member, False)


async def register_by_contact(session: AsyncSession, workspace: Workspace, *, sender_id: int,
                              chat_id: int, contact_user_id: int | None, phone: str,
                              now: datetime) -> Registered:
    """Link the sender when the shared contact is their own and its phone is a member's."""
    if contact_user_id != sender_id:
        raise AccessDenied("start.not_own_contact")
    already = await members.by_telegram_user(session, workspace, sender_id)
    normalized = try_normalize_sent_phone(phone)
    if already is not None and already.phone == normalized:
        return _registered(already, False)
    member = await members.by_phone(session, workspace, normalized) if normalized else None
    if member is None:
        raise AccessDenied("start.unknown_phone")
    return await _link(session, workspace, member, sender_id, chat_id, now, via="contact")


async def register_by_invite(session: AsyncSession, workspace: Workspace, *, sender_id: int,
                             chat_id: int, code: str, now: datetime) -> Registered:
    """Link the sender to the member a one-time invite code was made for, and use the code up."""
    invite, member = await find_invite(session, workspace, code)
    if invite.used_at is not None:
        if member.telegram_user_id == sender_id:
            return _registered(member, False)
        raise AccessDenied("start.bad_invite")
    await use_invite(session, invite, now=now)
    return await _link(session, workspace, member, sender_id, chat_id, now, via="invite")


async def find_invite(session: AsyncSession, workspace: Workspace,
                      code: str) -> tuple[Invite, Member]:
    """The invite (used or not) with this code and its member of this regency, or
    ``start.bad_invite``. Codes are typed from paper: case and surrounding spaces do not count."""
    invite = await session.scalar(select(Invite).where(Invite.code == code.strip().upper()))
    member = await session.get(Member, invite.member_id) if invite is not None else None
    if invite is None or member is None or member.regency_id != workspace.regency_id:
        raise AccessDenied("start.bad_invite")
    return invite, member


async def use_invite(session: AsyncSession, invite: Invite, *, now: datetime) -> None:
    """Use the code up, or ``start.bad_invite`` when it already was."""
    # Atomically: of two accounts racing with one code, one wins.
    used = await session.execute(update(Invite).where(
        Invite.code == invite.code, Invite.used_at.is_(None)).values(used_at=now))
    if not used.rowcount:  # type: ignore[attr-defined]
        raise AccessDenied("start.bad_invite")


async def _link(session: AsyncSession, workspace: Workspace, member: Member, sender_id: int,
                chat_id: int, now: datetime, *, via: str) -> Registered:
    if member.telegram_user_id not in (None, sender_id):
        raise AccessDenied("start.linked_elsewhere")
    other = await members.by_telegram_user(session, workspace, sender_id)
    if other is not None and other.id != member.id:
        raise AccessDenied("start.account_in_use", name=other.name)
    new = member.telegram_user_id is None
    member.telegram_user_id = sender_id
    if not member.reachable:
        await _reachable(session, workspace, member, chat_id, now, via=via)
    member.chat_id = chat_id
    member.registered_at = member.registered_at or now
    member.updated_at = now
    if new:
        await audit.record(session, at=now, actor=Actor.member(member),
                           action="member.registered", subject_type="member",
                           subject_id=member.id, regency_id=workspace.regency_id, via=via)
    await session.flush()
    return _registered(member, new)


async def unreachable_telegram_users(session: AsyncSession) -> dict[int, datetime | None]:
    """Every Telegram user marked unreachable, in any regency, and since when."""
    rows = await session.execute(
        select(Member.telegram_user_id, Member.unreachable_since).where(
            Member.reachable.is_(False), Member.telegram_user_id.is_not(None)))
    return {user: since for user, since in rows if user is not None}


# Built once: every update from a private chat asks it (see ``unreachable_member``).
_UNREACHABLE_MEMBER = select(Member.id).where(
    Member.regency_id == bindparam("regency_id"),
    Member.telegram_user_id == bindparam("telegram_user_id"), Member.reachable.is_(False))


async def unreachable_member(session: AsyncSession, workspace: Workspace, *,
                             telegram_user_id: int) -> int | None:
    """The id of the member behind this Telegram account if they are marked unreachable."""
    member_id: int | None = await session.scalar(
        _UNREACHABLE_MEMBER,
        {"regency_id": workspace.regency_id, "telegram_user_id": telegram_user_id})
    return member_id


async def reachable_again(session: AsyncSession, workspace: Workspace, *,
                          telegram_user_id: int, chat_id: int, now: datetime,
                          via: str) -> bool:
    """Any update from a member's private chat proves the bot can write to them again: if
    they were unreachable, mark them reachable, audit it, and let their held messages go.
    True when they had been unreachable. Costs one read for everyone else."""
    member_id = await unreachable_member(session, workspace, telegram_user_id=telegram_user_id)
    member = await session.get(Member, member_id) if member_id is not None else None
    if member is None:
        return False
    await _reachable(session, workspace, member, chat_id, now, via=via)
    return True


async def _reachable(session: AsyncSession, workspace: Workspace, member: Member,
                     chat_id: int, now: datetime, *, via: str) -> None:
    member.reachable = True
    member.unreachable_since = None
    member.chat_id = chat_id
    member.updated_at = now
    resumed = await delivery.resume_for(session, member.id, now=now)
    await audit.record(session, at=now, actor=Actor.member(member),
                       action="member.reachable_again", subject_type="member",
                       subject_id=member.id, regency_id=workspace.regency_id, via=via,
                       resumed=resumed)


async def create_invite(session: AsyncSession, workspace: Workspace, *, phone: str,
                        created_by: Member | None, now: datetime) -> tuple[str, str]:
    """A fresh one-time code for the member with ``phone``; returns (code, member name)."""
    normalized = try_normalize_phone(phone)
    member = await members.by_phone(session, workspace, normalized) if normalized else None
    if member is None:
        raise AccessDenied("start.unknown_phone")
    code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_LENGTH))
    session.add(Invite(code=code, member_id=member.id,
                       created_by_id=created_by.id if created_by else None, created_at=now))
    actor = Actor.member(created_by) if created_by else Actor.system("cli")
    await audit.record(session, at=now, actor=actor, action="invite.created",
                       subject_type="member", subject_id=member.id,
                       regency_id=workspace.regency_id)
    await session.flush()
    return code, member.name


async def invite_by_overseer(session: AsyncSession, workspace: Workspace, *, creator: Member,
                             phone: str, now: datetime) -> tuple[str, str]:
    """A one-time code made in chat by a coordinator (for a member of their clusters) or by
    the secretariat (for anyone); returns (code, member name)."""
    scope = overseer_scope(creator)
    normalized = try_normalize_phone(phone)
    member = await members.by_phone(session, workspace, normalized) if normalized else None
    if member is None:
        raise AccessDenied("start.unknown_phone")
    if not scope.is_secretariat and not any(scope.covers(c) for c in member.cluster_codes):
        raise AccessDenied("members.invite_not_yours", name=member.name)
    return await create_invite(session, workspace, phone=member.phone, created_by=creator,
                               now=now)
