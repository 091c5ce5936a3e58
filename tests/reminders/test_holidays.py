"""Indonesian public holidays and cuti bersama come from the ``holidays`` library;
``reminders.holidays`` adds days off and ``reminders.working_dates`` takes them away."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from handlers.remind import queue_due_now
from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.channels.telegram.sender import drain
from kla_bot.clock import ManualClock
from kla_bot.config import Settings
from kla_bot.deps import Deps
from kla_bot.scheduler import holiday_set, is_reminder_day, why_quiet
from kla_bot.standin import BotApiStandin
from tests.conftest import WITA
from tests.reminders.helpers import IGNORE_PTB_DEPRECATION, app, stand, started_user
from tests.reminders.seed import add_member, add_task

__all__ = ["app", "stand"]
pytestmark = IGNORE_PTB_DEPRECATION

WAISAK, CUTI_BERSAMA = date(2025, 5, 12), date(2025, 5, 13)  # Monday and Tuesday


def test_waisak_and_its_cuti_bersama_are_holidays_with_an_empty_list(settings: Settings) -> None:
    assert settings.reminders.holidays == []
    days_off = holiday_set(settings)
    assert {WAISAK, CUTI_BERSAMA} <= days_off
    assert {date(2025, 5, 29), date(2025, 5, 30)} <= days_off  # Ascension and its cuti bersama
    assert date(2024, 12, 25) in days_off  # the year before the verification counts too
    assert date(2025, 5, 14) not in days_off
    assert why_quiet(settings, WAISAK) == "holiday"
    assert why_quiet(settings, CUTI_BERSAMA) is None  # H-3: countdown days are never quiet


def test_working_dates_remove_and_holidays_add(settings: Settings) -> None:
    local = settings.replace(reminders={"working_dates": [WAISAK],
                                        "holidays": [date(2025, 5, 8)]})
    assert WAISAK not in holiday_set(local) and CUTI_BERSAMA in holiday_set(local)
    assert is_reminder_day(local, WAISAK)
    assert why_quiet(local, date(2025, 5, 8)) == "holiday"  # a regional day off, Thursday


async def _one_member_with_an_open_task(deps: Deps, stand: BotApiStandin) -> int:
    started_user(stand, 1001, "Ani")
    now, ws = deps.clock.now(), deps.workspace
    async with deps.db.transaction() as s:
        ani = await add_member(s, ws, now, name="Ani", chat_id=1001)
        await add_task(s, ws, now, code="K3-12", assignee=ani, due=date(2025, 5, 14))
    return 1001


@pytest.mark.parametrize(("working_dates", "digests"), [([], 0), ([WAISAK], 1)])
async def test_no_reminders_on_waisak_unless_it_is_a_working_date(
        deps: Deps, app: KlaApplication, stand: BotApiStandin, clock: ManualClock,
        working_dates: list[date], digests: int) -> None:
    ani = await _one_member_with_an_open_task(deps, stand)
    deps.settings = deps.settings.replace(reminders={"working_dates": working_dates})
    clock.set(datetime(2025, 5, 12, 8, 0, tzinfo=WITA))
    await queue_due_now(app.bot_data.deps)
    await drain(app)
    assert len(stand.messages_to(ani)) == digests
    clock.set(datetime(2025, 5, 13, 8, 0, tzinfo=WITA))  # cuti bersama, but H-3
    await queue_due_now(app.bot_data.deps)
    await drain(app)
    assert "H-3 menuju verifikasi" in stand.messages_to(ani)[-1].plain
