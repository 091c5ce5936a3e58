"""Queue outgoing notifications and reminders; a sender drains them (at most once each)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot.models import OutboxMessage, SentMessageTask


async def enqueue(session: AsyncSession, *, dedupe_key: str, kind: str, chat_id: int,
                  recipient_id: int | None, payload: dict[str, Any], now: datetime,
                  not_before: datetime | None = None) -> bool:
    """Queue one message unless one with the same dedupe key exists; True when queued.

    ``payload`` is plain JSON data; the renderer registered for ``kind`` turns it into text
    and buttons in the recipient's language when it is sent. ``payload["task_ids"]`` lists
    the tasks the message is about, so a reply to it can find its task.
    """
    values = dict(dedupe_key=dedupe_key, kind=kind, chat_id=chat_id, recipient_id=recipient_id,
                  payload=payload, state="pending", attempts=0,
                  not_before=not_before or now, created_at=now)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(OutboxMessage).values(**values).on_conflict_do_nothing(
        index_elements=["dedupe_key"])
    result = await session.execute(stmt)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def remember_sent(session: AsyncSession, *, chat_id: int, message_id: int,
                        task_ids: list[int], now: datetime) -> None:
    """Record which tasks a sent message is about (a reply to it then finds them)."""
    for task_id in dict.fromkeys(task_ids):
        await session.merge(SentMessageTask(chat_id=chat_id, message_id=message_id,
                                            task_id=task_id, created_at=now))


async def tasks_of_message(session: AsyncSession, chat_id: int, message_id: int) -> list[int]:
    """The tasks a message the bot sent is about (empty when unknown)."""
    rows = await session.scalars(select(SentMessageTask.task_id).where(
        SentMessageTask.chat_id == chat_id, SentMessageTask.message_id == message_id))
    return list(rows)
