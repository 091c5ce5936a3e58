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
* ``[[reminders.phases]]`` make the cadence grow toward the verification day: from H-n on
  (until the next phase) a phase sets the times and the weekdays, or every day (holidays
  included); before the earliest phase, and without phases, the keys above apply
  (:func:`phase_on`);
* a slot missed while the bot was down is made up later the same day, but only until the
  working day is over (:data:`CATCH_UP_UNTIL`); the next day's reminders replace it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache

import holidays as holiday_calendars

from kla_bot.clock import days_left
from kla_bot.config import ReminderPhase, Settings
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
    """Every configured local reminder time (of any phase), earliest first, without repeats:
    when the jobs fire; :func:`slots_on` says which of them count on a given day."""
    times = set(settings.reminder_times)
    for phase in settings.reminders.phases:
        times.update(time.fromisoformat(t) for t in phase.at)
    return sorted(times)


def phase_on(settings: Settings, day: date) -> ReminderPhase | None:
    """The phase ``day`` falls in: the one starting latest (fewest days before) at or before
    it; None before the earliest phase (or with none), where the plain keys apply."""
    left = days_left(day, settings.verification.date)
    started = [p for p in settings.reminders.phases if p.from_days >= left]
    return min(started, key=lambda p: p.from_days, default=None)


def slots_on(settings: Settings, day: date) -> list[time]:
    """The local reminder times of ``day``'s phase, earliest first."""
    phase = phase_on(settings, day)
    if phase is None or not phase.at:
        return sorted(set(settings.reminder_times))
    return sorted({time.fromisoformat(t) for t in phase.at})


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


def _reminder_weekday(settings: Settings, day: date) -> bool:
    """Whether ``day``'s weekday is one its phase reminds on (the working days by default)."""
    phase = phase_on(settings, day)
    weekdays = (phase.weekdays if phase is not None and phase.weekdays
                else settings.reminders.working_days)
    return WEEKDAYS[day.weekday()] in weekdays


def is_countdown_day(settings: Settings, day: date) -> bool:
    """One of the configured days-before (H-7, H-3, …), whatever the weekday."""
    return days_left(day, settings.verification.date) in settings.reminders.countdown_days


def why_quiet(settings: Settings, day: date) -> str | None:
    """Why no routine reminders go out on ``day`` (None when they do)."""
    left = days_left(day, settings.verification.date)
    if left < 0:
        return "after_verification"
    phase = phase_on(settings, day)
    if is_countdown_day(settings, day) or (phase is not None and phase.every_day):
        return None
    if is_holiday(settings, day):
        return "holiday"
    if not _reminder_weekday(settings, day):
        return "not_working_day" if phase is None or not phase.weekdays else "not_reminder_day"
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
    for index, slot in enumerate(slots_on(settings, day)):
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
    passed = [s for s in slots_on(settings, today) if s <= now_time]
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
    all_slots = slots_on(settings, local.date())
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
