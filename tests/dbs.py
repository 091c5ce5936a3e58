"""Test databases: SQLite files, or a throw-away PostgreSQL database per test session.

``KLA_TEST_DB=postgres`` selects PostgreSQL (``KLA_TEST_PG_URL`` overrides the server,
default ``postgresql+asyncpg://postgres@127.0.0.1:5432/test``). Each session creates its own
database next to ``test`` so parallel runs never meet, and drops it at the end.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from kla_bot.db import Database
from kla_bot.models import Base
from kla_bot.services.catalog import sync_catalog

PG_URL = os.environ.get("KLA_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


def backend() -> str:
    return os.environ.get("KLA_TEST_DB", "sqlite")


def postgres_only(why: str) -> pytest.MarkDecorator:
    """Skip on SQLite a test of what only PostgreSQL has (several workers on one database),
    saying ``why`` and how to run it; CI runs the whole suite on PostgreSQL too."""
    return pytest.mark.skipif(backend() != "postgres",
                              reason=f"{why}; run with KLA_TEST_DB=postgres")


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def postgres_answers(url: str = PG_URL) -> bool:
    try:
        conn = await asyncpg.connect(_dsn(url), timeout=3)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


class PostgresSession:
    """One database for the whole pytest session, schema built once by migrations."""

    def __init__(self) -> None:
        self.name = f"kla_test_{uuid.uuid4().hex[:10]}"
        self.url = str(make_url(PG_URL).set(database=self.name).render_as_string(
            hide_password=False))

    async def create(self) -> None:
        conn = await asyncpg.connect(_dsn(PG_URL))
        try:
            await conn.execute(f'CREATE DATABASE "{self.name}"')
        finally:
            await conn.close()
        db = Database(self.url)
        await db.upgrade()
        await db.dispose()

    async def drop(self) -> None:
        conn = await asyncpg.connect(_dsn(PG_URL))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        finally:
            await conn.close()

    async def reset(self) -> str:
        """Empty every table (keeping the migrated schema) and reload the catalog."""
        db = Database(self.url)
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        async with db.transaction() as session:
            await session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            await sync_catalog(session)
        await db.dispose()
        return self.url


class SqliteTemplate:
    """A migrated SQLite file, copied for each test (faster than migrating each time)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "template.db"

    async def create(self) -> None:
        db = Database(f"sqlite+aiosqlite:///{self.path}")
        await db.upgrade()
        await db.dispose()

    def copy_to(self, target: Path) -> str:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.path, target)
        return f"sqlite+aiosqlite:///{target}"
