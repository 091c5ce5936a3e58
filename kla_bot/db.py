"""The database: one engine, one session per unit of work, migrations applied by Alembic."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Executable, event
from sqlalchemy.engine import Connection, CursorResult, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

import migrations
from kla_bot.config import DatabaseSettings
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


async def plain_rows(session: AsyncSession, statement: Executable,
                     params: Mapping[str, Any] | None = None,
                     ) -> CursorResult[*tuple[Any, ...]]:
    """Run a columns-only statement on the session's connection: plain rows, without the
    ORM's per-row loading (what a hot read of many rows spends most on)."""
    return await (await session.connection()).execute(statement, params)


class Database:
    """Owns the engine; hands out one transaction per update, job or command."""

    def __init__(self, url: str, connections: int = DatabaseSettings.connections) -> None:
        self.url, self.connections = url, connections
        _prepare_sqlite_path(url)
        self.is_sqlite = is_sqlite = make_url(url).get_backend_name() == "sqlite"
        # Every connection stays in the pool. SQLAlchemy's default (5, plus up to 10
        # "overflow" ones closed again when returned) opened and closed up to ten connections
        # in every burst of updates (on SQLite each with a thread and its pragmas), and
        # opening one costs more CPU than answering a /status.
        options: dict[str, Any] = {"pool_size": connections, "max_overflow": 0}
        if is_sqlite:  # see _sqlite_reset and kla_bot.sqlite_driver
            options |= {"pool_reset_on_return": None,
                        "async_creator": one_trip_creator(make_url(url))}
        self.engine: AsyncEngine = create_async_engine(url, **options)
        if is_sqlite:
            event.listen(self.engine.sync_engine, "reset", _sqlite_reset)
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._readers = async_sessionmaker(
            self.engine.execution_options(sqlite_begin="DEFERRED"), expire_on_commit=False)
        # A lone read sends no BEGIN and no COMMIT: SQLite's driver layer is told so, and
        # PostgreSQL runs it in autocommit (two round trips fewer).
        self._lone_readers = async_sessionmaker(
            self.engine.execution_options(sqlite_begin=None) if is_sqlite
            else self.engine.execution_options(isolation_level="AUTOCOMMIT"),
            expire_on_commit=False)
        self._holders: set[asyncio.Task[Any] | None] = set()  # tasks inside a transaction
        self._on_commit: dict[str, list[Callable[[], None]]] = {}

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
            async with (self._readers if nested else self.sessions)() as session:
                async with session.begin():
                    yield session
                self._committed(session)
        finally:
            if not nested:
                self._holders.discard(task)

    def when_committed(self, flag: str, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` after each unit of work that set ``session.info[flag]`` commits
        (the outbox sender wakes when a message was queued in this worker); returns what
        ends that."""
        callbacks = self._on_commit.setdefault(flag, [])
        callbacks.append(callback)
        return lambda: callbacks.remove(callback)

    def _committed(self, session: AsyncSession) -> None:
        for flag in [f for f in self._on_commit if session.info.pop(f, False)]:
            for callback in self._on_commit[flag]:
                callback()

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[AsyncSession]:
        """A unit of work that only reads: it never waits for (or blocks) a writer on SQLite."""
        async with self._readers() as session, session.begin():
            yield session

    @asynccontextmanager
    async def lone_read(self) -> AsyncIterator[AsyncSession]:
        """A unit of work that only reads, each statement on its own: one SELECT is a
        consistent snapshot by itself, and each further one sees what was committed before
        it (use ``snapshot()`` when statements must agree with each other). No BEGIN and no
        COMMIT: two trips to SQLite's driver thread, or two round trips to PostgreSQL, saved."""
        async with self._lone_readers() as session, session.begin():
            yield session

    async def open_connections(self) -> None:
        """Open every connection the pool keeps (PostgreSQL), as a worker starts: the first
        burst of updates then waits for none to be opened."""
        if self.is_sqlite:
            return

        async def opened() -> AsyncConnection:
            return await self.engine.connect()

        for connection in await asyncio.gather(*(opened() for _ in range(self.connections))):
            await connection.close()  # back to the pool, still open

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
