"""Rows of a ``.csv`` or ``.xlsx`` file, with column names matched through aliases.

The header is the first of the top ``HEADER_SEARCH_ROWS`` rows that names every required column
(title rows above it are skipped). Header cells are compared case-, space- and
punctuation-insensitively, with common abbreviations read as the full word (``No. HP / WA``,
``Nomor HP/WA`` and ``no_hp_wa`` are the same column); column order is free, and columns the
import does not use are reported as ignored. CSV files may be UTF-8 with or without a
byte-order mark (Windows-1252 is accepted as a fallback) and use ``,``, ``;`` (what Indonesian
Excel writes) or a tab between cells. In a workbook, a merged range's value applies to every
cell of the range, as a person reads it. Row numbers are those a spreadsheet shows.

Harmless whitespace is normalised in every cell: a tab becomes a space and a carriage return a
line break. Other control characters are kept, for the importer to refuse with the row number.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import chain
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import iterparse

from kla_bot.errors import Reason, UserError

HEADER_SEARCH_ROWS = 10  # title rows above the header are common; the header is among these
MAX_MERGED_COLUMNS = 256  # a merge wider than any real table is filled this far only
# Words written in several ways in Indonesian headers, each read as one.
_SYNONYMS = {"nomor": "no", "nomer": "no", "nmr": "no", "telp": "telepon", "tlp": "telepon",
             "telpon": "telepon", "tel": "telepon", "whatsapp": "wa", "handphone": "hp",
             "kluster": "klaster"}


@dataclass(frozen=True)
class Column:
    """A field the importer understands, the header names that mean it, and whether it must be
    (``quiet``: optional and usually absent, so its absence is not listed in ``Table.absent``)."""

    field: str
    aliases: tuple[str, ...]
    required: bool = True
    quiet: bool = False


@dataclass(frozen=True)
class Row:
    """One data row: its spreadsheet row number and its cells by field (stripped text)."""

    number: int
    cells: Mapping[str, str]

    def get(self, field: str) -> str:
        return self.cells.get(field, "")


@dataclass(frozen=True)
class Table:
    """The data rows, and what the operator should know about the columns."""

    rows: list[Row]
    header_row: int
    ignored: tuple[str, ...]  # header cells (or column letters) the import does not use
    absent: tuple[str, ...]  # optional fields with no column in the file


def header_key(text: str) -> str:
    """``"No. HP / WA "`` → ``"no_hp_wa"``: how header cells are compared."""
    words = re.split(r"[^0-9a-z]+", unicodedata.normalize("NFKC", text).lower())
    return "_".join(_SYNONYMS.get(w, w) for w in words if w)


def read_table(path: Path, columns: Sequence[Column]) -> list[Row]:
    """The data rows of ``path`` (empty rows skipped); UserError for unreadable files."""
    return read_sheet(path, columns).rows


def read_sheet(path: Path, columns: Sequence[Column], *, sheet: int = 0) -> Table:
    """The data rows of ``path`` with the header found and ignored columns named
    (``sheet``: which worksheet of a workbook, the first by default)."""
    if not path.is_file():
        raise UserError("imports.file.missing", path=path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        raw_rows = _csv_rows(path)
    elif suffix == ".xlsx":
        raw_rows = _xlsx_rows(path, sheet)
    else:
        raise UserError("imports.file.wrong_type", path=path)
    top: list[list[str]] = []
    for cells in raw_rows:
        top.append(cells)
        if len(top) == HEADER_SEARCH_ROWS or _complete(cells, columns):
            break
    if not any(any(cell.strip() for cell in cells) for cells in top):
        raise UserError("imports.file.empty", path=path)
    header_index, positions = _find_header(path, top, columns)
    header = top[header_index]
    rows: list[Row] = []
    data_columns: set[int] = set()
    for number, cells in enumerate(chain(top[header_index + 1:], raw_rows),
                                   start=header_index + 2):
        values = {field: _clean(cells[i]) if i < len(cells) else ""
                  for field, i in positions.items()}
        data_columns.update(i for i, cell in enumerate(cells) if cell.strip())
        if any(values.values()):
            rows.append(Row(number, values))
    used = set(positions.values())
    ignored = tuple(_column_name(header, i) for i in sorted(
        {i for i, cell in enumerate(header) if cell.strip()} | data_columns) if i not in used)
    absent = tuple(c.field for c in columns
                   if not c.required and not c.quiet and c.field not in positions)
    return Table(rows, header_index + 1, ignored, absent)


def _column_name(header: Sequence[str], index: int) -> str:
    from openpyxl.utils import get_column_letter

    name = " ".join(header[index].split()) if index < len(header) else ""
    return name or get_column_letter(index + 1)


def _matches(cells: Sequence[str], columns: Sequence[Column]) -> dict[str, list[int]]:
    by_alias = {header_key(alias): c for c in columns for alias in (c.field, *c.aliases)}
    found: dict[str, list[int]] = {}
    for index, cell in enumerate(cells):
        column = by_alias.get(header_key(cell))
        if column is not None:
            found.setdefault(column.field, []).append(index)
    return found


def _complete(cells: Sequence[str], columns: Sequence[Column]) -> bool:
    found = _matches(cells, columns)
    return all(c.field in found for c in columns if c.required)


def _find_header(path: Path, top: Sequence[Sequence[str]],
                 columns: Sequence[Column]) -> tuple[int, dict[str, int]]:
    """The header row (index into ``top``) and the position of each field in it."""
    # The first row naming every required column; else the one naming most (to say what is
    # missing), else the first non-empty row.
    scored = [(_complete(cells, columns), len(_matches(cells, columns)), -i)
              for i, cells in enumerate(top)]
    best = max(scored)
    index = -best[2] if best[1] else next(i for i, cells in enumerate(top)
                                          if any(c.strip() for c in cells))
    header = top[index]
    found = _matches(header, columns)
    for field, places in found.items():
        if len(places) > 1:
            raise UserError("imports.file.same_column", path=path,
                            first=header[places[0]].strip(), second=header[places[1]].strip(),
                            field=field)
    missing = [c for c in columns if c.required and c.field not in found]
    if missing:
        names = tuple(Reason.of("imports.file.column_aliases", field=c.field,
                                aliases=c.aliases[0]) if c.aliases
                      else Reason.of("imports.file.column", field=c.field) for c in missing)
        seen = ", ".join(f"'{' '.join(cell.split())}'" for cell in header if cell.strip())
        raise UserError("imports.file.missing_column", path=path, columns=names,
                        row=index + 1, found=seen)
    return index, {field: places[0] for field, places in found.items()}


def _clean(text: str) -> str:
    """Cell text with harmless whitespace normalised (see the module docstring)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ").strip()


def _decode(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise UserError("imports.file.not_utf8", path=path) from exc


def _csv_rows(path: Path) -> Iterator[list[str]]:
    text = _decode(path)
    lines = text.split("\n", HEADER_SEARCH_ROWS)[:HEADER_SEARCH_ROWS]
    delimiter = max((",", ";", "\t"), key=lambda d: max(line.count(d) for line in lines))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from reader
    except csv.Error as exc:
        # The csv module caps a cell at 131,072 characters (a lone quote can swallow the rest
        # of the file into one cell); either way the operator gets the line, not a traceback.
        key = "too_long_cell" if "field limit" in str(exc) else "bad_csv"
        raise UserError(f"imports.file.{key}", path=path, row=reader.line_num,
                        limit=csv.field_size_limit()) from exc


def sheet_names(path: Path) -> list[str]:
    """The worksheets of a workbook, in order; UserError when it cannot be read."""
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True)
    except Exception as exc:  # an untrusted file: one line, no traceback
        raise UserError("imports.file.bad_xlsx", path=path) from exc
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def _xlsx_rows(path: Path, index: int = 0) -> Iterator[list[str]]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # any malformed part of an untrusted file: one line, no traceback
        raise UserError("imports.file.bad_xlsx", path=path) from exc
    try:
        sheet = workbook.worksheets[index]
        merged = _MergedCells.of(sheet)
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield merged.fill([_cell_text(v) for v in values], number)
    except UserError:
        raise
    except Exception as exc:  # broken sheet XML shows only while streaming the rows
        raise UserError("imports.file.bad_xlsx", path=path) from exc
    finally:
        workbook.close()


@dataclass
class _Merge:
    first_row: int
    last_row: int
    first_col: int
    last_col: int
    value: str = ""


class _MergedCells:
    """Fills every cell of a merged range with its top-left value, row by row as they stream."""

    def __init__(self, merges: list[_Merge]) -> None:
        self.waiting = sorted(merges, key=lambda m: m.first_row, reverse=True)
        self.active: list[_Merge] = []

    def fill(self, cells: list[str], number: int) -> list[str]:
        while self.waiting and self.waiting[-1].first_row == number:
            m = self.waiting.pop()
            m.value = cells[m.first_col - 1] if m.first_col <= len(cells) else ""
            self.active.append(m)
        while self.waiting and self.waiting[-1].first_row < number:
            self.waiting.pop()  # a range starting on a row the sheet does not have
        self.active = [m for m in self.active if m.last_row >= number]
        for m in self.active:
            if len(cells) < m.last_col:
                cells.extend([""] * (m.last_col - len(cells)))
            cells[m.first_col - 1:m.last_col] = [m.value] * (m.last_col - m.first_col + 1)
        return cells

    @classmethod
    def of(cls, sheet: Any) -> _MergedCells:
        """The sheet's merged ranges, read from its XML (read-only mode does not expose them).

        Streams the part and keeps only ``mergeCell`` elements: memory stays small."""
        from openpyxl.worksheet.cell_range import CellRange

        merges: list[_Merge] = []
        with sheet._get_source() as source:
            for _event, element in iterparse(source):
                if element.tag.endswith("}mergeCell") and element.get("ref"):
                    r = CellRange(element.get("ref"))
                    if r.min_col <= MAX_MERGED_COLUMNS:
                        merges.append(_Merge(r.min_row, r.max_row, r.min_col,
                                             min(r.max_col, MAX_MERGED_COLUMNS)))
                elif element.tag.endswith("}row"):
                    element.clear()  # the cells are openpyxl's to read; drop them as we go
        return cls(merges)


def _cell_text(value: object) -> str:
    """Spreadsheet cells as the text a person would have typed."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() \
            else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # phones typed into number cells come back as 6.28e12
    return str(value)
