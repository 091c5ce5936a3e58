"""Shared fixtures: settings, a migrated database per test (SQLite or PostgreSQL), a clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kla_bot.channels.telegram.application import (
    build_application,
    start_application,
    stop_application,
)
from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.clock import ManualClock
from kla_bot.config import Settings, load_settings
from kla_bot.deps import Deps, create_deps
from kla_bot.standin import BotApiStandin, StandinFileSource, StandinRequest
from kla_bot.status_charts import StatusCharts, render_request
from tests.dbs import PostgresSession, SqliteTemplate, backend, postgres_answers

ROOT = Path(__file__).resolve().parent.parent
WITA = ZoneInfo("Asia/Makassar")
# Monday 5 May 2025, 09:00 WITA: the Banjar coordination meeting, H-11.
START = datetime(2025, 5, 5, 9, 0, tzinfo=WITA)


def pytest_report_header(config: pytest.Config) -> str:
    return f"kla-bot test database: {backend()}"


def pytest_sessionstart(session: pytest.Session) -> None:
    # Here, not in a fixture: with xdist this runs in the controller, before any worker starts.
    if backend() == "postgres" and not asyncio.run(postgres_answers()):
        pytest.exit("PostgreSQL does not answer at 127.0.0.1:5432: "
                    "SKIPPING the PostgreSQL run", returncode=0)


@pytest.fixture(scope="session")
def _database_source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    if backend() == "postgres":
        pg = PostgresSession()  # one per xdist worker: the name is random
        asyncio.run(pg.create())
        yield pg
        asyncio.run(pg.drop())
    else:
        template = SqliteTemplate(tmp_path_factory.mktemp("template"))
        asyncio.run(template.create())
        yield template


@pytest.fixture
async def database_url(_database_source: object, tmp_path: Path) -> str:
    """A freshly migrated, empty database (catalog loaded) for this test."""
    if isinstance(_database_source, PostgresSession):
        return await _database_source.reset()
    assert isinstance(_database_source, SqliteTemplate)
    return _database_source.copy_to(tmp_path / "kla.db")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The example configuration, pointed at this test's database and folders."""
    base = load_settings(ROOT / "config.example.toml", env={})
    return base.replace(
        bot={"token": "123456:TEST-TOKEN-abcdefghijklmnopqrstuvwxyz"},
        database={"url": database_url},
        storage={"path": str(tmp_path / "evidence")},
    )


def thread_charts() -> StatusCharts:
    """/status charts rendered in a thread: a process pool per test would double the /status
    tests' time (tests/coordinators/test_status_charts.py runs the real pool)."""
    return StatusCharts(render=lambda request: asyncio.to_thread(render_request, request))


@pytest.fixture
async def deps(settings: Settings, clock: ManualClock) -> AsyncIterator[Deps]:
    d = await create_deps(settings, clock, migrate=False)
    d.charts = thread_charts()
    yield d
    await d.db.dispose()


@pytest.fixture
def standin(settings: Settings, clock: ManualClock, tmp_path: Path) -> Iterator[BotApiStandin]:
    """The local Bot API; fails the test if the bot called anything it does not expect."""
    state = BotApiStandin(token=settings.bot.token, clock=clock.now,
                          file_dir=tmp_path / "standin-files")
    yield state
    unexpected = list(state.unexpected)
    state.close()
    assert unexpected == [], f"unexpected Bot API calls: {unexpected}"


@pytest.fixture
async def bot(settings: Settings, clock: ManualClock,
              standin: BotApiStandin) -> AsyncIterator[KlaApplication]:
    """The real Application (every handler, start-up hooks run) wired to the stand-in."""
    deps = await create_deps(settings, clock, file_source=StandinFileSource(standin), migrate=False)
    deps.charts = thread_charts()
    app = build_application(deps, request=StandinRequest(standin), rate_limit=False)
    await start_application(app, polling=False)
    yield app
    await stop_application(app)
