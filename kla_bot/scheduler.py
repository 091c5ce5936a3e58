"""When reminders are due: a pure function of the settings, the local calendar and "now".

Nothing here touches the database or Telegram. The job queue fires at every configured time
(and once at start-up, to catch up); each firing asks :func:`due_runs` what is due at that
moment, and the reminders service queues it under dedupe keys, so a double firing, a restart
or a second bot process never sends anything twice.

The calendar, in ``verification.timezone``:

* a *reminder day* is a working day that is not a holiday, or any countdown day (H-7, H-3,
  H-1, hari H by default) even on a weekend or holiday, up to and including the verification day;
* the holidays are Indonesia's public holidays and *cuti bersama* from the ``holidays``
  library, for the verification year and the year before, plus ``reminders.holidays`` (regional
  days off), minus ``reminders.working_dates`` (a listed day that is a working day here);
* on a reminder day, each ``daily_at`` time is a *slot*: members with open tasks get a digest;
  the first slot of the day also brings the coordinators' escalation and morning brief, and on
  the verification day itself the last call;
* a slot missed while the bot was down is made up later the same day, but only until the
  working day is over (:data:`CATCH_UP_UNTIL`); the next day's reminders replace it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache

import holidays as holiday_calendars

from kla_bot.clock import days_left
from kla_bot.config import Settings
from kla_bot.domain import WEEKDAYS
from kla_bot.services.outbox_kinds import OutboxKind

DIGEST = OutboxKind.DIGEST
ESCALATION = OutboxKind.ESCALATION
BRIEF = OutboxKind.BRIEF
LASTCALL = OutboxKind.LASTCALL

# A missed slot is still worth sending until the end of the local working day ...
CATCH_UP_UNTIL = time(17, 0)
# ... and a slot configured after that hour stays due for this long after its time.
LATE_SLOT_GRACE = timedelta(hours=1)


@dataclass(frozen=True)
class Run:
    """One reminder kind due for one local day (and, for digests, one slot of that day)."""

    kind: OutboxKind
    day: date
    slot: time
    days_left: int
    first_slot: bool

    @property
    def dedupe_suffix(self) -> str:
        """``2025-05-09`` for the day's first slot, ``2025-05-09@13:00`` for later ones."""
        suffix = self.day.isoformat()
        return suffix if self.first_slot else f"{suffix}@{self.slot:%H:%M}"


def slots(settings: Settings) -> list[time]:
    """The configured local reminder times, earliest first, without repeats."""
    return sorted(set(settings.reminder_times))


@cache
def national_holidays(years: tuple[int, ...]) -> frozenset[date]:
    """Indonesia's public holidays and cuti bersama (the library's ``government`` category)."""
    calendar = holiday_calendars.country_holidays(
        "ID", years=years, categories=(holiday_calendars.PUBLIC, holiday_calendars.GOVERNMENT))
    return frozenset(calendar)


def holiday_set(settings: Settings) -> frozenset[date]:
    """Every day off in the run-up to the verification day (see the module's docstring)."""
    r = settings.reminders
    year = settings.verification.date.year
    return (national_holidays((year - 1, year)) | frozenset(r.holidays)) - frozenset(
        r.working_dates)


def is_holiday(settings: Settings, day: date) -> bool:
    return day in holiday_set(settings)


def is_working_day(settings: Settings, day: date) -> bool:
    """A configured working day that is not a holiday."""
    return WEEKDAYS[day.weekday()] in settings.reminders.working_days and not is_holiday(
        settings, day)


def is_countdown_day(settings: Settings, day: date) -> bool:
    """One of the configured days-before (H-7, H-3, …), whatever the weekday."""
    return days_left(day, settings.verification.date) in settings.reminders.countdown_days


def why_quiet(settings: Settings, day: date) -> str | None:
    """Why no routine reminders go out on ``day`` (None when they do)."""
    left = days_left(day, settings.verification.date)
    if left < 0:
        return "after_verification"
    if is_countdown_day(settings, day):
        return None
    if is_holiday(settings, day):
        return "holiday"
    if not is_working_day(settings, day):
        return "not_working_day"
    return None


def is_reminder_day(settings: Settings, day: date) -> bool:
    """Whether routine reminders go out on this local day."""
    return why_quiet(settings, day) is None


def runs_on(settings: Settings, day: date) -> list[Run]:
    """Every run scheduled on a local day, in slot order."""
    if not is_reminder_day(settings, day):
        return []
    left = days_left(day, settings.verification.date)
    runs: list[Run] = []
    for index, slot in enumerate(slots(settings)):
        first = index == 0
        runs.append(Run(DIGEST, day, slot, left, first))
        if first:
            runs.append(Run(ESCALATION, day, slot, left, True))
            runs.append(Run(BRIEF, day, slot, left, True))
            if left == 0:
                runs.append(Run(LASTCALL, day, slot, left, True))
    return runs


def _still_due(slot: time, now_time: time) -> bool:
    """A slot at or before now whose catch-up window has not closed."""
    late = datetime.combine(date.min, slot) + LATE_SLOT_GRACE
    window_end = max(CATCH_UP_UNTIL, late.time() if late.date() == date.min else time.max)
    return slot <= now_time < window_end


def due_runs(settings: Settings, now: datetime) -> list[Run]:
    """The runs to queue at ``now``: today's latest passed slot (if still in its window).

    Earlier missed slots of the same day are not repeated: one digest on coming back is
    enough. The escalation, brief and last call belong to the day, not to a slot, so they are
    due at whichever slot comes first after the bot is up.
    """
    local = now.astimezone(settings.tz)
    today, now_time = local.date(), local.time()
    passed = [s for s in slots(settings) if s <= now_time]
    if not passed or not _still_due(passed[-1], now_time):
        return []
    latest = passed[-1]
    due: list[Run] = []
    for run in runs_on(settings, today):
        if run.kind == DIGEST:
            if run.slot == latest:
                due.append(run)
        else:
            due.append(Run(run.kind, run.day, latest, run.days_left, True))
    return due


def current_slot_run(settings: Settings, now: datetime) -> Run:
    """The digest run a coordinator's ``/ingatkan`` belongs to: the latest slot so far today
    (the first one before any has passed), on any day, so it shares the routine dedupe key."""
    local = now.astimezone(settings.tz)
    all_slots = slots(settings)
    passed = [s for s in all_slots if s <= local.time()]
    slot = passed[-1] if passed else all_slots[0]
    left = days_left(local.date(), settings.verification.date)
    return Run(DIGEST, local.date(), slot, left, slot == all_slots[0])


def next_run_at(settings: Settings, now: datetime, horizon_days: int = 60) -> datetime | None:
    """The next moment (aware, local) a digest slot fires after ``now``; None past the date."""
    local = now.astimezone(settings.tz)
    for offset in range(horizon_days + 1):
        day = local.date() + timedelta(days=offset)
        for run in runs_on(settings, day):
            at = datetime.combine(day, run.slot, tzinfo=settings.tz)
            if run.kind == DIGEST and at > local:
                return at
    return None
