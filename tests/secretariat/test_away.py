"""/cuti: a member marked away gets no reminders up to that day and gets them again after;
their coordinators are told once, through the outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.clock import ManualClock
from kla_bot.models import OutboxMessage
from kla_bot.services.outbox_kinds import OutboxKind
from kla_bot.services.reminders import queue_due
from kla_bot.standin import BotApiStandin
from tests.conftest import WITA
from tests.coordinators.chat import ChatWorld, chat_world
from tests.coordinators.helpers import AHMAD, RINA, SITI, YUSUF, outbox_rows


async def _digest_for_rina_on(cw: ChatWorld, clock: ManualClock, moment: datetime) -> bool:
    """Move to ``moment``, queue what is due; whether Rina's digest for that day is queued."""
    clock.advance(moment - clock.now())
    deps = cw.world.deps
    async with deps.db.transaction() as s:
        await queue_due(s, deps.workspace, deps.settings, deps.clock.now())
        key = f"reminder.digest:{cw.world.ids[RINA]}:{moment.date().isoformat()}"
        return bool(await s.scalar(select(OutboxMessage.id).where(
            OutboxMessage.dedupe_key.startswith(key))))


async def test_an_away_member_gets_no_digest_until_the_day_after(
        bot: KlaApplication, standin: BotApiStandin, clock: ManualClock) -> None:
    cw = await chat_world(bot, standin)
    shown = (await cw.say(SITI, "/cuti 0812-0000-0003 2025-05-07"))[-1]
    assert "Rina Marlina: tidak cuti → cuti sampai Rabu, 7 Mei 2025" in shown.plain
    await cw.press(SITI, shown, "Ya, terapkan")
    assert "Koreksi diterapkan" in cw.last(SITI).plain
    assert not await _digest_for_rina_on(cw, clock, datetime(2025, 5, 6, 8, 0, tzinfo=WITA))
    assert not await _digest_for_rina_on(cw, clock, datetime(2025, 5, 7, 8, 0, tzinfo=WITA))
    # Back automatically: nothing to undo.
    assert await _digest_for_rina_on(cw, clock, datetime(2025, 5, 8, 8, 0, tzinfo=WITA))


async def test_the_coordinators_are_told_once(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    for _ in range(2):  # marking the same leave twice tells nobody twice
        shown = (await cw.say(SITI, "/cuti 0812-0000-0003 2025-05-09"))[-1]
        await cw.press(SITI, shown, "Ya, terapkan")
    rows = await outbox_rows(cw.world.deps, OutboxKind.MEMBER_AWAY.value)
    assert sorted(r.recipient_id for r in rows) == sorted(
        [cw.world.ids[AHMAD], cw.world.ids[YUSUF]])
    await cw.drain()
    told = [m.plain for m in cw.chats[AHMAD].messages() if "cuti sampai" in m.plain]
    assert len(told) == 1
    assert "Rina Marlina (Dinas Kesehatan) cuti sampai Jumat, 9 Mei 2025" in told[0]
    assert "dicatat oleh Hj. Siti Rahmah" in told[0]
    assert not [m for m in cw.chats[SITI].messages() if "dicatat oleh" in m.plain]


async def test_back_early_with_selesai(
        bot: KlaApplication, standin: BotApiStandin, clock: ManualClock) -> None:
    cw = await chat_world(bot, standin)
    shown = (await cw.say(SITI, "/cuti 0812-0000-0003 2025-05-09"))[-1]
    await cw.press(SITI, shown, "Ya, terapkan")
    shown = (await cw.say(SITI, "/cuti 0812-0000-0003 selesai"))[-1]
    assert "cuti sampai Jumat, 9 Mei 2025 → tidak cuti" in shown.plain
    await cw.press(SITI, shown, "Ya, terapkan")
    assert await _digest_for_rina_on(cw, clock, datetime(2025, 5, 6, 8, 0, tzinfo=WITA))
