"""The clock walked from H-20 to hari H with the cadence in phases: who hears what at which
local time, each reminder's why-line, and nothing twice however often the jobs fire."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

import pytest

from handlers.remind import queue_due_now
from kla_bot import scheduler
from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.channels.telegram.sender import drain
from kla_bot.clock import ManualClock
from kla_bot.config import ReminderPhase, Settings
from kla_bot.deps import Deps
from kla_bot.models import OutboxMessage
from kla_bot.standin import BotApiStandin
from tests.conftest import WITA
from tests.reminders.helpers import IGNORE_PTB_DEPRECATION, app, outbox_rows, stand, started_user
from tests.reminders.seed import add_member, add_task
from tests.reminders.test_phases import EXPECTED

__all__ = ["app", "stand"]
pytestmark = IGNORE_PTB_DEPRECATION

ANI, EKO = 1001, 1003
VDATE = date(2025, 5, 16)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.replace(reminders={"phases": [
        ReminderPhase(from_days=30, weekdays=["mon"]),
        ReminderPhase(from_days=14),
        ReminderPhase(from_days=3, at=["08:00", "15:00"]),
        ReminderPhase(from_days=1, at=["08:00", "11:00", "14:00", "17:00"], every_day=True)]})


async def test_the_walk_from_h_minus_20(deps: Deps, app: KlaApplication, stand: BotApiStandin,
                                        clock: ManualClock) -> None:
    clock.set(datetime(2025, 4, 26, 7, 0, tzinfo=WITA))
    now = clock.now()
    for chat, name in [(ANI, "Ani"), (EKO, "Eko")]:
        started_user(stand, chat, name)
    async with deps.db.transaction() as s:
        ani = await add_member(s, deps.workspace, now, name="Ani", chat_id=ANI)
        eko = await add_member(s, deps.workspace, now, name="Eko", chat_id=EKO)
        await add_task(s, deps.workspace, now, code="K3-17a", assignee=ani,
                       due=date(2025, 5, 14))
        await add_task(s, deps.workspace, now, code="K3-30", assignee=eko,
                       due=date(2025, 5, 30))  # due after the verification
    settings = deps.settings
    for offset in range(20, -1, -1):
        day = VDATE - timedelta(days=offset)
        for slot in scheduler.slots(settings):
            at = datetime.combine(day, slot, tzinfo=WITA)
            for moment in (at, at + timedelta(minutes=20)):  # a second firing adds nothing
                clock.set(moment)
                await queue_due_now(app.bot_data.deps)
                await drain(app)
    rows = [r for r in await outbox_rows(deps) if r.kind == "reminder.digest"]
    assert all(r.state == "sent" for r in rows)
    heard: dict[int, dict[date, list[str]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        assert row.sent_at is not None
        sent = row.sent_at.astimezone(WITA)
        heard[int(row.chat or 0)][sent.date()].append(f"{sent:%H:%M}")
    assert heard[ANI] == EXPECTED and heard[EKO] == EXPECTED
    assert len({r.dedupe_key for r in rows}) == len(rows) == 2 * sum(map(len, EXPECTED.values()))
    # (the same text may well go twice a day now: each slot is its own row, sent once)
    assert len(stand.messages_to(ANI)) == sum(map(len, EXPECTED.values()))

    def why(chat: int, day: int, hour: int = 8) -> str:
        """The why-line of ``chat``'s digest sent on ``day`` May at ``hour``."""
        mine = [r for r in rows if int(r.chat or 0) == chat]  # sent in this order
        texts = [m.plain for m in stand.messages_to(chat)]
        assert len(texts) == len(mine)
        (text,) = [text for r, text in zip(mine, texts, strict=True)
                   if _local(r).date() == date(2025, 5, day) and _local(r).hour == hour]
        return next(line for line in text.splitlines() if "Mengapa" in line)

    assert why(ANI, 8) == ("🔔 Mengapa pesan ini: tugas K3-17a belum dikirim; "
                           "tenggatnya 6 hari lagi.")
    assert why(ANI, 9) == ("🔔 Mengapa pesan ini: H-7: tinggal 7 hari sebelum verifikasi, "
                           "1 tugas Bapak/Ibu belum dikirim.")
    assert why(ANI, 13) == ("🔔 Mengapa pesan ini: tugas K3-17a belum dikirim dan tenggatnya "
                            "besok.")
    assert why(ANI, 14, 15) == ("🔔 Mengapa pesan ini: tugas K3-17a belum dikirim dan "
                                "tenggatnya hari ini.")
    assert why(ANI, 16, 17) == "🔔 Mengapa pesan ini: tugas K3-17a lewat tenggat 2 hari."
    assert why(EKO, 13) == ("🔔 Mengapa pesan ini: H-3: tinggal 3 hari sebelum verifikasi, "
                            "1 tugas Bapak/Ibu belum dikirim.")
    assert why(EKO, 16) == ("🔔 Mengapa pesan ini: hari H, verifikasi hari ini, 1 tugas "
                            "Bapak/Ibu belum dikirim.")
    assert why(EKO, 5) == ("🔔 Mengapa pesan ini: tugas K3-30 belum dikirim; "
                           "tenggatnya 25 hari lagi.")


def _local(row: OutboxMessage) -> datetime:
    assert row.sent_at is not None
    return row.sent_at.astimezone(WITA)
