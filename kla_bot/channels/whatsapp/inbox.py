"""The durable WhatsApp inbox: a message is kept (and committed) before the webhook answers
200, handled after, and marked handled; at start every message not yet handled is handled.

So a kill -9 mid-download loses nothing (the row waits for the next start), and a message id
is taken in once, ever: a redelivery, even after a restart, inserts nothing and is dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from kla_bot.channels.whatsapp.webhook import Inbound, from_raw
from kla_bot.clock import Clock
from kla_bot.db import Database
from kla_bot.models import WhatsAppInboxMessage


class DatabaseInbox:
    """The webhook's :class:`~kla_bot.channels.whatsapp.webhook.Inbox`, in ``whatsapp_inbox``."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db, self._clock = db, clock

    async def take_in(self, messages: Sequence[Inbound]) -> list[Inbound]:
        fresh: list[Inbound] = []
        now = self._clock.now()
        async with self._db.transaction() as session:
            dialect = session.get_bind().dialect.name
            insert = pg_insert if dialect == "postgresql" else sqlite_insert
            for message in messages:
                stmt = insert(WhatsAppInboxMessage).values(
                    message_id=message.message_id, raw=message.raw, received_at=now,
                    handled_at=None).on_conflict_do_nothing(index_elements=["message_id"])
                result = await session.execute(stmt)
                if result.rowcount:  # type: ignore[attr-defined]
                    fresh.append(message)
        return fresh

    async def mark_handled(self, message_id: str) -> None:
        async with self._db.transaction() as session:
            await session.execute(update(WhatsAppInboxMessage).where(
                WhatsAppInboxMessage.message_id == message_id,
                WhatsAppInboxMessage.handled_at.is_(None)).values(
                handled_at=self._clock.now()))

    async def unhandled(self) -> list[Inbound]:
        """The messages taken in but never handled (a crash or a stop came between), oldest
        first; a row that no longer parses is marked handled, never retried forever."""
        async with self._db.transaction() as session:
            rows = (await session.scalars(select(WhatsAppInboxMessage).where(
                WhatsAppInboxMessage.handled_at.is_(None)).order_by(
                WhatsAppInboxMessage.id))).all()
            found = [(row.message_id, from_raw(row.raw)) for row in rows]
        waiting = []
        for message_id, message in found:
            if message is None:
                await self.mark_handled(message_id)
            else:
                waiting.append(message)
        return waiting

    async def handled_at(self, message_id: str) -> datetime | None:
        async with self._db.transaction() as session:
            return await session.scalar(select(WhatsAppInboxMessage.handled_at).where(
                WhatsAppInboxMessage.message_id == message_id))
