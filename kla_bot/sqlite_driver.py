"""aiosqlite with one trip to the connection's thread per statement.

aiosqlite runs every call of the sqlite3 module in a thread of its own, and SQLAlchemy makes
four such calls for each statement (open a cursor, execute, fetch all, close). Each is a
hand-over between the event loop and that thread — a queue put, a thread wake-up, the GIL
changing hands, a wake-up of the loop — and those hand-overs, not SQLite, were most of the
CPU a short read cost (``bench/README.md``, ``update_mix_bench.py``). Here the cursor is
opened, run, drained and closed in one call in the thread; the rows wait in the cursor for
SQLAlchemy to fetch them. The database never streams results (no server-side cursors), so
holding a statement's rows is what SQLAlchemy did anyway.

It sits under SQLAlchemy at aiosqlite's level (``async_creator``), not inside SQLAlchemy's
adapter, so it does not depend on SQLAlchemy's internals; it uses aiosqlite's ``_execute``
(run a function in the connection's thread) and ``_conn``, stable across the pinned versions
(``pyproject.toml``); ``tests/test_sqlite_driver.py`` counts the trips and checks results,
counts, errors and rollback.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from typing import Any

import aiosqlite
from aiosqlite.context import contextmanager
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine import URL

# Rows arrive as plain tuples, as the sqlite3 cursor returns them.
Row = Any


def _run(connection: sqlite3.Connection, sql: str, parameters: Any,
         many: bool) -> tuple[sqlite3.Cursor, list[Row]]:
    """In the connection's thread: the statement, all its rows, the cursor closed."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
    finally:
        cursor.close()
    return cursor, rows


class OneTripCursor(aiosqlite.Cursor):
    """An aiosqlite cursor whose statement costs one trip to the thread (see the module)."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.iter_chunk_size = conn._iter_chunk_size
        self._conn = conn
        self._done: sqlite3.Cursor | None = None  # closed; keeps description and counts
        self._rows: deque[Row] = deque()

    async def _statement(self, sql: str, parameters: Any, many: bool) -> OneTripCursor:
        self._done, rows = await self._conn._execute(  # type: ignore[no-untyped-call]
            _run, self._conn._conn, sql, parameters, many)
        self._rows = deque(rows)
        return self

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None,
                      ) -> OneTripCursor:
        return await self._statement(sql, [] if parameters is None else parameters, False)

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]],
                          ) -> OneTripCursor:
        return await self._statement(sql, parameters, True)

    async def executescript(self, sql_script: str) -> OneTripCursor:
        await self._conn._execute(  # type: ignore[no-untyped-call]
            self._conn._conn.executescript, sql_script)
        return self

    async def fetchone(self) -> Row | None:
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Row]:
        count = min(len(self._rows), self.arraysize if size is None else size)
        return [self._rows.popleft() for _ in range(count)]

    async def fetchall(self) -> list[Row]:
        rows = list(self._rows)
        self._rows.clear()
        return rows

    async def close(self) -> None:
        """The sqlite3 cursor was closed in the thread already."""
        self._rows.clear()

    @property
    def rowcount(self) -> int:
        return self._done.rowcount if self._done is not None else -1

    @property
    def lastrowid(self) -> int | None:
        return self._done.lastrowid if self._done is not None else None

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        """Rows are held here already: the size of a fetch changes nothing."""

    @property
    def description(self) -> Any:
        return self._done.description if self._done is not None else None


class OneTripConnection(aiosqlite.Connection):
    """An aiosqlite connection whose cursors are :class:`OneTripCursor`."""

    @contextmanager
    async def cursor(self) -> OneTripCursor:  # type: ignore[override]
        """A cursor; nothing is opened in the thread until its statement runs."""
        return OneTripCursor(self)

    async def commit(self) -> None:
        """Commit; with no transaction open (a lone read, ``Database.lone_read``) there is
        nothing to send to the thread."""
        if self.in_transaction:
            await super().commit()

    async def rollback(self) -> None:
        if self.in_transaction:
            await super().rollback()


def one_trip_creator(url: URL) -> Callable[[], Awaitable[OneTripConnection]]:
    """``async_creator`` for ``create_async_engine``: a connection to ``url``, opened with the
    arguments the aiosqlite dialect would use."""
    args, kwargs = SQLiteDialect_aiosqlite().create_connect_args(url)

    async def create() -> OneTripConnection:
        connection = OneTripConnection(partial(sqlite3.connect, *args, **kwargs),
                                       iter_chunk_size=64)
        # As SQLAlchemy does for aiosqlite's own connections: a connection left open must not
        # keep the process from exiting.
        connection._thread.daemon = True
        await connection  # starts the thread, opens the database
        return connection

    return create
