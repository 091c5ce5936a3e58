"""The period a task's evidence must cover: a calendar year or a date range.

A task imported without one covers the calendar year before its cycle's verification date
(the KLA evaluation looks at the year before), and follows that date if it moves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

# "2024-01-01 s.d. 2024-06-30", "01/01/2024 sd 30/06/2024", "2024-01-01 - 2024-06-30"
_RANGE = re.compile(r"^(\S+)\s*(?:s\.?\s*/?\s*d\.?|sampai(?:\s+dengan)?|to|–|—|-)\s*(\S+)$",
                    re.IGNORECASE)
_DAY_FIRST = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")


@dataclass(frozen=True)
class Period:
    """From ``start`` to ``end``, both days included."""

    start: date
    end: date

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    @property
    def year(self) -> int | None:
        """The year when the period is exactly one calendar year."""
        whole = self.start == date(self.start.year, 1, 1) and self.end == date(
            self.start.year, 12, 31)
        return self.start.year if whole else None


def default_period(verification_date: date) -> Period:
    """The calendar year before the verification."""
    year = verification_date.year - 1
    return Period(date(year, 1, 1), date(year, 12, 31))


def period_of(start: date | None, end: date | None, verification_date: date) -> Period:
    """A task's period from its columns (none stored: the default)."""
    if start is None or end is None:
        return default_period(verification_date)
    return Period(start, end)


def parse_day(text: str) -> date | None:
    """``2024-03-03`` or day first ``03/03/2024`` (``.`` and ``-`` too); None if neither."""
    text = text.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    match = _DAY_FIRST.fullmatch(text)
    if match:
        try:
            return date(int(match[3]), int(match[2]), int(match[1]))
        except ValueError:
            return None
    return None


def parse_period(text: str) -> Period | None:
    """``2024`` or a range ``2024-01-01 s.d. 2024-06-30``; None when it is neither (or the
    range runs backwards)."""
    text = " ".join(text.split())
    if re.fullmatch(r"\d{4}", text):
        year = int(text)
        return Period(date(year, 1, 1), date(year, 12, 31)) if 1900 < year < 2200 else None
    match = _RANGE.fullmatch(text)
    if match is None:
        return None
    start, end = parse_day(match[1]), parse_day(match[2])
    if start is None or end is None or end < start:
        return None
    return Period(start, end)
