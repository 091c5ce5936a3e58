"""The database: one engine, one session per unit of work, migrations applied by Alembic."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

import migrations
from kla_bot.sqlite_driver import one_trip_creator

MIGRATIONS_DIR = Path(migrations.__file__).parent


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at the packaged migrations (no alembic.ini needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _prepare_sqlite_path(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


BUSY_TIMEOUT_MS = 30_000  # a writer waits this long for another's transaction before failing


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver would open transactions itself, lazily and DEFERRED; we begin them (below).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # A DEFERRED transaction that reads and then writes fails at once with "database is
    # locked" when another writer holds the lock: SQLite cannot wait for a lock upgrade
    # (the busy timeout does not apply). IMMEDIATE takes the write lock at BEGIN, where the
    # busy timeout does apply, so writers queue instead of failing. Readers are not blocked
    # (WAL), and read-only units of work use ``snapshot()``, which begins DEFERRED.
    mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
    if mode is not None:  # None: a lone read (Database.lone_read) needs no transaction
        connection.exec_driver_sql(f"BEGIN {mode}")


def _sqlite_reset(dbapi_connection: Any, record: Any, state: Any) -> None:
    # The pool's own reset is a ROLLBACK on every return, a round trip to the driver's thread
    # after each unit of work although its COMMIT or ROLLBACK already ended the transaction
    # (BEGIN is ours, see below). Roll back only a transaction that is still open.
    if state.asyncio_safe and record.driver_connection.in_transaction:
        dbapi_connection.rollback()


class Database:
    """Owns the engine; hands out one transaction per update, job or command."""

    def __init__(self, url: str) -> None:
        self.url = url
        _prepare_sqlite_path(url)
        is_sqlite = make_url(url).get_backend_name() == "sqlite"
        options: dict[str, Any] = {}
        if is_sqlite:  # see _sqlite_reset and kla_bot.sqlite_driver
            options = {"pool_reset_on_return": None,
                       "async_creator": one_trip_creator(make_url(url))}
        self.engine: AsyncEngine = create_async_engine(url, **options)
        if is_sqlite:
            event.listen(self.engine.sync_engine, "reset", _sqlite_reset)
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._readers = async_sessionmaker(
            self.engine.execution_options(sqlite_begin="DEFERRED"), expire_on_commit=False)
        self._lone_readers = async_sessionmaker(
            self.engine.execution_options(sqlite_begin=None), expire_on_commit=False)
        self._holders: set[asyncio.Task[Any] | None] = set()  # tasks inside a transaction

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: committed at the end, rolled back whole on any error.

        On SQLite it holds the write lock from BEGIN (see ``_sqlite_begin``). One opened inside
        another of the same task begins DEFERRED instead: it may read, and does not wait for
        the lock its own caller holds."""
        task = asyncio.current_task()
        nested = task in self._holders
        if not nested and task is not None:
            self._holders.add(task)
        try:
            async with (self._readers if nested else self.sessions)() as session, \
                    session.begin():
                yield session
        finally:
            if not nested:
                self._holders.discard(task)

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[AsyncSession]:
        """A unit of work that only reads: it never waits for (or blocks) a writer on SQLite."""
        async with self._readers() as session, session.begin():
            yield session

    @asynccontextmanager
    async def lone_read(self) -> AsyncIterator[AsyncSession]:
        """A unit of work that is one SELECT, no more: a single statement is a consistent
        snapshot by itself, so on SQLite it runs without BEGIN and COMMIT (two trips to the
        driver's thread saved; on PostgreSQL it is a ``snapshot()``)."""
        async with self._lone_readers() as session, session.begin():
            yield session

    async def upgrade(self) -> None:
        """Apply pending migrations, then refresh the shipped KLA catalog."""
        from kla_bot.services.catalog import sync_catalog

        async with self.engine.begin() as conn:
            await conn.run_sync(self._run_upgrade)
        async with self.transaction() as session:
            await sync_catalog(session)

    def _run_upgrade(self, connection: Connection) -> None:
        cfg = alembic_config(self.url)
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")

    async def dispose(self) -> None:
        await self.engine.dispose()
