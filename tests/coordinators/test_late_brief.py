"""A morning brief that is only queued in the afternoon (the bot was down at 08:00) does not
pretend to be the morning's: it says it is late and when its figures were taken."""

from __future__ import annotations

from datetime import datetime

from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.clock import ManualClock
from kla_bot.services.reminders import queue_due
from kla_bot.standin import BotApiStandin
from tests.conftest import WITA
from tests.coordinators.chat import ChatWorld, chat_world
from tests.coordinators.helpers import AHMAD


async def _brief_at(cw: ChatWorld, clock: ManualClock, moment: datetime) -> str:
    assert moment >= clock.now()
    clock.advance(moment - clock.now())
    deps = cw.world.deps
    async with deps.db.transaction() as s:
        await queue_due(s, deps.workspace, deps.settings, deps.clock.now())
    await cw.drain()
    return next(m.plain for m in reversed(cw.chats[AHMAD].messages())
                if "Ringkasan" in m.plain)


async def test_a_brief_caught_up_at_13_21_says_it_is_late(
        bot: KlaApplication, standin: BotApiStandin, clock: ManualClock) -> None:
    cw = await chat_world(bot, standin)
    text = await _brief_at(cw, clock, datetime(2025, 5, 5, 13, 21, tzinfo=WITA))
    assert text.startswith("Ringkasan hari ini (tertunda, pukul 13.21 WITA) · H-11 menuju "
                           "verifikasi Jumat, 16 Mei 2025"), text
    assert "Ringkasan pagi" not in text


async def test_a_brief_within_its_slots_grace_is_the_morning_brief(
        bot: KlaApplication, standin: BotApiStandin, clock: ManualClock) -> None:
    cw = await chat_world(bot, standin)
    # Tuesday 6 May, 08:40: 40 minutes after the 08:00 slot (the fixture starts on Monday).
    text = await _brief_at(cw, clock, datetime(2025, 5, 6, 8, 40, tzinfo=WITA))
    assert text.startswith("Ringkasan pagi · H-10 menuju verifikasi"), text
