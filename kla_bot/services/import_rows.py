"""Checking one spreadsheet row of a members or tasks file, with a clear reason per problem.

Column names (English or Indonesian) are those of the import contract; see ``MEMBER_COLUMNS``
and ``TASK_COLUMNS``. Parsers append a Reason (a key of ``imports.reason`` in the catalog and its
values) to ``reasons`` for every problem and return None when the row cannot be used.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from kla_bot.domain import Role
from kla_bot.errors import Reason
from kla_bot.phones import PhoneError, normalize_phone
from kla_bot.tabular import Column, Row

MEMBER_COLUMNS = (
    Column("name", ("nama",)),
    Column("phone", ("telepon", "no_hp", "hp")),
    Column("agency", ("instansi", "opd", "skpd")),
    Column("role", ("peran",), required=False),
    Column("clusters", ("klaster",), required=False),
)
TASK_COLUMNS = (
    Column("code", ("kode",)),
    Column("indicator", ("indikator",)),
    Column("title", ("judul",)),
    Column("points", ("poin",)),
    Column("assignee", ("penanggung_jawab",)),
    Column("due", ("tenggat",), required=False),
    Column("notes", ("catatan",), required=False),
)

ROLE_ALIASES = {
    "member": Role.MEMBER, "anggota": Role.MEMBER,
    "coordinator": Role.COORDINATOR, "koordinator": Role.COORDINATOR,
    "secretariat": Role.SECRETARIAT, "sekretariat": Role.SECRETARIAT,
}
DEFAULT_DUE_DAYS_BEFORE = 2  # a task is due two days before verification unless the file says
MAX_POINTS = Decimal(1000)
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")


@dataclass(frozen=True)
class RowError:
    """What is wrong with one row (numbered as the spreadsheet shows it)."""

    row: int
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class MemberRow:
    row: int
    name: str
    phone: str
    agency: str
    role: str
    clusters: tuple[str, ...]


@dataclass(frozen=True)
class TaskRow:
    row: int
    code: str
    indicator: int
    title: str
    points: Decimal
    assignee_id: int
    due: date
    notes: str | None


def parse_member(row: Row, cluster_codes: Sequence[str],
                 reasons: list[Reason]) -> MemberRow | None:
    """A members-file row checked: phone normalised, role and clusters resolved."""
    name = _text(row, "name", 120, reasons)
    agency = _text(row, "agency", 160, reasons)
    phone = _phone(row.get("phone"), "phone", reasons)
    role_text = row.get("role").lower() or "member"
    role = ROLE_ALIASES.get(role_text)
    if role is None:
        reasons.append(_reason("unknown_role", role=row.get("role")))
    clusters = _clusters(row.get("clusters"), cluster_codes, reasons)
    if role is Role.COORDINATOR and clusters == ():
        reasons.append(_reason("coordinator_without_cluster"))
    if reasons or phone is None or role is None:
        return None
    return MemberRow(row.number, name, phone, agency, role.value, clusters)


def _clusters(text: str, known: Sequence[str], reasons: list[Reason]) -> tuple[str, ...]:
    if text.strip() == "*":
        return tuple(sorted(known))
    wanted = {part.strip().upper() for part in re.split(r"[;,\s]+", text) if part.strip()}
    unknown = sorted(wanted - set(known))
    if unknown:
        reasons.append(_reason("unknown_cluster", clusters=", ".join(unknown),
                               known=", ".join(known)))
    return tuple(sorted(wanted & set(known)))


def parse_task(row: Row, indicators: set[int], members: dict[str, int], default_due: date,
               reasons: list[Reason]) -> TaskRow | None:
    """A tasks-file row checked: indicator known, points decimal, assignee an existing member."""
    code = row.get("code")
    if not code:
        reasons.append(_empty("code"))
    elif not _CODE.match(code):
        reasons.append(_reason("bad_code", code=code))
    indicator = _indicator(row.get("indicator"), indicators, reasons)
    title = _text(row, "title", None, reasons)
    points = _points(row.get("points"), reasons)
    assignee_id = None
    phone = _phone(row.get("assignee"), "assignee", reasons)
    if phone is not None:
        assignee_id = members.get(phone)
        if assignee_id is None:
            reasons.append(_reason("assignee_not_member", phone=phone))
    due = _due(row.get("due"), default_due, reasons)
    if reasons or indicator is None or points is None or assignee_id is None or due is None:
        return None
    return TaskRow(row.number, code, indicator, title, points, assignee_id, due,
                   row.get("notes") or None)


def _text(row: Row, field: str, limit: int | None, reasons: list[Reason]) -> str:
    value = " ".join(row.get(field).split())
    if not value:
        reasons.append(_empty(field))
    elif limit is not None and len(value) > limit:
        reasons.append(_reason("too_long", field=_field(field), limit=limit))
    return value


def _phone(text: str, field: str, reasons: list[Reason]) -> str | None:
    if not text:
        reasons.append(_empty(field))
        return None
    try:
        return normalize_phone(text)
    except PhoneError as exc:
        reasons.append(_reason(f"phone_{exc.problem}", field=_field(field), phone=exc.text))
        return None


def _indicator(text: str, known: set[int], reasons: list[Reason]) -> int | None:
    if not text:
        reasons.append(_empty("indicator"))
        return None
    try:
        number = int(text)
    except ValueError:
        reasons.append(_reason("indicator_not_a_number", text=text, first=1,
                               last=max(known, default=24)))
        return None
    if number not in known:
        reasons.append(_reason("indicator_unknown", number=number, first=min(known, default=1),
                               last=max(known, default=24)))
        return None
    return number


def _points(text: str, reasons: list[Reason]) -> Decimal | None:
    cleaned = text.replace(" ", "")
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")  # Indonesian decimal comma: 1,5
    try:
        points = Decimal(cleaned)
    except InvalidOperation:
        reasons.append(_reason("points_not_a_number", text=text) if text else _empty("points"))
        return None
    if not points.is_finite() or not Decimal(0) <= points <= MAX_POINTS:
        reasons.append(_reason("points_out_of_range", text=text, max=MAX_POINTS))
        return None
    if points != points.quantize(Decimal("0.01")):
        reasons.append(_reason("points_decimals", text=text))
        return None
    return points.quantize(Decimal("0.01"))


def _due(text: str, default: date, reasons: list[Reason]) -> date | None:
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    match = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text)
    if match:  # day first, as Indonesian spreadsheets write dates
        try:
            return date(int(match[3]), int(match[2]), int(match[1]))
        except ValueError:
            pass
    reasons.append(_reason("due_not_a_date", text=text))
    return None


def _reason(name: str, **params: object) -> Reason:
    return Reason(f"imports.reason.{name}", params)


def _field(name: str) -> Reason:
    """A column as the operator's language names it."""
    return Reason(f"imports.field.{name}")


def _empty(field: str) -> Reason:
    return _reason("empty", field=_field(field))

