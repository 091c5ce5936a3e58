"""The import template: the sheets, headers and drop-downs the secretariat starts from; filled
in, it imports without edits (service, command line and chat)."""

from __future__ import annotations

import argparse
import io
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.cli import build_parser
from kla_bot.cli_template import run_template
from kla_bot.config import Settings
from kla_bot.deps import Deps
from kla_bot.i18n import translator
from kla_bot.models import Member, Task
from kla_bot.services.import_template import template_workbook
from kla_bot.services.imports import (
    MEMBER_COLUMNS,
    TASK_COLUMNS,
    import_members,
    import_tasks,
)
from kla_bot.standin import BotApiStandin
from kla_bot.tabular import read_sheet
from tests.coordinators.chat import chat_world
from tests.coordinators.helpers import RINA, SITI, task_row
from tests.secretariat.helpers import member_named, send_file

DUE = date(2025, 5, 9)
HEADERS = {
    "id": (["Nama", "No. HP", "Instansi", "Peran", "Klaster"],
           ["Kode", "Indikator", "Judul", "Poin", "Penanggung Jawab", "Tenggat", "Catatan",
            "Periode"]),
    "en": (["Name", "Phone", "Agency", "Role", "Clusters"],
           ["Code", "Indicator", "Title", "Points", "Assignee phone", "Due date", "Notes",
            "Period"]),
}


def _fill(data: bytes) -> bytes:
    """The template with two more members and two more tasks typed in, as a person would."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    members, tasks = book.worksheets[0], book.worksheets[1]
    members.append(["Lina Kartika", "0812-0000-0098", "Bappeda", members["D2"].value, "K2, K4"])
    members.append(["Joko Prasetyo", "081200000097", "Dinas Sosial",
                    book.worksheets[3]["A3"].value, "K5"])  # coordinator, from the list
    tasks.append(["K5-21b", book.worksheets[3]["C22"].value, "Laporan UPTD PPA", 2.5,
                  "0812-0000-0097", None, None])
    tasks.append(["K2-10b", 10, "Laporan PAUD-HI 2024", "1,5", "0812-0000-0098",
                  date(2025, 5, 12), "nomor indikator saja"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_the_filled_template_imports_without_edits(deps: Deps, tmp_path: Path,
                                                        lang: str) -> None:
    path = tmp_path / "templat.xlsx"
    path.write_bytes(_fill(template_workbook(translator(lang), example_due=DUE)))
    members = read_sheet(path, MEMBER_COLUMNS, sheet=0)
    tasks = read_sheet(path, TASK_COLUMNS, sheet=1)
    assert (members.ignored, members.absent, tasks.ignored, tasks.absent) == ((), (), (), ())
    async with deps.db.transaction() as s:
        now = deps.clock.now()
        assert (await import_members(s, deps.workspace, members.rows, now)).created == 3
        assert (await import_tasks(s, deps.workspace, tasks.rows, now)).created == 3
    async with deps.db.transaction() as s:
        joko = await s.scalar(select(Member).where(Member.phone == "+6281200000097"))
        assert joko is not None and joko.role == "coordinator"
        found = {t.code: t for t in await s.scalars(select(Task))}
    assert found["K3-17a"].indicator_number == 17 and found["K3-17a"].due_date == DUE
    assert found["K5-21b"].indicator_number == 21 and found["K5-21b"].due_is_default
    assert str(found["K2-10b"].points) == "1.50"


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_template_has_its_headers_lists_and_instructions(lang: str) -> None:
    t = translator(lang)
    book = openpyxl.load_workbook(io.BytesIO(template_workbook(t, example_due=DUE)))
    members, tasks, guide, lists = book.worksheets
    assert [c.value for c in members[1]] == HEADERS[lang][0]
    assert [c.value for c in tasks[1]] == HEADERS[lang][1]
    assert lists.sheet_state == "hidden"
    ref = f"'{lists.title}'"
    rules = {str(r.sqref): r for r in members.data_validations.dataValidation}
    assert rules["D2:D2000"].formula1 == f"={ref}!$A$2:$A$4"
    assert rules["D2:D2000"].showErrorMessage  # the role must come from the list
    assert rules["E2:E2000"].formula1 == f"={ref}!$B$2:$B$8"
    indicator_rule = tasks.data_validations.dataValidation[0]
    assert str(indicator_rule.sqref) == "B2:B2000"
    assert indicator_rule.formula1 == f"={ref}!$C$2:$C$25"
    roles = [lists.cell(r, 1).value for r in range(2, 5)]
    assert roles == ([t.plain(f"secretariat.template.role.{r}")
                      for r in ("member", "coordinator", "secretariat")])
    assert [lists.cell(r, 2).value for r in range(2, 9)] == ["*", "KL", "K1", "K2", "K3", "K4",
                                                             "K5"]
    indicators = [lists.cell(r, 3).value for r in range(2, 27)]
    assert indicators[-1] is None and len([i for i in indicators if i]) == 24
    assert indicators[0].startswith("1 — ") and indicators[23].startswith("24 — ")
    assert members["B2"].value == "0812-0000-0099" and members["B2"].number_format == "@"
    texts = [row[0].value for row in guide.iter_rows()]
    assert texts[0] == t.plain("secretariat.template.help.title") and len(texts) == 10


async def test_bot_py_template_writes_the_workbook(settings: Settings, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(["template", "--out", str(tmp_path / "t"), "--lang", "en"])
    assert await run_template(args, settings) == 0
    out = tmp_path / "t.xlsx"
    assert "templat impor ditulis" in capsys.readouterr().out  # the operator's language
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Members", "Tasks", "Instructions", "Lists"]
    assert await run_template(argparse.Namespace(out=out, lang=None), settings) == 0
    assert openpyxl.load_workbook(out).sheetnames[0] == "Anggota"  # the bot's language


async def test_templat_in_chat_then_the_filled_template_sent_back_imports(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    refused = (await cw.say(RINA, "/templat"))[-1]
    assert "hanya untuk sekretariat" in refused.plain and "Hj. Siti Rahmah" in refused.plain
    assert refused.document is None
    sent = (await cw.say(SITI, "/templat"))[-1]
    assert sent.document is not None and sent.document.file_name.endswith(".xlsx")
    assert "kirim kembali" in sent.plain
    preview = (await send_file(cw, SITI, _fill(sent.document.read_bytes()),
                               sent.document.file_name))[-1]
    assert "Anggota (lembar Anggota): 3 baru, 0 berubah, 0 tidak berubah" in preview.plain
    assert "Tugas (lembar Tugas): 2 baru, 1 berubah, 0 tidak berubah" in preview.plain
    assert "baris salah" not in preview.plain
    await cw.press(SITI, preview, "Terapkan")
    assert "Impor diterapkan" in preview.plain
    lina = await member_named(cw, "Lina Kartika")
    assert lina is not None and lina.cluster_codes == ["K2", "K4"]
    k5 = await task_row(cw.world.deps, "K5-21b")
    assert k5.assignee_id == (await member_named(cw, "Joko Prasetyo")).id  # type: ignore[union-attr]
    assert (await task_row(cw.world.deps, "K3-17a")).points == 5
