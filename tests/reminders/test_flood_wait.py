"""Several workers, long flood waits and slow batches: a row is never sent by two workers.

The outbox sends go through the production rate limiter here (``rate_limit=True``), so these
tests prove it hands a 429 straight back instead of sleeping it out inside the call: a drain
that slept an hour would time out the ``wait_for`` below. Time is the test's ManualClock.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from telegram.error import RetryAfter

import kla_bot.outbox_sender
from kla_bot.channels.telegram import outbox as telegram_outbox
from kla_bot.channels.telegram.application import build_application
from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.channels.telegram.sender import LEASE, drain
from kla_bot.clock import ManualClock, local_today
from kla_bot.deps import Deps
from kla_bot.models import Member
from kla_bot.services import delivery, outbox
from kla_bot.services.delivery import Claimed
from kla_bot.services.outbox_kinds import Brief
from kla_bot.standin import BotApiStandin, StandinRequest
from tests.reminders.helpers import (
    IGNORE_PTB_DEPRECATION,
    outbox_rows,
    started_app,
    started_user,
)
from tests.reminders.seed import add_member

pytestmark = IGNORE_PTB_DEPRECATION

HOUR = timedelta(hours=1)


@pytest.fixture
async def limited(deps: Deps, standin: BotApiStandin) -> AsyncIterator[KlaApplication]:
    """The production Application with its rate limiter, started, no polling."""
    async with started_app(deps, standin, rate_limit=True) as application:
        yield application


async def _queue_briefs(deps: Deps, standin: BotApiStandin, *chats: int) -> list[Member]:
    """One morning brief queued for each of these (started) chats, in this order."""
    payload = Brief(days_left=11, day=date(2025, 5, 5), verification_date=date(2025, 5, 16),
                    projected=Decimal(685), target=701, predicate="Nindya", needed=Decimal(16),
                    open=3, submitted=0, approved=0, overdue=0)
    members = []
    for chat in chats:
        started_user(standin, chat, f"Anggota {chat}")
        async with deps.db.transaction() as s:
            member = await add_member(s, deps.workspace, deps.clock.now(),
                                      name=f"Anggota {chat}", chat_id=chat)
            await outbox.enqueue(s, dedupe_key=f"brief:{chat}", chat_id=chat,
                                 recipient_id=member.id, payload=payload, now=deps.clock.now(),
                                 day=local_today(deps.clock, deps.settings.tz),
                                 tz=deps.settings.tz)
        members.append(member)
    return members


async def _claim(deps: Deps) -> list[Claimed]:
    """What a second worker on the same database would get if it looked now."""
    async with deps.db.transaction() as s:
        return await delivery.claim_due(s, now=deps.clock.now(), limit=100, lease=LEASE)


async def test_long_flood_wait_reschedules_the_row_and_holds_every_worker_off(
        limited: KlaApplication, deps: Deps, standin: BotApiStandin,
        clock: ManualClock) -> None:
    await _queue_briefs(deps, standin, 1001, 1002, 1003)
    standin.fail_next("sendMessage", status=429, retry_after=3600, chat_id=1001)
    start = clock.now()
    assert await asyncio.wait_for(drain(limited), 10) == 0
    assert len(standin.calls_to("sendMessage")) == 1  # nothing else went out, nothing retried
    rows = await outbox_rows(deps)
    assert [(r.state, r.attempts, r.not_before) for r in rows] == [
        ("pending", 0, start + HOUR)] * 3  # never dropped; the whole batch waits the hour
    clock.advance(HOUR - timedelta(seconds=1))
    assert await _claim(deps) == []  # a second worker cannot take them early
    assert await asyncio.wait_for(drain(limited), 10) == 0
    assert len(standin.calls_to("sendMessage")) == 1
    clock.advance(timedelta(seconds=1))
    assert await asyncio.wait_for(drain(limited), 10) == 3
    # Once each (1001 may come last: its chat is still cooling down from the refused try).
    assert sorted(m.chat_id for m in standin.sent) == [1001, 1002, 1003]


async def test_second_application_on_the_same_database_waits_too(
        limited: KlaApplication, deps: Deps, standin: BotApiStandin,
        clock: ManualClock) -> None:
    await _queue_briefs(deps, standin, 1001, 1002)
    standin.fail_next("sendMessage", status=429, retry_after=3600, chat_id=1001)
    await asyncio.wait_for(drain(limited), 10)
    other = build_application(deps, request=StandinRequest(standin), rate_limit=False)
    await other.initialize()
    try:
        clock.advance(timedelta(minutes=30))  # long past the 30 s lease
        assert await drain(other) == 0
        assert standin.sent == []
        clock.advance(timedelta(minutes=30))
        assert await drain(other) == 2
    finally:
        await other.shutdown()
    assert await drain(limited) == 0
    assert sorted(m.chat_id for m in standin.sent) == [1001, 1002]  # once each


async def test_flood_wait_met_by_a_handler_reply_stops_outbox_sends_before_they_go(
        limited: KlaApplication, deps: Deps, standin: BotApiStandin,
        clock: ManualClock) -> None:
    await _queue_briefs(deps, standin, 1001)
    standin.fail_next("sendMessage", status=429, retry_after=600, chat_id=1001)
    with pytest.raises(RetryAfter):  # a reply is not held for ten minutes either
        await asyncio.wait_for(limited.bot.send_message(1001, "balasan"), 10)
    assert await asyncio.wait_for(drain(limited), 10) == 0
    assert len(standin.calls_to("sendMessage")) == 1  # the outbox send never reached Telegram
    (row,) = await outbox_rows(deps)
    assert (row.state, row.not_before) == ("pending", clock.now() + timedelta(minutes=10))


async def test_handler_replies_keep_the_limiters_retries_for_short_waits(
        limited: KlaApplication, standin: BotApiStandin,
        monkeypatch: pytest.MonkeyPatch) -> None:
    started_user(standin, 1001, "Ani")
    slept: list[float] = []
    real_sleep = asyncio.sleep

    async def no_wall_clock(delay: float, result: Any = None) -> Any:
        slept.append(delay)
        return await real_sleep(0, result)

    monkeypatch.setattr(asyncio, "sleep", no_wall_clock)  # the limiter's wait, not taken
    standin.fail_next("sendMessage", status=429, retry_after=2, chat_id=1001)
    await asyncio.wait_for(limited.bot.send_message(1001, "balasan"), 10)
    assert [m.plain for m in standin.sent] == ["balasan"]
    assert len(standin.calls_to("sendMessage")) == 2
    assert pytest.approx(2.1) in slept  # waited out inside the call, then retried


Send = Callable[..., Awaitable[list[int]]]


def _slow_sends(monkeypatch: pytest.MonkeyPatch, before_each: Callable[[], Awaitable[None]]
                ) -> None:
    """Run ``before_each`` inside every outbox send, before the request (time passing, another
    worker looking)."""
    real: Send = telegram_outbox.send

    async def send(*args: Any, **kwargs: Any) -> list[int]:
        await before_each()
        return await real(*args, **kwargs)

    monkeypatch.setattr(telegram_outbox, "send", send)


async def test_a_batch_slower_than_the_lease_keeps_its_rows(
        bot: KlaApplication, standin: BotApiStandin, clock: ManualClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    deps = bot.bot_data.deps
    await _queue_briefs(deps, standin, 1001, 1002, 1003, 1004)
    taken: list[list[Claimed]] = []

    async def slow() -> None:  # each send starts 25 s after the previous one
        clock.advance(timedelta(seconds=25))
        taken.append(await _claim(deps))

    _slow_sends(monkeypatch, slow)
    assert await drain(bot) == 4  # 100 s for a batch claimed with a 30 s lease
    assert taken == [[], [], [], []]
    assert [m.chat_id for m in standin.sent] == [1001, 1002, 1003, 1004]
    assert {r.state for r in await outbox_rows(deps)} == {"sent"}


async def test_rows_taken_after_a_lapsed_lease_are_left_to_their_new_worker(
        bot: KlaApplication, standin: BotApiStandin, clock: ManualClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    deps = bot.bot_data.deps
    await _queue_briefs(deps, standin, 1001, 1002, 1003)
    taken: list[Claimed] = []

    async def stalled() -> None:  # the worker stalls past its lease; another one steps in
        if not taken:
            clock.advance(LEASE + timedelta(seconds=10))
            taken.extend(await _claim(deps))

    _slow_sends(monkeypatch, stalled)
    assert await drain(bot) == 1
    assert [r.chat_id for r in taken] == [1001, 1002, 1003]  # 1001 was in flight: at most it
    assert [m.chat_id for m in standin.sent] == [1001]  # 1002 and 1003 are the other's now


async def test_the_heartbeat_renews_the_lease_while_a_send_is_in_flight(
        bot: KlaApplication, standin: BotApiStandin, clock: ManualClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    deps = bot.bot_data.deps
    await _queue_briefs(deps, standin, 1001)
    monkeypatch.setattr(kla_bot.outbox_sender, "HEARTBEAT", 0)
    taken: list[list[Claimed]] = []

    async def long_send() -> None:  # one send that takes twice the lease
        start = (await outbox_rows(deps))[0].locked_until
        for _ in range(2):
            clock.advance(LEASE * 3 / 4)
            for _ in range(1000):  # let the heartbeat run (no wall-clock wait)
                await asyncio.sleep(0)
                if (await outbox_rows(deps))[0].locked_until != start:
                    break
            start = (await outbox_rows(deps))[0].locked_until
            taken.append(await _claim(deps))

    _slow_sends(monkeypatch, long_send)
    assert await drain(bot) == 1
    assert taken == [[], []]
    assert [m.chat_id for m in standin.sent] == [1001]


async def test_renew_only_extends_rows_still_held(deps: Deps, standin: BotApiStandin,
                                                  clock: ManualClock) -> None:
    await _queue_briefs(deps, standin, 1001, 1002)
    first = await _claim(deps)
    held_until = clock.now() + LEASE
    clock.advance(LEASE / 2)
    async with deps.db.transaction() as s:
        assert await delivery.renew(s, [r.id for r in first], held_until=held_until,
                                    until=clock.now() + LEASE) == {r.id for r in first}
    clock.advance(LEASE)
    assert await _claim(deps) == []  # renewed: still held
    clock.advance(LEASE)
    second = await _claim(deps)  # lapsed: another worker takes them
    assert [r.id for r in second] == [r.id for r in first]
    async with deps.db.transaction() as s:
        assert await delivery.renew(s, [r.id for r in first],
                                    held_until=held_until + LEASE / 2,
                                    until=clock.now() + LEASE) == set()
