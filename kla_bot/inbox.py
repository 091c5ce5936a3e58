"""The durable inbox of the webhooks (WhatsApp's messages, Telegram's updates): what a channel
posts is kept, committed, before the webhook answers 200; it is handled after and then marked
handled.

* A redelivery (the channel did not hear our 200, or posts twice) inserts nothing: each
  message is taken in once, ever, by whichever worker gets it first.
* The worker that takes a message in holds it (``holder``: on PostgreSQL the server process
  of its scheduler-lock connection, :mod:`kla_bot.leader`, which ends with the worker). If
  that worker dies before the message is handled, any worker takes it over
  (:meth:`DurableInbox.claim_waiting`, at start and every :data:`SWEEP_EVERY` seconds), so a
  crash loses nothing and two live workers never handle the same message. On SQLite (one
  process) whatever an earlier process held is taken over at start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import literal, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from kla_bot.clock import Clock
from kla_bot.db import Database
from kla_bot.models import InboundMessage

log = logging.getLogger(__name__)

SWEEP_EVERY = 60.0  # seconds between two looks for messages a dead worker left
CLAIM_BATCH = 200


class DurableInbox:
    """One channel's messages in ``inbound_messages``, keyed by the channel's own id."""

    def __init__(self, db: Database, clock: Clock, channel: str, *,
                 holder: Callable[[], int | None] = lambda: None) -> None:
        self._db, self._clock, self.channel = db, clock, channel
        # Who this worker is (PostgreSQL: its lock connection's server pid); where there is
        # none, a number of this process's own, which no server process has.
        self._holder, self._own = holder, -secrets.randbelow(2**62) - 1

    @property
    def holder(self) -> int:
        return self._holder() or self._own

    async def take_in(self, items: Sequence[tuple[str, dict[str, Any]]]) -> set[str]:
        """Keep each (id, raw) not seen before, held by this worker; the ids that were new."""
        fresh: set[str] = set()
        now = self._clock.now()
        async with self._db.transaction() as session:
            dialect = session.get_bind().dialect.name
            insert = pg_insert if dialect == "postgresql" else sqlite_insert
            for external_id, raw in items:
                result = await session.execute(insert(InboundMessage).values(
                    channel=self.channel, external_id=external_id, raw=raw, received_at=now,
                    holder=self.holder, handled_at=None,
                ).on_conflict_do_nothing(index_elements=["channel", "external_id"]))
                if result.rowcount:  # type: ignore[attr-defined]
                    fresh.add(external_id)
        return fresh

    async def mark_handled(self, external_id: str) -> None:
        async with self._db.transaction() as session:
            await session.execute(update(InboundMessage).where(
                InboundMessage.channel == self.channel,
                InboundMessage.external_id == external_id,
                InboundMessage.handled_at.is_(None)).values(handled_at=self._clock.now()))

    async def claim_waiting(self, limit: int = CLAIM_BATCH) -> list[tuple[str, dict[str, Any]]]:
        """The messages taken in but never handled whose holder is gone (a crash, a kill, a
        stop), oldest first, now held by this worker."""
        me = self.holder
        async with self._db.transaction() as session:
            gone = InboundMessage.holder != me
            if session.get_bind().dialect.name == "postgresql":
                alive = select(literal(1)).select_from(text("pg_stat_activity")).where(
                    text("pg_stat_activity.pid = inbound_messages.holder"))
                gone = gone & ~alive.exists()
            rows = (await session.execute(
                select(InboundMessage.id, InboundMessage.external_id, InboundMessage.raw)
                .where(InboundMessage.channel == self.channel,
                       InboundMessage.handled_at.is_(None), gone)
                .order_by(InboundMessage.id).limit(limit)
                .with_for_update(skip_locked=True))).all()
            if rows:
                await session.execute(update(InboundMessage).where(
                    InboundMessage.id.in_([row.id for row in rows])).values(
                    holder=me).execution_options(synchronize_session=False))
        return [(row.external_id, dict(row.raw)) for row in rows]

    async def handled_at(self, external_id: str) -> datetime | None:
        async with self._db.transaction() as session:
            return await session.scalar(select(InboundMessage.handled_at).where(
                InboundMessage.channel == self.channel,
                InboundMessage.external_id == external_id))


class Sweeper:
    """Takes over what a dead worker left: once at start (``first_pass`` can be awaited), then
    every :data:`SWEEP_EVERY` seconds until stopped."""

    def __init__(self, inbox: DurableInbox,
                 handle: Callable[[list[tuple[str, dict[str, Any]]]], Awaitable[None]], *,
                 repeat: bool = True) -> None:
        self._inbox, self._handle, self._repeat = inbox, handle, repeat
        self._task: asyncio.Task[None] | None = None
        self._first = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"{self._inbox.channel} inbox sweep")

    async def first_pass(self) -> None:
        """Wait until what waited at start is handled."""
        if self._task is not None:
            waiter = asyncio.create_task(self._first.wait())
            await asyncio.wait({waiter, self._task}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()

    async def _run(self) -> None:
        while True:
            try:
                waiting = await self._inbox.claim_waiting()
                if waiting:
                    log.info("handling %d %s messages a stopped worker left", len(waiting),
                             self._inbox.channel)
                    await self._handle(waiting)
            except Exception:  # a database hiccup: look again next time
                log.exception("the %s inbox sweep failed", self._inbox.channel)
            self._first.set()
            if not self._repeat:
                return
            await asyncio.sleep(SWEEP_EVERY)

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
