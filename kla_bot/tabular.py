"""Rows of a ``.csv`` or ``.xlsx`` file, with column names matched through aliases.

Header cells are compared case- and punctuation-insensitively (``No. HP``, ``no_hp`` and
``NO HP`` are the same column); column order is free and unknown columns are ignored.
CSV files may be UTF-8 with or without a byte-order mark (Windows-1252 is accepted as a
fallback) and use ``,``, ``;`` (what Indonesian Excel writes) or a tab between cells.
Row numbers are those a spreadsheet shows: the header is row 1.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from kla_bot.errors import Reason, UserError


@dataclass(frozen=True)
class Column:
    """A field the importer understands, the header names that mean it, and whether it must be."""

    field: str
    aliases: tuple[str, ...]
    required: bool = True


@dataclass(frozen=True)
class Row:
    """One data row: its spreadsheet row number and its cells by field (stripped text)."""

    number: int
    cells: Mapping[str, str]

    def get(self, field: str) -> str:
        return self.cells.get(field, "")


def header_key(text: str) -> str:
    """``"No. HP "`` → ``"no_hp"``: how header cells are compared."""
    return re.sub(r"[^0-9a-z]+", "_", text.strip().lower()).strip("_")


def read_table(path: Path, columns: Sequence[Column]) -> list[Row]:
    """The data rows of ``path`` (empty rows skipped); UserError for unreadable files."""
    if not path.is_file():
        raise UserError("imports.file.missing", path=path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        raw_rows: Iterable[list[str]] = _csv_rows(path)
    elif suffix == ".xlsx":
        raw_rows = _xlsx_rows(path)
    else:
        raise UserError("imports.file.wrong_type", path=path)
    rows = iter(raw_rows)
    header = next(rows, None)
    if header is None or not any(cell.strip() for cell in header):
        raise UserError("imports.file.empty", path=path)
    positions = _match_header(path, header, columns)
    result = []
    for number, cells in enumerate(rows, start=2):
        values = {field: cells[i].strip() if i < len(cells) else ""
                  for field, i in positions.items()}
        if any(values.values()):
            result.append(Row(number, values))
    return result


def _match_header(path: Path, header: Sequence[str],
                  columns: Sequence[Column]) -> dict[str, int]:
    by_alias = {header_key(alias): c for c in columns for alias in (c.field, *c.aliases)}
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        column = by_alias.get(header_key(cell))
        if column is None:
            continue  # extra columns are allowed and ignored
        if column.field in positions:
            first = header[positions[column.field]].strip()
            raise UserError("imports.file.same_column", path=path, first=first,
                            second=cell.strip(), field=column.field)
        positions[column.field] = index
    missing = [c for c in columns if c.required and c.field not in positions]
    if missing:
        names = tuple(Reason.of("imports.file.column_aliases", field=c.field,
                                aliases=", ".join(c.aliases)) if c.aliases
                      else Reason.of("imports.file.column", field=c.field) for c in missing)
        raise UserError("imports.file.missing_column", path=path, columns=names)
    return positions


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
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UserError("imports.file.bad_xlsx", path=path) from exc
    try:
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield [_cell_text(v) for v in values]
    finally:
        workbook.close()


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
