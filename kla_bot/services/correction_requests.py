"""The short correction commands read into requests, before anything is looked up.

``/ubah K3-17a tenggat 2025-05-10`` (``poin 1,5``, ``judul …``), ``/batalkan K3-17a``,
``/tambah KODE INDIKATOR POIN NOMOR_HP [TENGGAT] JUDUL…``, ``/pindah NOMOR_HP K4``,
``/cuti NOMOR_HP 2025-05-09`` (``selesai``: back now). A request that does not fit its form
is refused with the catalog key of that form's usage (``corrections.usage.<command>``), so
the answer names what was expected; values are checked as the import checks them
(:mod:`kla_bot.services.import_rows`), so a cell and a command agree on what a date or a
point is.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from kla_bot.domain import CLUSTER_CODES
from kla_bot.errors import Reason
from kla_bot.phones import PhoneError, normalize_phone
from kla_bot.services.access import AccessDenied
from kla_bot.services.import_rows import LIMITS, parse_due, parse_points
from kla_bot.services.periods import parse_day

# /ubah's field words, Indonesian and English, to the field they change.
FIELDS = {"tenggat": "due", "due": "due", "poin": "points", "points": "points",
          "judul": "title", "title": "title"}
BACK_WORDS = frozenset({"selesai", "kembali", "batal", "back", "done", "off", "-"})


@dataclass(frozen=True)
class EditTask:
    """Change one field of a task: ``due`` (a date), ``points`` (Decimal), ``title`` (text)."""

    code: str
    field: str
    value: date | Decimal | str


@dataclass(frozen=True)
class CancelTask:
    code: str


@dataclass(frozen=True)
class AddTask:
    """One new task, as a tasks-file row would give it (checked by the import's rules)."""

    code: str
    indicator: str
    points: str
    assignee: str
    due: str
    title: str


@dataclass(frozen=True)
class MoveMember:
    phone: str
    clusters: tuple[str, ...]


@dataclass(frozen=True)
class AwayMember:
    """Away up to and including ``until`` (None: back now)."""

    phone: str
    until: date | None


Request = EditTask | CancelTask | AddTask | MoveMember | AwayMember


def _usage(command: str) -> AccessDenied:
    return AccessDenied(f"corrections.usage.{command}")


def _clean_text(words: tuple[str, ...]) -> str | None:
    text = " ".join(" ".join(words).split())
    if not text or len(text) > LIMITS["title"]:
        return None
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        return None
    return text


def edit(args: tuple[str, ...]) -> EditTask:
    """``/ubah KODE tenggat|poin|judul NILAI``."""
    if len(args) < 3 or args[1].lower() not in FIELDS:
        raise _usage("edit")
    code, field = args[0], FIELDS[args[1].lower()]
    value: date | Decimal | str | None
    reasons: list[Reason] = []
    if field == "due":
        value = parse_due(args[2], reasons) if len(args) == 3 else None
    elif field == "points":
        value = parse_points(args[2], reasons) if len(args) == 3 else None
    else:
        value = _clean_text(args[2:])
    if value is None or reasons:
        raise AccessDenied(f"corrections.usage.edit_{field}", value=" ".join(args[2:]))
    return EditTask(code, field, value)


def cancel(args: tuple[str, ...]) -> CancelTask:
    """``/batalkan KODE``."""
    if len(args) != 1:
        raise _usage("cancel")
    return CancelTask(args[0])


def add(args: tuple[str, ...]) -> AddTask:
    """``/tambah KODE INDIKATOR POIN NOMOR_HP [TENGGAT] JUDUL…`` (the due date is told from
    the title's first word by being a date)."""
    if len(args) < 5:
        raise _usage("add")
    code, indicator, points, assignee, *rest = args
    due = ""
    if parse_day(rest[0]) is not None or re.fullmatch(r"[\d./-]{8,10}", rest[0]):
        due, rest = rest[0], rest[1:]
    title = " ".join(" ".join(rest).split())
    if not title:
        raise _usage("add")
    return AddTask(code, indicator, points, assignee, due, title)


def _phone(text: str, command: str) -> str:
    try:
        return normalize_phone(text)
    except PhoneError:
        raise AccessDenied(f"corrections.usage.{command}") from None


def move(args: tuple[str, ...]) -> MoveMember:
    """``/pindah NOMOR_HP KLASTER[;KLASTER]``: the member's clusters become these."""
    if len(args) < 2:
        raise _usage("move")
    # A phone may be typed with spaces (0812 0000 0004): every word but the clusters is it.
    words = re.split(r"[;,\s]+", " ".join(args))
    codes = tuple(dict.fromkeys(w.upper() for w in words if w.upper() in CLUSTER_CODES))
    phone_words = [w for w in args if not set(re.split(r"[;,]+", w.upper())) & set(CLUSTER_CODES)]
    if not codes or not phone_words:
        raise _usage("move")
    return MoveMember(_phone(" ".join(phone_words), "move"),
                      tuple(sorted(codes, key=CLUSTER_CODES.index)))


def away(args: tuple[str, ...], today: date) -> AwayMember:
    """``/cuti NOMOR_HP TANGGAL`` (away up to that day), ``/cuti NOMOR_HP selesai`` (back)."""
    if len(args) < 2:
        raise _usage("away")
    *phone_words, last = args
    if last.lower() in BACK_WORDS:
        return AwayMember(_phone(" ".join(phone_words), "away"), None)
    until = parse_day(last)
    if until is None:
        raise _usage("away")
    if until < today:
        raise AccessDenied("corrections.away_past", day=until)
    return AwayMember(_phone(" ".join(phone_words), "away"), until)
