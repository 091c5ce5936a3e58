"""The one clock everything asks for "now", so tests can move time."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from kla_bot.config import ConfigError

NOW_VARIABLE = "KLA_BOT_NOW"


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to (tests, the console's ``:wait``)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment.astimezone(UTC)


class OffsetClock:
    """The wall clock shifted by an offset that can grow (the console's ``:wait 1d``)."""

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> datetime:
        self.offset += delta
        return self.now()


def local_today(clock: Clock, tz: ZoneInfo) -> date:
    """Today's date on the local calendar of ``tz``."""
    return clock.now().astimezone(tz).date()


def days_left(today: date, day: date) -> int:
    """Days from ``today`` to ``day`` (the verification date, a due date): 0 on the day
    itself, negative after. Every "H-n" and "n hari lagi" counts with it."""
    return (day - today).days


def pinned_moment(env: Mapping[str, str] | None = None) -> datetime | None:
    """The moment ``KLA_BOT_NOW`` pins the clock to (ISO 8601 with an offset, e.g.
    ``2025-05-05T09:00:00+08:00``): a testing and demo aid; None when unset."""
    env = os.environ if env is None else env
    value = env.get(NOW_VARIABLE)
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ConfigError("now_format", value=repr(value)) from exc
    if moment.tzinfo is None:
        raise ConfigError("now_offset", value=value)
    return moment


def clock_from_env(env: Mapping[str, str] | None = None) -> Clock:
    """The system clock, or one standing still at ``KLA_BOT_NOW`` (command-line tools)."""
    moment = pinned_moment(env)
    return SystemClock() if moment is None else ManualClock(moment)
