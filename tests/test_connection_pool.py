"""A worker's PostgreSQL connections: opened at start, kept open through bursts.

SQLAlchemy's default pool (5, plus 10 opened for a burst and closed again when returned) made
every burst of updates open and close connections, which cost more CPU than the answers.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from kla_bot.db import Database
from tests.dbs import postgres_only

# More than SQLAlchemy's default pool keeps (5): a burst of them used to close 3 again.
CONNECTIONS = 8


async def burst(db: Database) -> set[int]:
    """``CONNECTIONS`` reads holding their connections at the same moment: their backends."""
    all_in = asyncio.Barrier(CONNECTIONS)

    async def read() -> int:
        async with db.lone_read() as session:
            pid = await session.scalar(text("SELECT pg_backend_pid()"))
            await all_in.wait()  # each holds its connection until every one has one
            assert isinstance(pid, int)
            return pid

    return set(await asyncio.gather(*(read() for _ in range(CONNECTIONS))))


@postgres_only("a pool of connections is PostgreSQL's (SQLite has one file)")
async def test_a_worker_opens_every_connection_at_start_and_keeps_them(
        database_url: str) -> None:
    db = Database(database_url, connections=CONNECTIONS)
    try:
        await db.open_connections()
        assert db.engine.pool.checkedin() == CONNECTIONS  # type: ignore[attr-defined]
        first = await burst(db)
        second = await burst(db)
        assert len(first) == CONNECTIONS
        assert second == first  # the same server processes: nothing closed, nothing opened
        assert db.engine.pool.checkedin() == CONNECTIONS  # type: ignore[attr-defined]
    finally:
        await db.dispose()
