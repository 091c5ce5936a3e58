"""Exactly one scheduler leader: the holder of a PostgreSQL advisory lock queues the reminders;
another worker takes the schedule over when the leader's connection goes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime

import asyncpg
import pytest
from sqlalchemy import func, select

from handlers.remind import queue_due_now
from kla_bot.channels.serving import led
from kla_bot.deps import Deps
from kla_bot.leader import AdvisoryLeader, AlwaysLeader, bot_identity
from kla_bot.models import OutboxMessage
from kla_bot.scheduler import DIGEST
from tests.conftest import WITA
from tests.dbs import backend, postgres_only
from tests.reminders.seed import add_member, add_task

MONDAY_8 = datetime(2025, 5, 5, 8, 0, tzinfo=WITA)  # a reminder slot
only_postgres = postgres_only(
    "the scheduler leader is a PostgreSQL advisory lock (SQLite runs one worker, which always "
    "leads)")


async def queued(deps: Deps) -> int:
    async with deps.db.transaction() as s:
        return int(await s.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


@pytest.fixture
async def due(deps: Deps) -> Deps:
    """A member with an open task, at a reminder slot: a digest is due."""
    deps.clock.set(MONDAY_8)  # type: ignore[attr-defined]
    async with deps.db.transaction() as s:
        ani = await add_member(s, deps.workspace, MONDAY_8, name="Ani", chat_id=1001)
        await add_task(s, deps.workspace, MONDAY_8, code="K3-12", assignee=ani,
                       due=date(2025, 5, 14))
    return deps


@pytest.fixture
async def leaders(deps: Deps) -> AsyncIterator[tuple[AdvisoryLeader, AdvisoryLeader]]:
    url, bot = deps.settings.database.url, bot_identity(deps.settings)
    first, second = AdvisoryLeader(url, bot), AdvisoryLeader(url, bot)
    yield first, second
    await first.stop()
    await second.stop()


async def terminate(database_url: str, pid: int) -> None:
    """Kill a server process from outside, as a dead worker's closed connection would end."""
    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://",
                                                      "postgresql://"))
    try:
        # With a timeout it returns once the process is gone (and its locks with it).
        assert await conn.fetchval("SELECT pg_terminate_backend($1, 10000)", pid)
    finally:
        await conn.close()


async def test_a_lone_worker_leads_and_queues_on_either_database(due: Deps) -> None:
    """SQLite runs one worker, which always leads; on PostgreSQL a lone worker takes the lock."""
    async with led(due):
        expected = AdvisoryLeader if backend() == "postgres" else AlwaysLeader
        assert isinstance(due.leader, expected) and due.leader.leading
        assert (await queue_due_now(due))[DIGEST].queued == 1


@only_postgres
async def test_only_one_worker_leads_and_a_follower_queues_nothing(
        due: Deps, leaders: tuple[AdvisoryLeader, AdvisoryLeader]) -> None:
    first, second = leaders
    assert await first.attempt() is True
    assert await second.attempt() is False
    assert await second.attempt() is False  # trying again changes nothing while it lives
    assert await first.attempt() is True  # the leader keeps leading
    due.leader = second
    assert await queue_due_now(due) == {}
    assert await queued(due) == 0
    due.leader = first
    assert (await queue_due_now(due))[DIGEST].queued == 1


@only_postgres
async def test_killing_the_leaders_connection_hands_the_schedule_over(
        due: Deps, leaders: tuple[AdvisoryLeader, AdvisoryLeader]) -> None:
    first, second = leaders
    caught_up: list[object] = []

    async def take_over() -> None:
        caught_up.append(await queue_due_now(due))

    second.on_elected = take_over
    due.leader = second
    assert await first.attempt() and not await second.attempt()
    assert first.backend_pid is not None
    await terminate(due.settings.database.url, first.backend_pid)
    await second.step()  # the follower's next try, a few seconds later
    assert second.leading and len(caught_up) == 1
    assert await queued(due) == 1  # the new leader caught up on the digest due now
    assert await first.attempt() is False  # the old one notices, and follows
    assert await second.attempt() is True


@only_postgres
async def test_a_leader_that_stops_lets_another_take_over(
        due: Deps, leaders: tuple[AdvisoryLeader, AdvisoryLeader]) -> None:
    first, second = leaders
    assert await first.attempt() and not await second.attempt()
    await first.stop()
    assert await second.attempt() is True


@only_postgres
async def test_two_runs_overlapping_queue_each_reminder_once(due: Deps) -> None:
    """Both think they lead for a moment (the old leader finishing a job while the new one
    starts): the dedupe keys keep one row per reminder."""
    assert (await queue_due_now(due))[DIGEST].queued == 1
    assert (await queue_due_now(due))[DIGEST].queued == 0
    assert await queued(due) == 1


@only_postgres
async def test_a_worker_on_postgres_leads_when_it_is_alone(due: Deps) -> None:
    async with led(due):
        assert isinstance(due.leader, AdvisoryLeader) and due.leader.leading
        async with led(due) as _:  # a second worker of the same bot
            assert not due.leader.leading
    assert not due.leader.leading  # stopped: the lock is released
