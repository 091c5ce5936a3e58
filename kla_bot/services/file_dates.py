"""Dates written in a document's text: Indonesian (``3 Maret 2024``), day-first numeric
(``03/03/2024``) and ISO (``2024-03-03``). Month names in English are read too: reports are
sometimes written in it."""

from __future__ import annotations

import re
from datetime import date

MAX_DATES = 5  # a decree's first page names its own date early; the rest are references
MAX_TEXT = 20_000  # characters looked at
FIRST_YEAR, LAST_YEAR = 1980, 2100  # outside: a number, not a date

MONTHS = {
    "januari": 1, "jan": 1, "january": 1,
    "februari": 2, "pebruari": 2, "feb": 2, "peb": 2, "february": 2,
    "maret": 3, "mar": 3, "march": 3,
    "april": 4, "apr": 4,
    "mei": 5, "may": 5,
    "juni": 6, "jun": 6, "june": 6,
    "juli": 7, "jul": 7, "july": 7,
    "agustus": 8, "agu": 8, "agt": 8, "ags": 8, "aug": 8, "august": 8,
    "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10, "oct": 10, "october": 10,
    "november": 11, "nopember": 11, "nov": 11, "nop": 11,
    "desember": 12, "des": 12, "dec": 12, "december": 12,
}
_NAMED = "|".join(sorted(MONTHS, key=len, reverse=True))
_DATE = re.compile(
    rf"(?<!\d)(?:(?P<d1>\d{{1,2}})\s*(?P<month>{_NAMED})\b\.?,?\s*(?P<y1>\d{{4}})"
    r"|(?P<d2>\d{1,2})[/.-](?P<m2>\d{1,2})[/.-](?P<y2>\d{4})"
    r"|(?P<y3>\d{4})-(?P<m3>\d{1,2})-(?P<d3>\d{1,2}))(?!\d)",
    re.IGNORECASE)


def dates_in_text(text: str) -> list[date]:
    """The valid dates in ``text`` in the order written, each once, at most ``MAX_DATES``."""
    found: list[date] = []
    for match in _DATE.finditer(text[:MAX_TEXT]):
        day = _as_date(match)
        if day is not None and day not in found:
            found.append(day)
            if len(found) == MAX_DATES:
                break
    return found


def _as_date(match: re.Match[str]) -> date | None:
    parts: tuple[str | int, ...]
    if match["month"]:
        parts = (match["y1"], MONTHS[match["month"].lower()], match["d1"])
    elif match["m2"]:
        parts = (match["y2"], match["m2"], match["d2"])
    else:
        parts = (match["y3"], match["m3"], match["d3"])
    year, month, day = (int(p) for p in parts)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None
