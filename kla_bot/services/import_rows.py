"""Checking one spreadsheet row of a members or tasks file, with a clear reason per problem.

Column names (English or Indonesian) are those of the import contract; see ``MEMBER_COLUMNS``
and ``TASK_COLUMNS``. Parsers append a Reason (a key of ``imports.reason`` in the catalog and its
values) to ``reasons`` for every problem and return None when the row cannot be used.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from kla_bot.domain import Role
from kla_bot.errors import Reason
from kla_bot.phones import PhoneError, normalize_phone
from kla_bot.services.periods import Period, parse_day, parse_period
from kla_bot.tabular import Column, Row

# Which regency a row is for, in a file that serves several (a province's list). Most files
# have no such column: its absence is not worth a note (``quiet``).
REGENCY_COLUMN = Column("regency", ("kabupaten", "kabupaten_kota", "kab_kota"), required=False,
                        quiet=True)
# The first alias of each column is the one named in messages; the others are variants seen
# in real files ("No. HP / WA", "Nama Lengkap", "Klaster KLA"). "Jabatan" is left out on
# purpose: it is a person's office position (Kepala Bidang), not their task-force role.
MEMBER_COLUMNS = (
    Column("name", ("nama", "nama_lengkap", "nama_anggota", "full_name")),
    Column("phone", ("telepon", "no_hp", "hp", "no_hp_wa", "no_wa", "wa", "hp_wa", "no_telepon",
                     "telepon_hp", "no_telepon_hp", "telepon_wa", "no_telepon_wa", "phone_number",
                     "mobile")),
    Column("agency", ("instansi", "opd", "skpd", "perangkat_daerah", "unit_kerja",
                      "nama_instansi", "asal_instansi", "instansi_opd", "opd_instansi", "dinas",
                      "lembaga")),
    Column("role", ("peran", "peran_dalam_gugus_tugas", "peran_gugus_tugas", "kedudukan"),
           required=False),
    Column("clusters", ("klaster", "klaster_kla", "cluster", "klaster_tugas"), required=False),
    REGENCY_COLUMN,
)
TASK_COLUMNS = (
    Column("code", ("kode", "kode_tugas", "task_code")),
    Column("indicator", ("indikator", "no_indikator", "indikator_kla", "indicator_number")),
    Column("title", ("judul", "judul_tugas", "data_dukung", "nama_data_dukung", "uraian",
                     "uraian_data_dukung", "kebutuhan_data_dukung")),
    Column("points", ("poin", "poin_perkiraan", "perkiraan_poin", "estimated_points")),
    Column("assignee", ("penanggung_jawab", "pj", "hp_penanggung_jawab",
                        "no_hp_penanggung_jawab", "telepon_penanggung_jawab", "no_hp_pj",
                        "assignee_phone")),
    Column("due", ("tenggat", "tenggat_waktu", "batas_waktu", "deadline", "due_date"),
           required=False),
    Column("notes", ("catatan", "keterangan", "ket", "note", "remarks"), required=False),
    Column("period", ("periode", "periode_data", "tahun_data", "period"), required=False),
    REGENCY_COLUMN,
)
# Longest accepted text per field, in characters (after spaces are collapsed): enough for any
# real name or title, short enough for a chat message, a button and a workbook cell.
LIMITS = {"name": 120, "agency": 160, "title": 300, "notes": 1000}
QUOTED_MAX = 40  # a cell quoted back in a reason is cut to this many characters

ROLE_ALIASES = {
    "member": Role.MEMBER, "anggota": Role.MEMBER,
    "coordinator": Role.COORDINATOR, "koordinator": Role.COORDINATOR,
    "secretariat": Role.SECRETARIAT, "sekretariat": Role.SECRETARIAT,
    "province": Role.PROVINCE, "provinsi": Role.PROVINCE,
}
MAX_POINTS = Decimal(1000)
_LABELLED_INDICATOR = re.compile(r"^(\d{1,3})\s*[—–-]\s*\S")
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
    due: date | None
    notes: str | None
    period: Period | None = None  # None: the year before the verification


def parse_member(row: Row, cluster_codes: Sequence[str],
                 reasons: list[Reason]) -> MemberRow | None:
    """A members-file row checked: phone normalised, role and clusters resolved."""
    name = _text(row, "name", reasons)
    agency = _text(row, "agency", reasons)
    phone = _phone(row.get("phone"), "phone", reasons)
    _characters(row, reasons)
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


def parse_task(row: Row, indicators: set[int], members: dict[str, int],
               reasons: list[Reason]) -> TaskRow | None:
    """A tasks-file row checked: indicator known, points decimal, assignee an existing member.

    ``due`` (``period``) is None when the file gives none: the task then follows the
    verification date (covers the year before it)."""
    _characters(row, reasons)
    code = row.get("code")
    if not code:
        reasons.append(_empty("code"))
    elif not _CODE.match(code):
        reasons.append(_reason("bad_code", code=code))
    indicator = _indicator(row.get("indicator"), indicators, reasons)
    title = _text(row, "title", reasons)
    points = parse_points(row.get("points"), reasons)
    assignee_id = None
    phone = _phone(row.get("assignee"), "assignee", reasons)
    if phone is not None:
        assignee_id = members.get(phone)
        if assignee_id is None:
            reasons.append(_reason("assignee_not_member", phone=phone))
    due = parse_due(row.get("due"), reasons)
    notes = row.get("notes")
    if len(notes) > LIMITS["notes"]:
        reasons.append(_reason("too_long", field=_field("notes"), limit=LIMITS["notes"],
                               length=len(notes)))
    period = _period(row.get("period"), reasons)
    if reasons or indicator is None or points is None or assignee_id is None:
        return None
    return TaskRow(row.number, code, indicator, title, points, assignee_id, due, notes or None,
                   period)


def regency_key(name: str) -> str:
    """How regency names are compared: any case, spaces collapsed."""
    return " ".join(name.split()).lower()


def names_regency(row: Row, regency: str) -> bool:
    """Whether ``row`` is for the regency called ``regency``: its cell names it, or is empty."""
    cell = row.get("regency")
    return not cell or regency_key(cell) == regency_key(regency)


def check_regency(row: Row, regency: str, reasons: list[Reason]) -> None:
    """A row naming another regency than the one importing is refused (never written)."""
    if not names_regency(row, regency):
        reasons.append(_reason("other_regency", regency=row.get("regency"), own=regency))


def unknown_regency(row: Row) -> RowError:
    """The row names a regency the deployment does not have."""
    return RowError(row.number, (_reason("unknown_regency", regency=row.get("regency")),))


def _text(row: Row, field: str, reasons: list[Reason]) -> str:
    value = " ".join(row.get(field).split())
    limit = LIMITS[field]
    if not value:
        reasons.append(_empty(field))
    elif len(value) > limit:
        reasons.append(_reason("too_long", field=_field(field), limit=limit, length=len(value)))
    return value


def _characters(row: Row, reasons: list[Reason]) -> None:
    """Control characters (bell, NUL…) have no place in a name or a title: refuse the row.

    Tabs and carriage returns were already made spaces and line breaks (kla_bot.tabular);
    line breaks are kept in notes only, other fields collapse them into spaces."""
    for field, text in row.cells.items():
        bad = sorted({ch for ch in text if ch != "\n" and unicodedata.category(ch) == "Cc"})
        if bad:
            reasons.append(_reason("control_characters", field=_field(field),
                                   characters=" ".join(f"U+{ord(ch):04X}" for ch in bad)))


def _phone(text: str, field: str, reasons: list[Reason]) -> str | None:
    if not text:
        reasons.append(_empty(field))
        return None
    result = _normalized(text)
    if isinstance(result, PhoneError):
        reasons.append(_reason(f"phone_{result.problem}", field=_field(field), phone=result.text))
        return None
    return result


@functools.lru_cache(maxsize=4096)
def _normalized(text: str) -> str | PhoneError:
    # A tasks file repeats the same few assignees thousands of times; parsing is the slow part.
    try:
        return normalize_phone(text)
    except PhoneError as exc:
        return exc


def _indicator(text: str, known: set[int], reasons: list[Reason]) -> int | None:
    if not text:
        reasons.append(_empty("indicator"))
        return None
    # "17 — Tersedia Kawasan Tanpa Rokok…": the template's drop-down shows number and name.
    labelled = _LABELLED_INDICATOR.match(text)
    try:
        number = int(labelled[1] if labelled else text)
    except ValueError:
        reasons.append(_reason("indicator_not_a_number", text=text, first=1,
                               last=max(known, default=24)))
        return None
    if number not in known:
        reasons.append(_reason("indicator_unknown", number=number, first=min(known, default=1),
                               last=max(known, default=24)))
        return None
    return number


def parse_points(text: str, reasons: list[Reason]) -> Decimal | None:
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


def parse_due(text: str, reasons: list[Reason]) -> date | None:
    """The date; None when not given (or not a date: then with a reason)."""
    if not text:
        return None
    day = parse_day(text)  # ISO, or day first as Indonesian spreadsheets write dates
    if day is None:
        reasons.append(_reason("due_not_a_date", text=text))
    return day


def _period(text: str, reasons: list[Reason]) -> Period | None:
    """A year or a date range; None when not given (or not a period: then with a reason)."""
    if not text:
        return None
    period = parse_period(text)
    if period is None:
        reasons.append(_reason("period_not_valid", text=text))
    return period


def _reason(name: str, **params: object) -> Reason:
    """A reason; cells quoted back in it are cut short (a cell may hold a whole book)."""
    return Reason(f"imports.reason.{name}", {
        key: _shorten(value) if isinstance(value, str) else value
        for key, value in params.items()})


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTED_MAX else text[:QUOTED_MAX - 1] + "…"


def _field(name: str) -> Reason:
    """A column as the operator's language names it."""
    return Reason(f"imports.field.{name}")


def _empty(field: str) -> Reason:
    return _reason("empty", field=_field(field))

