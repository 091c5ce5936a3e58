"""One Telegram rate budget for every worker: a fan-out drained by two workers on one PostgreSQL
database sends each message once, and never more than Telegram's 30 a second in total."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from handlers.remind import queue_due_now
from kla_bot.channels.telegram.sender import renderers
from kla_bot.clock import ManualClock
from kla_bot.deps import Deps, create_deps
from kla_bot.domain import Channel
from kla_bot.models import OutboxMessage
from kla_bot.outbox_channel import Outcome, RenderedMessage, Sent
from kla_bot.outbox_sender import BATCH, LEASE, OutboxSender
from kla_bot.pacing import Pacer
from kla_bot.rate_budget import TELEGRAM_BURST, TELEGRAM_RATE, SharedBudget, telegram_budget
from kla_bot.services import delivery
from kla_bot.services.delivery import Claimed
from kla_bot.services.routes import Route
from tests.conftest import WITA
from tests.dbs import postgres_only
from tests.reminders.seed import add_member, add_task

pytestmark = postgres_only(
    "the shared rate budget is a row in PostgreSQL (SQLite runs one worker, paced by its own "
    "pacer)")

MONDAY_8 = datetime(2025, 5, 5, 8, 0, tzinfo=WITA)
MEMBERS = 120
SEND_TIME = timedelta(milliseconds=3)  # what one request to Telegram takes, by the clock


@dataclass
class FakeTelegram:
    """A worker's Telegram adapter that records each send at the shared clock's time."""

    worker: str
    clock: ManualClock
    sends: list[tuple[float, int, str]]
    pacer: Pacer | None = None
    channel: Channel = field(default="telegram")

    async def send(self, row: Claimed, route: Route, rendered: RenderedMessage) -> Outcome:
        self.sends.append((self.clock.now().timestamp(), row.id, self.worker))
        self.clock.advance(SEND_TIME)
        await asyncio.sleep(0)  # the other worker runs meanwhile, as on the network
        return Sent([str(row.id)])


def pacer(deps: Deps, clock: ManualClock, *, shared: bool) -> Pacer:
    async def sleep(seconds: float) -> None:
        clock.advance(timedelta(seconds=seconds))
        await asyncio.sleep(0)

    def now() -> float:
        return clock.now().timestamp()

    return Pacer(monotonic=now, sleep=sleep,
                 shared=telegram_budget(deps, now) if shared else None)


def busiest_second(times: list[float]) -> int:
    """The most sends in any one-second window."""
    times = sorted(times)
    most, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


@pytest.fixture
async def fan_out(deps: Deps, clock: ManualClock) -> AsyncIterator[tuple[Deps, Deps]]:
    """A morning digest queued for MEMBERS members; a second worker's deps (its own engine)."""
    clock.set(MONDAY_8)
    async with deps.db.transaction() as s:
        for n in range(MEMBERS):
            member = await add_member(s, deps.workspace, MONDAY_8, name=f"M{n}",
                                      chat_id=10_000 + n)
            await add_task(s, deps.workspace, MONDAY_8, code=f"K3-{n}", assignee=member,
                           due=date(2025, 5, 14))
    assert sum(f.queued for f in (await queue_due_now(deps)).values()) == MEMBERS
    other = await create_deps(deps.settings, clock, migrate=False)
    yield deps, other
    await other.db.dispose()


async def drain_by_two(deps: Deps, other: Deps, clock: ManualClock, *,
                       shared: bool) -> list[tuple[float, int, str]]:
    sends: list[tuple[float, int, str]] = []
    senders = [OutboxSender(d, renderers, {"telegram": FakeTelegram(
        name, clock, sends, pacer(d, clock, shared=shared))})
        for name, d in (("first", deps), ("second", other))]
    await asyncio.gather(*(s.drain() for s in senders))
    return sends


async def test_two_workers_send_each_message_once_within_the_shared_rate(
        fan_out: tuple[Deps, Deps], clock: ManualClock) -> None:
    deps, other = fan_out
    sends = await drain_by_two(deps, other, clock, shared=True)
    ids = [row_id for _, row_id, _ in sends]
    assert len(ids) == len(set(ids)) == MEMBERS  # each once
    async with deps.db.transaction() as s:
        states = set(await s.scalars(select(OutboxMessage.state)))
    assert states == {"sent"}
    assert {worker for _, _, worker in sends} == {"first", "second"}
    assert busiest_second([t for t, _, _ in sends]) <= TELEGRAM_RATE + TELEGRAM_BURST < 30
    elapsed = max(t for t, _, _ in sends) - min(t for t, _, _ in sends)
    assert MEMBERS / elapsed >= 0.9 * TELEGRAM_RATE  # the budget is used, not wasted


async def test_a_claim_takes_one_batch_only(fan_out: tuple[Deps, Deps],
                                            clock: ManualClock) -> None:
    """Each worker takes BATCH rows at a time, so both have work (PostgreSQL once ran the
    claim's LIMIT … SKIP LOCKED subquery again and again, handing one worker every row)."""
    deps, other = fan_out
    async with deps.db.transaction() as s:
        first = await delivery.claim_due(s, now=clock.now(), limit=BATCH, lease=LEASE)
        async with other.db.transaction() as s2:  # while the first still holds its rows
            second = await delivery.claim_due(s2, now=clock.now(), limit=BATCH, lease=LEASE)
    assert len(first) == len(second) == BATCH
    assert not {r.id for r in first} & {r.id for r in second}


async def test_without_the_shared_budget_two_workers_would_exceed_telegrams_limit(
        fan_out: tuple[Deps, Deps], clock: ManualClock) -> None:
    """Why the budget is shared: each process's own pacer keeps only itself under 30/s."""
    deps, other = fan_out
    sends = await drain_by_two(deps, other, clock, shared=False)
    assert busiest_second([t for t, _, _ in sends]) > 30


async def test_the_bucket_refills_at_its_rate_and_tells_how_long_to_wait(
        deps: Deps, clock: ManualClock) -> None:
    budget = SharedBudget(deps.db, "test", now=lambda: clock.now().timestamp(),
                          rate=10.0, burst=2.0)
    assert [await budget.try_take() for _ in range(2)] == [0.0, 0.0]
    wait = await budget.try_take()
    assert wait == pytest.approx(0.1)
    clock.advance(timedelta(seconds=wait))
    assert await budget.try_take() == 0.0
    clock.advance(timedelta(seconds=60))  # a long pause refills only up to the burst
    assert [await budget.try_take() for _ in range(3)][-1] > 0
    other = SharedBudget(deps.db, "test", now=lambda: clock.now().timestamp(),
                         rate=10.0, burst=2.0)
    assert await other.try_take() > 0  # another worker draws from the same bucket


async def test_on_sqlite_the_budget_is_per_process(deps: Deps) -> None:
    sqlite = deps.settings.replace(database={"url": "sqlite+aiosqlite:///x.db"})
    assert telegram_budget(Deps(sqlite, deps.clock, deps.db, deps.workspace,
                                deps.file_source)) is None
    assert telegram_budget(deps) is not None
