"""The optional ``periode`` column of a tasks file: a year or a date range the task's evidence
must cover; empty: the year before the verification (nothing stored, so it follows it)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from kla_bot.deps import Deps
from kla_bot.models import Task
from kla_bot.services.imports import ImportRejected
from tests.import_helpers import FIXTURES, import_file, write_csv
from tests.test_imports import said

HEADER = ["kode", "indikator", "judul", "poin", "penanggung_jawab", "tenggat", "periode"]


async def periods(deps: Deps) -> dict[str, tuple[date | None, date | None]]:
    async with deps.db.transaction() as s:
        rows = await s.execute(select(Task.code, Task.period_start, Task.period_end))
        return {code: (start, end) for code, start, end in rows}


async def test_a_year_a_range_or_nothing(deps: Deps, tmp_path: Path) -> None:
    await import_file(deps, "members", FIXTURES / "anggota.csv")
    file = write_csv(tmp_path / "t.csv", [
        HEADER,
        ["K3-1", "13", "Data gizi", "1", "0812-0000-0002", "", "2023"],
        ["K3-2", "13", "Data gizi semester 1", "1", "0812-0000-0002", "",
         "2024-01-01 s.d. 2024-06-30"],
        ["K3-3", "13", "Foto kegiatan", "1", "0812-0000-0002", "", ""]])
    await import_file(deps, "tasks", file)
    assert await periods(deps) == {"K3-1": (date(2023, 1, 1), date(2023, 12, 31)),
                                   "K3-2": (date(2024, 1, 1), date(2024, 6, 30)),
                                   "K3-3": (None, None)}
    # Re-imported with another period: updated; emptied: back to the default.
    file = write_csv(tmp_path / "t.csv", [
        HEADER,
        ["K3-1", "13", "Data gizi", "1", "0812-0000-0002", "", "01/07/2024 sd 31/12/2024"],
        ["K3-2", "13", "Data gizi semester 1", "1", "0812-0000-0002", "", ""],
        ["K3-3", "13", "Foto kegiatan", "1", "0812-0000-0002", "", ""]])
    await import_file(deps, "tasks", file)
    assert await periods(deps) == {"K3-1": (date(2024, 7, 1), date(2024, 12, 31)),
                                   "K3-2": (None, None), "K3-3": (None, None)}


@pytest.mark.parametrize("text", ["tahun lalu", "2024-06-30 s.d. 2024-01-01", "24"])
async def test_a_period_that_is_not_one_is_refused_by_row(deps: Deps, tmp_path: Path,
                                                          text: str) -> None:
    await import_file(deps, "members", FIXTURES / "anggota.csv")
    file = write_csv(tmp_path / "t.csv", [
        HEADER, ["K3-1", "13", "Data gizi", "1", "0812-0000-0002", "", text]])
    with pytest.raises(ImportRejected) as caught:
        await import_file(deps, "tasks", file)
    assert f"periode '{text}' bukan tahun atau rentang tanggal" in said(caught.value)
    assert "is not a year or a date range" in said(caught.value, "en")
    assert await periods(deps) == {}


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_column_is_named_in_both_languages(lang: str) -> None:
    """Messages name columns (a missing optional one, a bad cell) in the operator's words."""
    from kla_bot.i18n import translator
    from kla_bot.services.imports import MEMBER_COLUMNS, TASK_COLUMNS

    t = translator(lang)
    assert all(t.has(f"imports.field.{c.field}") for c in (*MEMBER_COLUMNS, *TASK_COLUMNS))
