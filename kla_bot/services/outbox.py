"""Queue outgoing notifications and reminders; a sender drains them (at most once each).

How long each kind of message is worth sending is decided here, once, at enqueue
(:func:`useful_until`, stored as ``expires_at``): the sender retries transient failures until
then, and a row still unsent past it becomes ``expired`` instead of arriving too late to help.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot import scheduler
from kla_bot.models import MessageTask, OutboxMessage
from kla_bot.services.outbox_kinds import OutboxKind, OutboxPayload

# A reminder speaks of its day ("H-10", today's open tasks): worth sending until that day ends
# in the regency's time zone, never the next morning next to that day's fresh one.
UNTIL_DAY_ENDS = frozenset({scheduler.DIGEST, scheduler.ESCALATION, scheduler.BRIEF,
                            scheduler.LASTCALL, OutboxKind.GROUP_PROGRESS})
# Review notices and results, reassignments and "member unreachable" stay true for days: a
# coordinator still needs to hear of a file days later. Kinds not listed never expire.
KEPT_FOR: dict[OutboxKind, timedelta] = {
    OutboxKind.EVIDENCE_SUBMITTED: timedelta(days=7),
    OutboxKind.REVIEW_ACCEPTED: timedelta(days=7),
    OutboxKind.REVIEW_REJECTED: timedelta(days=7),
    OutboxKind.TASK_REASSIGNED: timedelta(days=7),
    OutboxKind.MEMBER_UNREACHABLE: timedelta(days=7),
    OutboxKind.HANDOVER_REQUESTED: timedelta(days=7),
    OutboxKind.GROUP_APPROVAL: timedelta(days=1),  # news: stale after a day
    OutboxKind.MEMBER_AWAY: timedelta(days=7),
    # A call for a missing item is repeated every few minutes: an old one is stale news.
    OutboxKind.URGENT_CALL: timedelta(minutes=30),
    OutboxKind.URGENT_CHASE: timedelta(hours=12),
    OutboxKind.URGENT_ANSWERED: timedelta(days=2),
}


def useful_until(kind: OutboxKind, now: datetime, day: date | None,
                 tz: tzinfo | None) -> datetime | None:
    """Until when a message of ``kind`` is worth sending (None: however late); ``day`` is
    the local day a reminder is for, in the regency's time zone ``tz``."""
    if kind in UNTIL_DAY_ENDS:
        if day is None or tz is None:
            raise ValueError(f"{kind} lasts until its local day ends: pass day and tz")
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    kept = KEPT_FOR.get(kind)
    return None if kept is None else now + kept


# Set in ``session.info`` by a unit of work that queued a message: once it commits, this
# worker's sender looks at once (``Database.when_committed``) instead of at its next poll.
QUEUED = "outbox.queued"


def mark_queued(session: AsyncSession) -> None:
    """Something may be due to send once this unit of work commits (see ``QUEUED``)."""
    session.info[QUEUED] = True


async def enqueue(session: AsyncSession, *, dedupe_key: str, recipient_id: int | None,
                  payload: OutboxPayload, now: datetime, chat_id: int | None = None,
                  not_before: datetime | None = None, day: date | None = None,
                  tz: tzinfo | None = None) -> bool:
    """Queue one message unless one with the same dedupe key exists; True when queued.

    The payload's type is the message's kind; the channel's renderer for that kind turns it
    into text and buttons in the recipient's language when it is sent. ``payload.task_ids``
    lists the tasks the message is about, so a reply to it can find its task. A reminder
    passes its local ``day`` and the regency's ``tz``: it is worth sending until that day ends.

    A message for a member goes by the channel the sender chooses when it sends it
    (:mod:`kla_bot.services.routes`); ``chat_id`` names a Telegram chat for a message that is
    for no member.
    """
    if recipient_id is None and chat_id is None:
        raise ValueError("a message needs a recipient or a Telegram chat")
    kind = payload.kind
    values = dict(dedupe_key=dedupe_key, kind=str(kind), chat_id=chat_id,
                  recipient_id=recipient_id, payload=payload.to_json(), state="pending",
                  attempts=0, not_before=not_before or now, created_at=now,
                  expires_at=useful_until(kind, now, day, tz))
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(OutboxMessage).values(**values).on_conflict_do_nothing(
        index_elements=["dedupe_key"])
    result = await session.execute(stmt)
    queued = bool(result.rowcount)  # type: ignore[attr-defined]
    if queued:
        mark_queued(session)
    return queued


async def remember_sent(session: AsyncSession, *, channel: str, chat: str, message: str,
                        task_ids: list[int], now: datetime) -> None:
    """Record which tasks a sent message is about (a reply to it then finds them)."""
    for task_id in dict.fromkeys(task_ids):
        await session.merge(MessageTask(channel=channel, chat=chat, message=message,
                                        task_id=task_id, created_at=now))


async def tasks_of_message(session: AsyncSession, *, channel: str, chat: str,
                           message: str) -> list[int]:
    """The tasks a message the bot sent is about (empty when unknown)."""
    rows = await session.scalars(select(MessageTask.task_id).where(
        MessageTask.channel == channel, MessageTask.chat == chat,
        MessageTask.message == message))
    return list(rows)
