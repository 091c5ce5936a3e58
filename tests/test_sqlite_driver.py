"""The SQLite driver: every statement in one trip to aiosqlite's thread, with the results,
counts, errors and transactions SQLAlchemy expects."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from kla_bot.db import Database
from kla_bot.sqlite_driver import OneTripConnection


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with database.transaction() as s:
        await s.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT UNIQUE)"))
    yield database
    await database.dispose()


def count_trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the name of every function handed to a connection's thread."""
    trips: list[str] = []
    original = OneTripConnection._execute

    async def counted(self: OneTripConnection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        trips.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(OneTripConnection, "_execute", counted)
    return trips


async def test_a_statement_is_one_trip_and_a_unit_of_work_adds_begin_and_commit(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    async with db.transaction() as s:  # a pooled connection, opened before counting
        await s.execute(text("SELECT 1"))
    trips = count_trips(monkeypatch)
    async with db.snapshot() as s:
        rows = (await s.execute(text("SELECT 1, 'a' UNION ALL SELECT 2, 'b'"))).all()
        assert await s.scalar(text("SELECT count(*) FROM notes")) == 0
    assert [tuple(r) for r in rows] == [(1, "a"), (2, "b")]
    # BEGIN, two SELECTs, COMMIT; no ROLLBACK when the connection goes back to the pool.
    assert trips == ["_run", "_run", "_run", "commit"]


async def test_a_lone_read_is_one_trip(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    async with db.transaction() as s:  # a pooled connection, opened before counting
        await s.execute(text("INSERT INTO notes (body) VALUES ('one')"))
    trips = count_trips(monkeypatch)
    async with db.lone_read() as s:
        assert list(await s.scalars(text("SELECT body FROM notes"))) == ["one"]
    assert trips == ["_run"]  # no BEGIN, no COMMIT, no ROLLBACK on the way back to the pool
    async with db.transaction() as s:  # the connection is not left inside a transaction
        await s.execute(text("INSERT INTO notes (body) VALUES ('two')"))
    assert trips[1:] == ["_run", "_run", "commit"]


async def test_writes_report_ids_and_counts_and_many_rows_go_in_one_trip(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    async with db.transaction() as s:
        inserted = await s.execute(text("INSERT INTO notes (body) VALUES ('first')"))
        assert inserted.lastrowid == 1  # type: ignore[attr-defined]
        await s.execute(text("INSERT INTO notes (body) VALUES (:body)"),
                        [{"body": f"note {n}"} for n in range(5)])
        changed = await s.execute(text("UPDATE notes SET body = body || '!' WHERE id > 3"))
        assert changed.rowcount == 3  # type: ignore[attr-defined]
        returned = await s.execute(text("DELETE FROM notes WHERE id > 4 RETURNING id"))
        assert sorted(returned.scalars()) == [5, 6]
    async with db.snapshot() as s:
        assert list(await s.scalars(text("SELECT body FROM notes ORDER BY id"))) == [
            "first", "note 0", "note 1", "note 2!"]


async def test_a_failing_statement_raises_and_rolls_the_unit_back(db: Database) -> None:
    with pytest.raises(IntegrityError):
        async with db.transaction() as s:
            await s.execute(text("INSERT INTO notes (body) VALUES ('kept?')"))
            await s.execute(text("INSERT INTO notes (body) VALUES ('kept?')"))
    async with db.transaction() as s:  # the connection is clean: no transaction left open
        assert await s.scalar(text("SELECT count(*) FROM notes")) == 0
        await s.execute(text("INSERT INTO notes (body) VALUES ('after')"))
    async with db.snapshot() as s:
        assert list(await s.scalars(text("SELECT body FROM notes"))) == ["after"]


async def test_rows_are_fetched_in_parts_as_sqlalchemy_asks(db: Database) -> None:
    async with db.transaction() as s:
        await s.execute(text("INSERT INTO notes (body) VALUES (:body)"),
                        [{"body": f"n{n}"} for n in range(7)])
    async with db.snapshot() as s:
        result = await s.execute(text("SELECT body FROM notes ORDER BY id"))
        assert [r[0] for r in result.fetchmany(3)] == ["n0", "n1", "n2"]
        assert result.fetchone()[0] == "n3"  # type: ignore[index]
        assert [r[0] for r in result.fetchall()] == ["n4", "n5", "n6"]
        assert result.fetchone() is None
