"""Fan-out over HTTP with ``bot.py run`` as a subprocess and Telegram's flood limits enforced."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from kla_bot.config import Settings
from kla_bot.deps import Deps
from kla_bot.models import Member, OutboxMessage
from kla_bot.standin import BotApiStandin, StandinServer
from tests.reminders.helpers import IGNORE_PTB_DEPRECATION
from tests.reminders.http_helpers import BotProcess, seed_team, write_config

pytestmark = [IGNORE_PTB_DEPRECATION, pytest.mark.e2e]


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[StandinServer]:
    """The HTTP stand-in, in this test's event loop, enforcing 30/s overall and 1/s per chat."""
    state = BotApiStandin(token=settings.bot.token)
    state.enforce_rate_limits(global_per_second=30)
    srv = StandinServer(state)
    await srv.start()
    yield srv
    await srv.stop()
    state.close()


def _digests(stand: BotApiStandin, chats: list[int]) -> Counter[int]:
    wanted = set(chats)
    return Counter(m.chat_id for m in stand.sent
                   if m.chat_id in wanted and "menuju verifikasi" in m.plain)


async def _outbox_states(deps: Deps) -> Counter[str]:
    async with deps.db.transaction() as s:
        return Counter(await s.scalars(select(OutboxMessage.state)))


async def test_fan_out_to_300_members_delivers_every_digest_exactly_once(
        deps: Deps, settings: Settings, server: StandinServer, tmp_path: Path) -> None:
    stand = server.state
    team = await seed_team(deps, stand, 300)
    blocked = team.member_chats[7]
    stand.users[blocked].block()
    for chat in team.member_chats[10:200:40]:  # flood waits and server errors on the way
        stand.fail_next("sendMessage", status=429, retry_after=1, chat_id=chat)
    for chat in team.member_chats[25:300:50]:
        stand.fail_next("sendMessage", status=502, chat_id=chat, times=2)
    injected_429 = stand.stats.too_many_requests
    bot = BotProcess(write_config(tmp_path / "config.toml", settings, server), tmp_path / "log")
    started = time.monotonic()
    await bot.start()
    expected = [c for c in team.member_chats if c != blocked]
    try:
        await stand.wait_for(lambda: len(_digests(stand, expected)) == len(expected)
                             and len(stand.messages_to(team.coordinator_chat)) == 2,
                             within=40)
    finally:
        status = await bot.stop()
    elapsed = time.monotonic() - started
    assert status == 0, bot.output()[-3000:]
    assert _digests(stand, expected) == Counter(dict.fromkeys(expected, 1))
    assert stand.duplicates() == []
    # Only the injected 429s: the sender's own pacing never tripped the enforced limits.
    assert stand.stats.too_many_requests - injected_429 == 5
    assert stand.stats.injected_5xx == 12
    coordinator = [m.plain for m in stand.messages_to(team.coordinator_chat)]
    assert sum("tidak dapat dihubungi" in text for text in coordinator) == 1
    assert sum("Ringkasan pagi" in text for text in coordinator) == 1
    async with deps.db.transaction() as s:
        member = await s.get(Member, team.member_ids[blocked])
        assert member is not None and member.reachable is False
    assert await _outbox_states(deps) == Counter({"sent": 301, "unreachable": 1})
    assert elapsed < 40


async def test_killed_mid_fan_out_the_rest_completes_without_duplicates(
        deps: Deps, settings: Settings, server: StandinServer, tmp_path: Path) -> None:
    stand = server.state
    team = await seed_team(deps, stand, 120)
    config = write_config(tmp_path / "config.toml", settings, server)
    first = BotProcess(config, tmp_path / "first.log")
    await first.start()
    try:
        await stand.wait_for(lambda: len(_digests(stand, team.member_chats)) >= 45, within=30)
    finally:
        await first.kill()
    before = len(_digests(stand, team.member_chats))
    assert before < 120, "the fan-out finished before the kill"
    second = BotProcess(config, tmp_path / "second.log")
    await second.start()  # its catch-up queues nothing new: the dedupe keys exist
    try:
        await stand.wait_for(lambda: len(_digests(stand, team.member_chats)) == 120
                             and stand.messages_to(team.coordinator_chat) != [], within=60)
    finally:
        assert await second.stop() == 0, second.output()[-3000:]
    counts = _digests(stand, team.member_chats)
    assert set(counts) == set(team.member_chats)
    # At most the one message in flight at the kill is doubled (sent, not yet marked).
    assert sum(n - 1 for n in counts.values()) <= 1, stand.duplicates()
    assert (await _outbox_states(deps))["sent"] == 121
