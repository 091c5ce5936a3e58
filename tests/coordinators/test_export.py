"""The export: files and hashes match the uploads, folders follow clusters and indicators,
``--all`` marks waiting files, chat parts fit the upload limit; ``audit`` prints events."""

from __future__ import annotations

import argparse
import hashlib
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

import handlers.report
from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.cli_export import run_audit, run_export
from kla_bot.cli_text import render
from kla_bot.i18n import translator
from kla_bot.services import export, review
from kla_bot.standin import BotApiStandin
from tests.conftest import START
from tests.coordinators.chat import chat_world
from tests.coordinators.helpers import (
    AHMAD,
    DEWI,
    RINA,
    SITI,
    World,
    audit_actions,
    pdf_bytes,
    put_evidence,
    seed,
)

ID = translator("id")


async def _accept(world: World, who: int, ev: int) -> None:
    deps = world.deps
    async with deps.db.transaction() as s:
        await review.accept(s, deps.workspace, await world.member(who), ev, deps.clock.now())


async def _scripted(world: World) -> dict[str, bytes]:
    """Two accepted files for K3-17a, one accepted K1 file, one waiting, one rejected."""
    files = {"perda: final/v2.pdf": pdf_bytes("perda") + b"x" * 3000,
             "lampiran.pdf": pdf_bytes("lampiran") + b"y" * 5000,
             "akta.pdf": pdf_bytes("akta") + b"z" * 7000,
             "sk.pdf": pdf_bytes("sk waiting")}
    await _accept(world, AHMAD, await put_evidence(world, "K3-17a", RINA,
                                                   files["perda: final/v2.pdf"],
                                                   "perda: final/v2.pdf"))
    await _accept(world, AHMAD, await put_evidence(world, "K3-17a", RINA, files["lampiran.pdf"],
                                                   "lampiran.pdf"))
    await _accept(world, SITI, await put_evidence(world, "K1-4a", DEWI, files["akta.pdf"],
                                                  "akta.pdf"))
    await put_evidence(world, "k3-15a", RINA, files["sk.pdf"], "sk.pdf")
    return files


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        return {name: zf.read(name) for name in zf.namelist()}


async def test_cli_export_files_hashes_and_folders(deps: Any, settings: Any, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    world = await seed(deps)
    files = await _scripted(world)
    monkeypatch.setenv("KLA_BOT_NOW", START.isoformat())
    out = tmp_path / "out" / "laporan.zip"
    assert await run_export(argparse.Namespace(out=out, all=False), settings) == 0
    content = _members(out)
    k3 = ("K3 Kesehatan Dasar dan Kesejahteraan/17 Tersedia Kawasan Tanpa Rokok dan Tidak Ada "
          "Iklan, Promosi, dan Sponsor Rokok")
    k1 = "K1 Hak Sipil dan Kebebasan/04 Anak yang Memiliki Akta Kelahiran"
    expected = {f"{k1}/K1-4a - akta.pdf": "akta.pdf",
                f"{k3}/K3-17a - perda_ final_v2.pdf": "perda: final/v2.pdf",
                f"{k3}/K3-17a - lampiran.pdf": "lampiran.pdf"}
    evidence = {name: data for name, data in content.items() if name.endswith(".pdf")}
    assert set(evidence) == set(expected), sorted(content)
    for name, original in expected.items():
        assert hashlib.sha256(evidence[name]).digest() == hashlib.sha256(files[original]).digest()
    book = openpyxl.load_workbook(io.BytesIO(content["Indeks Data Dukung KLA.xlsx"]))
    assert book.sheetnames == ["Ringkasan", "Tugas", "Berkas"]
    rows = list(book["Berkas"].iter_rows(values_only=True))
    by_name = {r[4]: r for r in rows[1:]}
    for original, data in files.items():
        assert by_name[original][7] == hashlib.sha256(data).hexdigest()
    assert by_name["sk.pdf"][3] in ("", None)  # waiting: listed, not in the archive
    tasks = {r[0]: r for r in list(book["Tugas"].iter_rows(values_only=True))[1:]}
    assert tasks["K3-17a"][6] == "disetujui" and tasks["K3-17a"][12] == "dr. Ahmad Fauzi"
    assert len(tasks) == 8
    summary = list(book["Ringkasan"].iter_rows(values_only=True))
    k3_row = next(r for r in summary if r and r[0] == "K3")
    assert k3_row[2:7] == (3, 1, 1, 1, 0)
    assert re.fullmatch(rf"{re.escape(str(out))}: 8 tugas, 3 berkas \(\d+ byte\)\n",
                        capsys.readouterr().out)
    assert await run_audit(argparse.Namespace(limit=5), settings) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[-1].startswith("2025-05-05 09:00:00 WITA  cli  export  archive:laporan.zip")
    assert any("dr. Ahmad Fauzi  evidence.accept  evidence:" in line for line in printed)


async def test_export_all_adds_waiting_files_under_a_marker(deps: Any, tmp_path: Path) -> None:
    world = await seed(deps)
    await _scripted(world)
    async with deps.db.transaction() as s:
        data = await export.collect(s, deps.workspace, deps.settings, None, True,
                                    deps.clock.now(), ID)
    result = export.write_archive(data, deps.store, tmp_path / "all.zip", ID)
    names = list(_members(result.parts[0]))
    waiting = [n for n in names if n.startswith("MENUNGGU TINJAUAN - jangan diunggah/")]
    assert waiting == ["MENUNGGU TINJAUAN - jangan diunggah/K3 Kesehatan Dasar dan Kesejahteraan/"
                       "15 Fasilitas Kesehatan dengan Pelayanan Ramah Anak/k3-15a - sk.pdf"]
    assert result.files_written == 4 and result.problems == []


async def test_split_parts_each_fit_the_limit_and_together_hold_everything(
        deps: Any, tmp_path: Path) -> None:
    world = await seed(deps)
    await _scripted(world)
    async with deps.db.transaction() as s:
        data = await export.collect(s, deps.workspace, deps.settings, None, True,
                                    deps.clock.now(), ID)
    limit = 14_000
    result = export.write_archive(data, deps.store, tmp_path / "p.zip", ID, limit)
    assert len(result.parts) >= 2
    assert result.parts[0].name == f"p-1-of-{len(result.parts)}.zip"
    together: dict[str, bytes] = {}
    for part in result.parts:
        assert part.stat().st_size <= limit
        together.update(_members(part))
    whole = export.write_archive(data, deps.store, tmp_path / "w.zip", ID)
    assert together.keys() == _members(whole.parts[0]).keys()


async def test_a_changed_or_missing_file_is_reported(deps: Any, tmp_path: Path) -> None:
    world = await seed(deps)
    ev = await put_evidence(world, "K3-17a", RINA, pdf_bytes("x"), "x.pdf")
    await _accept(world, AHMAD, ev)
    sha = hashlib.sha256(pdf_bytes("x")).hexdigest()
    stored = deps.storage_dir / sha[:2] / sha
    stored.write_bytes(b"tampered")
    async with deps.db.transaction() as s:
        data = await export.collect(s, deps.workspace, deps.settings, None, False,
                                    deps.clock.now(), ID)
    result = export.write_archive(data, deps.store, tmp_path / "t.zip", ID)
    (problem,) = result.problems
    assert (problem.kind, problem.task_code, problem.file_name) == ("changed", "K3-17a", "x.pdf")
    assert render(ID, problem.reason) == (f"K3-17a: x.pdf: isinya tidak cocok dengan kode "
                                          f"berkas yang tercatat ({sha[:12]}…)")
    stored.unlink()
    result = export.write_archive(data, deps.store, tmp_path / "m.zip", ID)
    assert [p.kind for p in result.problems] == ["missing"]


async def test_laporan_in_chat_sends_parts_within_the_limit(
        bot: KlaApplication, standin: BotApiStandin, monkeypatch: pytest.MonkeyPatch) -> None:
    cw = await chat_world(bot, standin)
    await _scripted(cw.world)
    monkeypatch.setattr(handlers.report, "PART_LIMIT", 14_000)
    answers = await cw.say(SITI, "/laporan")
    documents = [m for m in answers if m.document is not None]
    assert len(documents) >= 2
    assert all(m.document is not None and m.document.file_size <= 14_000 for m in documents)
    assert documents[0].document.file_name.startswith("laporan-kla-20250505-0900-1-of-")
    assert "bagian 1 dari" in documents[0].plain
    assert "3 berkas data dukung" in answers[-1].plain
    assert any(e[1] == "export" for e in await audit_actions(cw.world.deps))
