"""The outbox sender's bookkeeping: claim due rows, record how each send went.

Several workers may drain the same outbox. A worker *claims* rows by moving them to
``sending`` with a lease (``locked_until``) in one statement — on PostgreSQL the candidate
rows are picked with ``FOR UPDATE SKIP LOCKED``, on SQLite the single conditional ``UPDATE``
is atomic — so no two workers ever hold the same row. A worker that dies leaves its rows
``sending``; when the lease runs out, they become claimable again.

A live worker keeps its lease ahead of its work with :func:`renew` (before each send, and
while a send is in flight), so a slow batch or a slow send never lets a second worker in. The
lease's end is the worker's token: a worker that claims a lapsed row moves ``locked_until``
strictly later, so a renewal that finds another value knows the row is no longer its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from kla_bot.domain import OutboxState, Role
from kla_bot.models import Member, OutboxMessage, Task
from kla_bot.services import audit, outbox
from kla_bot.services.members import coordinators_of
from kla_bot.services.workspace import Workspace

UNREACHABLE = "member.unreachable"


@dataclass(frozen=True)
class Claimed:
    """A row this worker now holds, with what is needed to render and send it."""

    id: int
    kind: str
    chat_id: int
    recipient_id: int | None
    payload: dict[str, Any]
    attempts: int
    language: str | None
    recipient_reachable: bool


def _claimable(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(OutboxMessage.state == OutboxState.PENDING, OutboxMessage.not_before <= now),
        and_(OutboxMessage.state == OutboxState.SENDING, OutboxMessage.locked_until < now),
    )


async def claim_due(session: AsyncSession, *, now: datetime, limit: int,
                    lease: timedelta) -> list[Claimed]:
    """Take up to ``limit`` due rows, lowest id first, for ``lease``; nobody else gets them."""
    candidates = (select(OutboxMessage.id).where(_claimable(now))
                  .order_by(OutboxMessage.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    claimed = await session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(candidates.scalar_subquery()), _claimable(now))
        .values(state=OutboxState.SENDING, locked_until=now + lease)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False))
    ids = sorted(claimed)
    if not ids:
        return []
    rows = await session.execute(
        select(OutboxMessage, Member.language, Member.reachable)
        .outerjoin(Member, Member.id == OutboxMessage.recipient_id)
        .where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id))
    return [Claimed(id=m.id, kind=m.kind, chat_id=m.chat_id, recipient_id=m.recipient_id,
                    payload=dict(m.payload), attempts=m.attempts, language=language,
                    recipient_reachable=reachable is not False)
            for m, language, reachable in rows]


async def renew(session: AsyncSession, ids: Sequence[int], *, held_until: datetime,
                until: datetime) -> set[int]:
    """Extend the lease of rows this worker still holds (their lease still ends at
    ``held_until``) to ``until``; return the ids renewed — any other was taken by a worker
    after the lease lapsed, or is no longer being sent, and must not be sent by this one."""
    if not ids:
        return set()
    renewed = await session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(list(ids)), OutboxMessage.state == OutboxState.SENDING,
               OutboxMessage.locked_until == held_until)
        .values(locked_until=until)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False))
    return set(renewed)


async def release(session: AsyncSession, ids: Sequence[int], *,
                  not_before: datetime | None = None) -> None:
    """Hand claimed rows back unsent (a pause or a stop came before their turn); during a
    flood wait, ``not_before`` keeps every worker of this bot off them until it is over."""
    if ids:
        values: dict[str, Any] = {"state": OutboxState.PENDING, "locked_until": None}
        if not_before is not None:
            values["not_before"] = not_before
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(list(ids)), OutboxMessage.state == OutboxState.SENDING)
            .values(**values)
            .execution_options(synchronize_session=False))


async def mark_sent(session: AsyncSession, row: Claimed, *, message_ids: Sequence[int],
                    now: datetime) -> None:
    """Record the delivery, and which tasks the sent message(s) are about."""
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id == row.id)
        .values(state=OutboxState.SENT, sent_at=now, locked_until=None, last_error=None,
                telegram_message_id=message_ids[0], attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False))
    task_ids = [int(t) for t in row.payload.get("task_ids", [])]
    for message_id in message_ids:
        await outbox.remember_sent(session, chat_id=row.chat_id, message_id=message_id,
                                   task_ids=task_ids, now=now)


async def mark_retry(session: AsyncSession, row: Claimed, *, not_before: datetime,
                     error: str, count_attempt: bool) -> None:
    """Put the row back in the queue, to be tried again from ``not_before``."""
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id == row.id)
        .values(state=OutboxState.PENDING, not_before=not_before, locked_until=None,
                last_error=error[:500],
                attempts=OutboxMessage.attempts + (1 if count_attempt else 0))
        .execution_options(synchronize_session=False))


async def mark_failed(session: AsyncSession, row: Claimed, *, error: str) -> None:
    """Give up on the row for good (kept, with the reason, for the operator)."""
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id == row.id)
        .values(state=OutboxState.FAILED, locked_until=None, last_error=error[:500],
                attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False))


async def mark_unreachable(session: AsyncSession, workspace: Workspace, row: Claimed, *,
                           reason: str, now: datetime, today_local: str) -> int:
    """The recipient blocked the bot (or cannot be written to): mark them unreachable, stop
    every message still queued for them, and queue one notice per coordinator of their
    clusters (the secretariat when no coordinator is reachable). Returns notices queued."""
    await mark_failed(session, row, error=f"unreachable: {reason}")
    if row.recipient_id is None:
        return 0
    member = await session.get(Member, row.recipient_id)
    if member is None:
        return 0
    was_reachable = member.reachable
    if was_reachable:
        member.reachable = False
        member.unreachable_since = now
        await audit.record(session, at=now, actor=audit.Actor.system("sender"),
                           action="member.unreachable", subject_type="member",
                           subject_id=member.id, regency_id=workspace.regency_id,
                           reason=reason)
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.recipient_id == member.id,
               OutboxMessage.state.in_([OutboxState.PENDING, OutboxState.SENDING]),
               OutboxMessage.id != row.id)
        .values(state=OutboxState.FAILED, locked_until=None,
                last_error=f"recipient unreachable: {reason}")
        .execution_options(synchronize_session=False))
    if not was_reachable:
        return 0  # someone already told the coordinators
    return await _tell_coordinators(session, workspace, member, reason=reason, now=now,
                                    since_local=today_local)


async def _tell_coordinators(session: AsyncSession, workspace: Workspace, member: Member, *,
                             reason: str, now: datetime, since_local: str) -> int:
    coordinators: dict[int, Member] = {}
    for code in member.cluster_codes:
        for c in await coordinators_of(session, workspace, code):
            coordinators[c.id] = c
    audience = [c for c in coordinators.values()
                if c.id != member.id and c.reachable and c.chat_id is not None]
    if not audience:
        audience = list(await session.scalars(select(Member).where(
            Member.regency_id == workspace.regency_id, Member.role == Role.SECRETARIAT,
            Member.reachable.is_(True), Member.chat_id.is_not(None), Member.id != member.id)))
    open_tasks = list(await session.scalars(select(Task.id).where(
        Task.cycle_id == workspace.cycle_id, Task.assignee_id == member.id,
        Task.state != "approved")))
    payload = {"task_ids": [], "member_id": member.id, "member_name": member.name,
               "agency": member.agency, "reason": reason, "since": since_local,
               "open_tasks": len(open_tasks), "clusters": member.cluster_codes}
    queued = 0
    for recipient in audience:
        assert recipient.chat_id is not None
        queued += await outbox.enqueue(
            session, dedupe_key=f"{UNREACHABLE}:{member.id}:{since_local}:{recipient.id}",
            kind=UNREACHABLE, chat_id=recipient.chat_id, recipient_id=recipient.id,
            payload=payload, now=now)
    return queued
