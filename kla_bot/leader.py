"""Exactly one scheduler leader among several ``run`` workers on one PostgreSQL database.

Every worker schedules the daily reminder jobs, but a job does its work only in the worker that
leads (:func:`handlers.remind.queue_due_now` asks ``deps.leader.leading``). The leader is the
holder of a PostgreSQL session advisory lock, taken with ``pg_try_advisory_lock`` on a
connection of its own that stays open for the worker's life. The others try again every
:data:`RETRY_SECONDS`; when the leader dies its connection closes, PostgreSQL releases the lock,
and the next try of another worker takes it over (and catches up on what is due now). A machine
that vanishes without closing its connection is noticed by TCP keepalives within
:data:`KEEPALIVE_SECONDS`, so the schedule moves within a minute either way.

A brief overlap — the old leader still finishing a job while the new one starts — is harmless:
reminders are queued under dedupe keys (member + kind + local day/slot), so a reminder queued
twice is stored once, and the outbox sends each row once.

On SQLite (one process, by design: :mod:`kla_bot.single_instance`) the one worker leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from kla_bot.config import Settings
from kla_bot.single_instance import LOCK_SPACE, advisory_key

log = logging.getLogger(__name__)

RETRY_SECONDS = 5.0  # a follower tries for the lock this often; the leader checks its line
# The server's TCP keepalives on the lock connection: idle 20 s, then 4 probes 5 s apart.
KEEPALIVE_SECONDS = 40
_KEEPALIVES = {"tcp_keepalives_idle": "20", "tcp_keepalives_interval": "5",
               "tcp_keepalives_count": "4"}


class Leadership(Protocol):
    @property
    def leading(self) -> bool: ...

    # The server process of the worker's lock connection: it lives as long as the worker,
    # so it names the worker to the others (kla_bot.inbox); None without one.
    @property
    def backend_pid(self) -> int | None: ...


class AlwaysLeader:
    """One process (SQLite, the console, most tests): it leads."""

    leading = True
    backend_pid = None


def bot_identity(settings: Settings) -> str:
    """What names this bot among others on the same database: the token's bot id, or the
    WhatsApp number id for a WhatsApp-only bot."""
    if settings.bot.token:
        return settings.bot.token.partition(":")[0]
    return settings.whatsapp.phone_number_id if settings.whatsapp is not None else ""


class AdvisoryLeader:
    """Leads while it holds the scheduler's advisory lock on its own connection."""

    def __init__(self, database_url: str, bot_id: str, *, retry: float = RETRY_SECONDS,
                 on_elected: Callable[[], Awaitable[object]] | None = None) -> None:
        self.key = advisory_key(f"{bot_id}:scheduler")
        self.retry = retry
        self.on_elected = on_elected
        self.leading = False
        self.backend_pid: int | None = None  # the lock connection's server process
        self._engine: AsyncEngine = create_async_engine(
            database_url, poolclass=NullPool,
            connect_args={"server_settings": {
                "application_name": f"kla-bot scheduler pid {os.getpid()}", **_KEEPALIVES}})
        self._conn: AsyncConnection | None = None
        self._task: asyncio.Task[None] | None = None

    async def attempt(self) -> bool:
        """One round: a leader checks that its connection (and so the lock) is still there; a
        follower tries to take the lock. Returns whether this worker leads now."""
        try:
            if self._conn is None:
                self._conn = await self._engine.connect()
                self.backend_pid = await self._conn.scalar(text("SELECT pg_backend_pid()"))
                await self._conn.commit()
            if self.leading:
                await self._conn.scalar(text("SELECT 1"))
            else:
                self.leading = bool(await self._conn.scalar(
                    text("SELECT pg_try_advisory_lock(:space, :key)"),
                    {"space": LOCK_SPACE, "key": self.key}))
            await self._conn.commit()  # a session lock outlives the transaction
        except Exception as exc:  # the connection is gone: so is the lock, if we had it
            if self.leading:
                log.warning("lost the scheduler lock (%s); trying to take it again",
                            type(exc).__name__)
            self.leading = False
            await self._drop_connection()
        return self.leading

    async def _drop_connection(self) -> None:
        conn, self._conn, self.backend_pid = self._conn, None, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.invalidate()
            with contextlib.suppress(Exception):
                await conn.close()

    async def step(self) -> None:
        """:meth:`attempt`, and on becoming the leader, the catch-up (``on_elected``)."""
        was = self.leading
        if await self.attempt() and not was:
            log.info("this worker leads the reminder schedule")
            if self.on_elected is not None:
                try:
                    await self.on_elected()
                except Exception:  # the next job slot tries again
                    log.exception("the catch-up after taking the schedule over failed")

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.retry)
            await self.step()

    def start(self) -> None:
        """Keep trying (or checking) every :attr:`retry` seconds, until :meth:`stop`."""
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="kla-bot scheduler leader")

    async def stop(self) -> None:
        """Stop trying and close the connection: the lock goes to another worker."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()
            self._conn, self.backend_pid = None, None
        self.leading = False
        await self._engine.dispose()


def is_postgres(database_url: str) -> bool:
    return make_url(database_url).get_backend_name() == "postgresql"
