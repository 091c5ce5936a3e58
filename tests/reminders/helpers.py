"""Fixtures for the reminders tests: the real Application wired to an in-process stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import datetime

import pytest
from sqlalchemy import select

from kla_bot.channels.telegram.application import build_application
from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.clock import ManualClock
from kla_bot.deps import Deps
from kla_bot.models import OutboxMessage
from kla_bot.standin import BotApiStandin, StandinRequest

# PTB warns that RetryAfter.retry_after will become a timedelta; not ours to change here.
IGNORE_PTB_DEPRECATION = pytest.mark.filterwarnings(
    "ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
def stand(clock: ManualClock) -> Iterator[BotApiStandin]:
    """A stand-in whose message dates follow the test clock."""
    state = BotApiStandin(token="123456:TEST-TOKEN-abcdefghijklmnopqrstuvwxyz",
                          clock=clock.now)
    yield state
    state.close()


@pytest.fixture
async def app(deps: Deps, stand: BotApiStandin) -> AsyncIterator[KlaApplication]:
    """The production Application (without the wall-clock rate limiter), started, no polling."""
    async with started_app(deps, stand, rate_limit=False) as application:
        yield application


@asynccontextmanager
async def started_app(deps: Deps, stand: BotApiStandin, *,
                      rate_limit: bool) -> AsyncIterator[KlaApplication]:
    """The production Application against the stand-in, started without polling."""
    application = build_application(deps, request=StandinRequest(stand), rate_limit=rate_limit)
    await application.initialize()
    await application.start()
    try:
        yield application
    finally:
        await application.stop()
        await application.shutdown()


def started_user(stand: BotApiStandin, user_id: int, name: str, lang: str = "id") -> None:
    """A Telegram user who has opened the bot, so it may write to them."""
    user = stand.add_user(name, user_id=user_id, language_code=lang)
    user.started = True


async def outbox_rows(deps: Deps) -> list[OutboxMessage]:
    async with deps.db.transaction() as s:
        return list(await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def local(moment: datetime | None, deps: Deps) -> str:
    assert moment is not None
    return moment.astimezone(deps.settings.tz).strftime("%a %d %b %H:%M")
