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

A row ends ``sent``, ``failed`` (a permanent answer, cause in ``last_error``), ``expired``
(still unsent when its useful life, ``expires_at``, ran out) or ``unreachable`` (its recipient
blocked the bot) or ``waiting`` (WhatsApp, outside the 24-hour window, a kind that has no
template). Rows for a member no channel reaches are held, not dropped: nobody claims them, and
they go out when the member writes to the bot again (:func:`resume_for`, :func:`window_opened`).
Each sent row records the route it took (``channel``, ``chat``, ``message_ids``) and the
WhatsApp template it went as, if any (templates are billed: :func:`template_counts`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, case, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from kla_bot.domain import LIVE_TASK_STATES, Channel, OutboxState, Role
from kla_bot.models import Member, MemberAddress, OutboxMessage, Task
from kla_bot.services import audit, outbox, routes
from kla_bot.services.addresses import WHATSAPP
from kla_bot.services.members import coordinators_of
from kla_bot.services.outbox_kinds import (
    INTERACTIVE_KINDS,
    URGENT_KINDS,
    MemberUnreachable,
    OutboxPayload,
    load,
)
from kla_bot.services.workspace import Workspace


@dataclass(frozen=True)
class Claimed:
    """A row this worker now holds, with what is needed to render and send it."""

    id: int
    kind: str
    chat_id: int | None  # a Telegram chat, for a row that is for no member
    recipient_id: int | None
    payload: dict[str, Any]  # as stored; read it with message()
    attempts: int
    language: str | None
    recipient_name: str | None = None
    regency_id: int | None = None  # the recipient's (None: a row for no member)

    def message(self) -> OutboxPayload:
        """The typed payload (raises when the stored JSON does not fit its kind)."""
        return load(self.kind, self.payload)


@dataclass(frozen=True)
class Ended:
    """A row that ended unsent, for the operator's log."""

    id: int
    kind: str
    recipient_id: int | None
    cause: str | None


Moment = datetime | BindParameter[datetime]  # a statement built once binds "now"


def _unexpired(now: Moment) -> ColumnElement[bool]:
    return or_(OutboxMessage.expires_at.is_(None), OutboxMessage.expires_at > now)


def _held_for_unreachable() -> ColumnElement[bool]:
    return and_(OutboxMessage.recipient_id.is_not(None),
                OutboxMessage.recipient_id.in_(routes.unreachable_members()))


def _waiting(now: Moment) -> ColumnElement[bool]:
    """Queued and not held by a live worker (due or not)."""
    return or_(OutboxMessage.state == OutboxState.PENDING,
               and_(OutboxMessage.state == OutboxState.SENDING,
                    OutboxMessage.locked_until < now))


def _claimable(now: Moment) -> ColumnElement[bool]:
    return and_(_waiting(now), _unexpired(now), ~_held_for_unreachable(),
                or_(OutboxMessage.state == OutboxState.SENDING,
                    OutboxMessage.not_before <= now))


def _expiring(now: Moment) -> ColumnElement[bool]:
    return and_(or_(_waiting(now), OutboxMessage.state == OutboxState.WAITING),
                OutboxMessage.expires_at <= now)


# Built once: an idle sender asks it twice a second.
_NOW: BindParameter[datetime] = bindparam("now")  # each comparison types it as its column
_ANYTHING_DUE = select(exists().where(or_(_expiring(_NOW), _claimable(_NOW))))


async def anything_due(session: AsyncSession, *, now: datetime) -> bool:
    """Whether ``expire_due`` or ``claim_due`` would find a row now: one read, so an idle
    sender asks twice a second without opening a writing unit of work."""
    return bool(await session.scalar(_ANYTHING_DUE, {"now": now}))


async def expire_due(session: AsyncSession, *, now: datetime) -> list[Ended]:
    """Move every queued row whose useful life is over to ``expired`` (its last error kept:
    why it could not be sent in time); return them for the operator's log."""
    rows = await session.execute(
        update(OutboxMessage)
        .where(_expiring(now))
        .values(state=OutboxState.EXPIRED, locked_until=None)
        .returning(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.recipient_id,
                   OutboxMessage.last_error)
        .execution_options(synchronize_session=False))
    return sorted((Ended(*row) for row in rows), key=lambda e: e.id)


def _urgent_first() -> Any:
    """0 for an urgent kind, 1 for another interactive one (someone waits for it), 2 for the
    bulk rest: the first sort key of the claim order."""
    interactive = INTERACTIVE_KINDS - URGENT_KINDS
    return case((OutboxMessage.kind.in_([str(k) for k in URGENT_KINDS]), 0),
                (OutboxMessage.kind.in_([str(k) for k in interactive]), 1), else_=2)


async def claim_due(session: AsyncSession, *, now: datetime, limit: int,
                    lease: timedelta) -> list[Claimed]:
    """Take up to ``limit`` due rows, urgent kinds first (outbox_kinds.URGENT_KINDS), the
    other interactive ones next (outbox_kinds.INTERACTIVE_KINDS), then
    lowest id first, for ``lease``; nobody else gets them."""
    candidates = (select(OutboxMessage.id).where(_claimable(now))
                  .order_by(_urgent_first(), OutboxMessage.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    # Chosen first, then updated: as a subquery of the UPDATE, PostgreSQL may run the
    # sorted, SKIP LOCKED choice again per row, skip the rows this very UPDATE has just
    # changed, and so take far more than ``limit``.
    wanted = list(await session.scalars(candidates))
    if not wanted:
        return []
    claimed = await session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(wanted), _claimable(now))
        .values(state=OutboxState.SENDING, locked_until=now + lease)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False))
    ids = sorted(claimed)
    if not ids:
        return []
    rows = await session.execute(
        select(OutboxMessage, Member.language, Member.name, Member.regency_id)
        .outerjoin(Member, Member.id == OutboxMessage.recipient_id)
        .where(OutboxMessage.id.in_(ids)).order_by(_urgent_first(), OutboxMessage.id))
    return [Claimed(id=m.id, kind=m.kind, chat_id=m.chat_id, recipient_id=m.recipient_id,
                    payload=dict(m.payload), attempts=m.attempts, language=language,
                    recipient_name=name, regency_id=regency_id)
            for m, language, name, regency_id in rows]


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


async def mark_sent(session: AsyncSession, row: Claimed, *, channel: Channel, chat: str,
                    message_ids: Sequence[str], now: datetime,
                    template: str | None = None) -> None:
    """Record the delivery — the route it took, the template it went as (WhatsApp, outside
    the window) — and which tasks the sent message(s) are about."""
    first = message_ids[0] if message_ids else None
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id == row.id)
        .values(state=OutboxState.SENT, sent_at=now, locked_until=None, last_error=None,
                channel=channel, chat=chat, message_ids=" ".join(message_ids) or None,
                template=template,
                # Telegram's id stays a number too: the review cards are found (and edited) by it.
                telegram_message_id=int(first) if channel == "telegram" and first else None,
                attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False))
    task_ids = list(row.message().task_ids)
    for message_id in message_ids:
        await outbox.remember_sent(session, channel=channel, chat=chat, message=message_id,
                                   task_ids=task_ids, now=now)


async def sent_message_of(session: AsyncSession, dedupe_key: str, *, channel: Channel,
                          chat: str) -> str | None:
    """The message that now shows the row ``dedupe_key`` in ``chat``: the first sent of that
    row and the rows that update it (``<key>:…``; an update is sent as a new message when the
    first was never delivered, and later ones edit that). None: nothing to edit."""
    first = await session.scalar(
        select(OutboxMessage.message_ids)
        .where(or_(OutboxMessage.dedupe_key == dedupe_key,
                   OutboxMessage.dedupe_key.startswith(f"{dedupe_key}:", autoescape=True)),
               OutboxMessage.state == OutboxState.SENT, OutboxMessage.channel == channel,
               OutboxMessage.chat == chat, OutboxMessage.message_ids.is_not(None))
        .order_by(OutboxMessage.id).limit(1))
    return first.split()[0] if first else None


async def mark_waiting(session: AsyncSession, row: Claimed, *, error: str) -> None:
    """Hold the row until the member writes again (:func:`window_opened`): WhatsApp allows
    no free-form message outside the 24-hour window and this kind has no template."""
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id == row.id)
        .values(state=OutboxState.WAITING, locked_until=None, last_error=error[:500])
        .execution_options(synchronize_session=False))


async def window_opened(session: AsyncSession, member_id: int, *, now: datetime) -> int:
    """The member wrote on WhatsApp (the 24-hour window is open, the address reachable):
    what waited for the window, and what bounced off while they were unreachable, is due
    now. The inbound side calls this on every WhatsApp message. Returns rows made due."""
    return await _due_again(session, member_id, (OutboxState.WAITING, OutboxState.UNREACHABLE),
                            now=now)


async def mark_retry(session: AsyncSession, row: Claimed, *, not_before: datetime,
                     error: str, count_attempt: bool) -> None:
    """Put the row back in the queue, to be tried again from ``not_before`` (a transient
    failure: it is tried until its useful life ends, however many attempts that takes)."""
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
                           reason: str, now: datetime, today_local: str,
                           channel: Channel = "telegram") -> int:
    """The recipient cannot be written to on ``channel`` (blocked the bot, not a WhatsApp
    user): mark that channel unreachable. When another channel still reaches them, the row
    simply goes again (by that channel). Otherwise hold every message still queued for them
    (and this one) until they write again, and — when this took their last channel — queue
    one notice per coordinator of their clusters (the secretariat when no coordinator is
    reachable). Returns notices queued."""
    member = await session.get(Member, row.recipient_id) if row.recipient_id else None
    reachable_before = member is not None and await routes.can_message(session, member.id)
    if member is not None and await _mark_channel_unreachable(session, member, channel, now):
        await audit.record(session, at=now, actor=audit.Actor.system("sender"),
                           action="member.unreachable", subject_type="member",
                           subject_id=member.id, regency_id=workspace.regency_id,
                           reason=reason, **({} if channel == "telegram" else
                                             {"channel": channel}))
    if member is not None and await routes.can_message(session, member.id):
        await mark_retry(session, row, not_before=now, error=f"unreachable on {channel}: "
                         f"{reason}", count_attempt=True)
        return 0
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id == row.id)
        .values(state=OutboxState.UNREACHABLE, locked_until=None,
                last_error=f"unreachable: {reason}", attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False))
    if member is None or not reachable_before:
        return 0  # someone already told the coordinators
    return await _tell_coordinators(session, workspace, member, reason=reason, now=now,
                                    since_local=today_local)


async def _mark_channel_unreachable(session: AsyncSession, member: Member, channel: Channel,
                                    now: datetime) -> bool:
    """Mark the member's address on ``channel`` unreachable; True when it was reachable."""
    if channel == "telegram":
        if not member.reachable:
            return False
        member.reachable = False
        member.unreachable_since = now
        await session.flush()
        return True
    address = await session.scalar(select(MemberAddress).where(
        MemberAddress.member_id == member.id, MemberAddress.channel == WHATSAPP))
    if address is None or not address.reachable:
        return False
    address.reachable = False
    address.unreachable_since = now
    await session.flush()
    return True


async def resume_for(session: AsyncSession, member_id: int, *, now: datetime) -> int:
    """The member is reachable again: what bounced off the block goes out again (still only
    while useful; held rows need nothing, nobody claimed them). Returns rows resumed."""
    outbox.mark_queued(session)  # the held ones are due now too
    return await _due_again(session, member_id, (OutboxState.UNREACHABLE,), now=now)


async def _due_again(session: AsyncSession, member_id: int, states: tuple[OutboxState, ...],
                     *, now: datetime) -> int:
    """The member's rows in ``states`` are pending again, due now; how many."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.recipient_id == member_id, OutboxMessage.state.in_(states))
        .values(state=OutboxState.PENDING, not_before=now, locked_until=None)
        .execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]


PROBLEMS = (OutboxState.FAILED, OutboxState.EXPIRED, OutboxState.UNREACHABLE)


@dataclass(frozen=True)
class OutboxHealth:
    """For the operator: rows per state, and the latest rows that ended unsent."""

    counts: dict[str, int]
    latest_problems: list[tuple[Ended, str]]  # with their state

    @property
    def problems(self) -> int:
        return sum(self.counts[state] for state in PROBLEMS)


def _of_regency(workspace: Workspace) -> ColumnElement[bool]:
    ours = select(Member.id).where(Member.regency_id == workspace.regency_id)
    return or_(OutboxMessage.recipient_id.is_(None),
               OutboxMessage.recipient_id.in_(ours.scalar_subquery()))


async def health(session: AsyncSession, workspace: Workspace, *, latest: int = 3) -> OutboxHealth:
    """How many outbox rows of this regency are in each state (every state listed), and the
    ``latest`` that ended failed, expired or unreachable, newest first."""
    rows = await session.execute(
        select(OutboxMessage.state, func.count()).where(_of_regency(workspace))
        .group_by(OutboxMessage.state))
    counts = dict.fromkeys((str(s) for s in OutboxState), 0)
    counts.update({str(state): int(n) for state, n in rows})
    problems = await session.execute(
        select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.recipient_id,
               OutboxMessage.last_error, OutboxMessage.state)
        .where(_of_regency(workspace), OutboxMessage.state.in_(PROBLEMS))
        .order_by(OutboxMessage.id.desc()).limit(latest))
    return OutboxHealth(counts, [(Ended(i, k, r, e), str(st)) for i, k, r, e, st in problems])


async def _tell_coordinators(session: AsyncSession, workspace: Workspace, member: Member, *,
                             reason: str, now: datetime, since_local: str) -> int:
    coordinators: dict[int, Member] = {}
    for code in member.cluster_codes:
        for c in await coordinators_of(session, workspace, code):
            coordinators[c.id] = c
    reachable = set(await session.scalars(select(Member.id).where(
        Member.id.in_(list(coordinators)), routes.REACHABLE)))
    audience = [c for c in coordinators.values() if c.id != member.id and c.id in reachable]
    if not audience:
        audience = list(await session.scalars(select(Member).where(
            Member.regency_id == workspace.regency_id, Member.role == Role.SECRETARIAT,
            routes.REACHABLE, Member.id != member.id)))
    open_tasks = list(await session.scalars(select(Task.id).where(
        Task.cycle_id == workspace.cycle_id, Task.assignee_id == member.id,
        Task.state.in_(LIVE_TASK_STATES))))
    payload = MemberUnreachable(member_id=member.id, member_name=member.name,
                                agency=member.agency, reason=reason,
                                since=date.fromisoformat(since_local),
                                open_tasks=len(open_tasks), clusters=tuple(member.cluster_codes))
    queued = 0
    for recipient in audience:
        queued += await outbox.enqueue(
            session, dedupe_key=f"{payload.kind}:{member.id}:{since_local}:{recipient.id}",
            recipient_id=recipient.id, payload=payload, now=now)
    return queued


@dataclass(frozen=True)
class TemplateCounts:
    """WhatsApp template messages sent (each one is billed), in all and by template name."""

    sent: int
    by_template: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {"templates_sent": self.sent, "by_template": self.by_template}


async def template_counts(session: AsyncSession, workspace: Workspace) -> TemplateCounts:
    """How many of this regency's outbox rows went out as WhatsApp templates, per name."""
    rows = await session.execute(
        select(OutboxMessage.template, func.count())
        .where(_of_regency(workspace), OutboxMessage.state == OutboxState.SENT,
               OutboxMessage.template.is_not(None))
        .group_by(OutboxMessage.template).order_by(OutboxMessage.template))
    by_template = {str(name): int(n) for name, n in rows}
    return TemplateCounts(sum(by_template.values()), by_template)
