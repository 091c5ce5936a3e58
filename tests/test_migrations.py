"""The schema comes from Alembic, and it is exactly the models' schema (no drift)."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from kla_bot.db import Database, alembic_config
from kla_bot.models import Base


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_upgrade_head_gives_exactly_the_models_schema(database_url: str) -> None:
    db = Database(database_url)
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(_diff)
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    await db.dispose()
    assert diff == []
    assert set(Base.metadata.tables) <= tables


async def test_alembic_check_finds_nothing_to_generate(database_url: str) -> None:
    db = Database(database_url)

    def check(connection: Connection) -> None:
        cfg = alembic_config(database_url)
        cfg.attributes["connection"] = connection
        command.check(cfg)  # raises when models and migrations disagree

    async with db.engine.connect() as conn:
        await conn.run_sync(check)
    await db.dispose()


async def test_catalog_is_loaded_with_24_indicators(deps) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from kla_bot.models import Indicator

    async with deps.db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Indicator)) == 24
        k3 = await s.scalars(select(Indicator.number).where(Indicator.cluster_code == "K3"))
        assert list(k3) == [12, 13, 14, 15, 16, 17]
