"""The cadence growing toward hari H (``[[reminders.phases]]``): which days and slots remind,
H-20 to hari H, from the configuration alone; and how the phases are configured."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from kla_bot import scheduler
from kla_bot.cli_text import error_text
from kla_bot.config import ConfigError, ReminderPhase, Settings, load_settings
from kla_bot.i18n import translator
from tests.conftest import WITA

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"
VDATE = date(2025, 5, 16)  # Friday; 12 May Waisak, 13 May cuti bersama, 1 May Labour Day

PHASES = """
[[reminders.phases]]   # weekly, on Mondays, until H-15
from_days = 30
weekdays = ["mon"]

[[reminders.phases]]   # working days from H-14
from_days = 14

[[reminders.phases]]   # twice a day from H-3
from_days = 3
at = ["08:00", "15:00"]

[[reminders.phases]]   # every few hours on H-1 and hari H, whatever the day
from_days = 1
at = ["08:00", "11:00", "14:00", "17:00"]
every_day = true
"""


def phased(tmp_path: Path, extra: str = PHASES) -> Settings:
    f = tmp_path / "c.toml"
    f.write_text(EXAMPLE.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return load_settings(f, env={})


def digest_slots(settings: Settings, day: date) -> list[str]:
    return [f"{r.slot:%H:%M}" for r in scheduler.runs_on(settings, day)
            if r.kind == scheduler.DIGEST]


# H-20 (Saturday 26 April) to hari H: the days and local times a member with open tasks hears.
EXPECTED = {
    date(2025, 4, 28): ["08:00"],                                 # H-18, the weekly Monday
    date(2025, 5, 2): ["08:00"],                                  # H-14: working days begin
    **{date(2025, 5, d): ["08:00"] for d in (5, 6, 7, 8)},        # H-11 .. H-8
    date(2025, 5, 9): ["08:00"],                                  # H-7 (countdown day)
    # 10-11 May weekend, 12 May Waisak: quiet
    date(2025, 5, 13): ["08:00", "15:00"],                        # H-3, cuti bersama: countdown
    date(2025, 5, 14): ["08:00", "15:00"],                        # H-2
    date(2025, 5, 15): ["08:00", "11:00", "14:00", "17:00"],      # H-1
    date(2025, 5, 16): ["08:00", "11:00", "14:00", "17:00"],      # hari H
}


def test_the_cadence_grows_from_weekly_to_every_few_hours(tmp_path: Path) -> None:
    settings = phased(tmp_path)
    walked = {}
    for offset in range(20, -1, -1):
        day = VDATE - timedelta(days=offset)
        if slots := digest_slots(settings, day):
            walked[day] = slots
    assert walked == EXPECTED
    # The jobs fire at every time of every phase; the planner picks the day's.
    assert [f"{s:%H:%M}" for s in scheduler.slots(settings)] == [
        "08:00", "11:00", "14:00", "15:00", "17:00"]


def test_why_a_day_is_quiet_follows_its_phase(tmp_path: Path) -> None:
    settings = phased(tmp_path)
    assert scheduler.why_quiet(settings, date(2025, 4, 29)) == "not_reminder_day"  # weekly phase
    assert scheduler.why_quiet(settings, date(2025, 5, 1)) == "holiday"
    assert scheduler.why_quiet(settings, date(2025, 5, 10)) == "not_working_day"
    assert scheduler.why_quiet(settings, date(2025, 5, 12)) == "holiday"
    assert scheduler.why_quiet(settings, VDATE + timedelta(days=1)) == "after_verification"


def test_h_minus_1_ignores_weekends_and_holidays(tmp_path: Path) -> None:
    """A verification on Monday 19 May: H-1 is a Sunday, still reminded every few hours."""
    settings = phased(tmp_path).replace(verification={"date": date(2025, 5, 19)})
    assert digest_slots(settings, date(2025, 5, 18)) == ["08:00", "11:00", "14:00", "17:00"]
    assert digest_slots(settings, date(2025, 5, 17)) == []  # H-2, Saturday: working days only


def test_each_slot_is_due_once_and_the_first_keeps_the_days_key(tmp_path: Path) -> None:
    settings = phased(tmp_path)
    at = datetime(2025, 5, 15, 14, 5, tzinfo=WITA)
    (digest,) = [r for r in scheduler.due_runs(settings, at) if r.kind == scheduler.DIGEST]
    assert (digest.slot, digest.dedupe_suffix) == (time(14), "2025-05-15@14:00")
    morning = datetime(2025, 5, 15, 8, 0, tzinfo=WITA)
    assert {r.dedupe_suffix for r in scheduler.due_runs(settings, morning)} == {"2025-05-15"}
    # Before the phases (H-32): the plain keys, as without phases.
    assert digest_slots(settings, date(2025, 4, 14)) == ["08:00"]
    assert scheduler.next_run_at(settings, datetime(2025, 5, 14, 15, 1, tzinfo=WITA)) == (
        datetime(2025, 5, 15, 8, 0, tzinfo=WITA))


def test_without_phases_nothing_changes() -> None:
    settings = load_settings(EXAMPLE, env={})
    assert settings.reminders.phases == []
    assert scheduler.phase_on(settings, VDATE) is None
    assert digest_slots(settings, date(2025, 5, 15)) == ["08:00"]


def test_phases_are_read_typed(tmp_path: Path) -> None:
    phases = phased(tmp_path).reminders.phases
    assert phases[0] == ReminderPhase(from_days=30, weekdays=["mon"])
    assert phases[3].every_day is True and phases[3].at[-1] == "17:00"


@pytest.mark.parametrize(("extra", "start"), [
    ("[[reminders.phases]]\nat = [\"08:00\"]\n", "reminders.phases[0]: setiap fase perlu"),
    ("[[reminders.phases]]\nfrom_days = 3\nevery = 2\n",
     "reminders.phases[0].every: kunci yang tidak dikenal"),
    ("[[reminders.phases]]\nfrom_days = 3\nat = [\"8am\"]\n", "reminders.daily_at"),
    ("[[reminders.phases]]\nfrom_days = 3\n[[reminders.phases]]\nfrom_days = 3\n",
     "reminders.phases: setiap fase perlu"),
    ("[[reminders.phases]]\nfrom_days = 3\nweekdays = [\"senin\"]\n", "reminders.working_days"),
])
def test_a_wrong_phase_is_named(tmp_path: Path, extra: str, start: str) -> None:
    with pytest.raises(ConfigError) as caught:
        phased(tmp_path, extra)
    assert error_text(translator("id"), caught.value).startswith(start)


def test_the_documented_example_is_the_walk_above(tmp_path: Path) -> None:
    """config.example.toml's commented phases, uncommented, are the ones this file walks."""
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("# [[reminders.phases]]"))
    block = []
    for line in lines[start:]:
        if not line.startswith("# "):
            break
        block.append(line[2:])
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        "\n[log]", "\n" + "\n".join(block) + "\n\n[log]", 1)
    f = tmp_path / "example.toml"
    f.write_text(text, encoding="utf-8")
    assert load_settings(f, env={}).reminders.phases == phased(tmp_path).reminders.phases
