"""One ``bot.py run`` per bot and database: a second one refuses to start instead of fighting
the first over ``getUpdates`` (Telegram's 409 Conflict every few seconds).

SQLite: an advisory ``flock`` on a lock file beside the database, holding the owner's pid; the
kernel releases it when the process dies, even by ``kill -9``. PostgreSQL: a session advisory
lock keyed by the bot's id, held on a connection of its own that names the owner's pid
(``application_name``), so several bots can share one database but not one bot twice — when
the bot polls Telegram. Without polling (Telegram by webhook, or WhatsApp only) several workers
of one bot behind a load balancer are the point, so none is refused; one of them leads the
schedule (:mod:`kla_bot.leader`).
"""

from __future__ import annotations

import fcntl
import os
import re
import zlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from kla_bot.config import Settings
from kla_bot.errors import RuntimeFailure

LOCK_SPACE = 0x4B4C4142  # "KLAB": the first key of every kla-bot advisory lock
_OWNER = re.compile(r"^kla-bot pid (\d+)$")


@asynccontextmanager
async def single_instance(settings: Settings) -> AsyncIterator[None]:
    """Held while the bot runs; raises :class:`RuntimeFailure` if another instance holds it."""
    url = make_url(settings.database.url)
    if url.get_backend_name() == "postgresql" and not polls_telegram(settings):
        yield  # many workers, one schedule leader
    elif url.get_backend_name() == "postgresql":
        async with _advisory_lock(settings.database.url, settings.bot.token.partition(":")[0]):
            yield
    elif url.database in (None, "", ":memory:"):
        yield  # a private in-memory database: nothing to share
    else:
        with _file_lock(Path(f"{url.database}.lock")):
            yield


def polls_telegram(settings: Settings) -> bool:
    """Whether ``run`` long-polls Telegram (a token and no webhook URL): one poller only."""
    return bool(settings.bot.token) and not settings.bot.webhook_url


def _already_running(pid: str | None) -> RuntimeFailure:
    if pid:
        return RuntimeFailure("cli.run.already_running", pid=pid)
    return RuntimeFailure("cli.run.already_running_no_pid")


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _already_running(os.pread(fd, 32, 0).decode(errors="replace").strip()) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock; the file stays, so no one races to recreate it


def advisory_key(bot_id: str) -> int:
    """The second key of this bot's advisory lock (a stable non-negative int4)."""
    return zlib.crc32(f"kla-bot:{bot_id}".encode()) & 0x7FFFFFFF


@asynccontextmanager
async def _advisory_lock(database_url: str, bot_id: str) -> AsyncIterator[None]:
    key = advisory_key(bot_id)
    engine = create_async_engine(
        database_url, poolclass=NullPool,
        connect_args={"server_settings": {"application_name": f"kla-bot pid {os.getpid()}"}})
    try:
        async with engine.connect() as conn:
            got = await conn.scalar(text("SELECT pg_try_advisory_lock(:space, :key)"),
                                    {"space": LOCK_SPACE, "key": key})
            await conn.commit()
            if not got:
                owner = await conn.scalar(text(
                    "SELECT a.application_name FROM pg_locks l "
                    "JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 "
                    "AND l.classid::bigint = :space AND l.objid::bigint = :key "
                    "AND l.database = (SELECT oid FROM pg_database "
                    "WHERE datname = current_database())"), {"space": LOCK_SPACE, "key": key})
                match = _OWNER.match(owner or "")
                raise _already_running(match.group(1) if match else None)
            yield  # the connection stays open, and the lock with it, until the bot stops
    finally:
        await engine.dispose()
