"""Spreadsheets as offices really make them: title rows, header variants, merged cells,
control characters, huge cells and broken workbooks. Every file is built here, in code."""

from __future__ import annotations

import argparse
import zipfile
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from kla_bot.cli_data import run_import
from kla_bot.cli_text import error_text, render
from kla_bot.config import Settings
from kla_bot.deps import Deps
from kla_bot.errors import UserError
from kla_bot.i18n import translator
from kla_bot.models import Member, Task
from kla_bot.services.import_rows import LIMITS
from kla_bot.services.imports import MEMBER_COLUMNS, TASK_COLUMNS, ImportRejected
from kla_bot.tabular import read_sheet
from tests.import_helpers import FIXTURES, import_file, write_csv


def said(error: UserError, lang: str = "id") -> str:
    return error_text(translator(lang), error)


def xlsx(path: Path, rows: list[list[object]], merges: tuple[str, ...] = ()) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    for ref in merges:
        sheet.merge_cells(ref)
    book.save(path)
    return path


async def _members(deps: Deps) -> dict[str, tuple[str, str, str, list[str]]]:
    async with deps.db.transaction() as s:
        return {m.phone: (m.name, m.agency, m.role, m.cluster_codes)
                for m in await s.scalars(select(Member))}


async def test_title_rows_and_header_variants_are_read_as_a_person_would(
        deps: Deps, tmp_path: Path) -> None:
    file = xlsx(tmp_path / "anggota.xlsx", [
        ["DAFTAR ANGGOTA GUGUS TUGAS KLA KABUPATEN BANJAR"],
        ["Tahun 2025"],
        [],
        ["No", "Nama Lengkap", "No. HP / WA", "Instansi / OPD", "Jabatan", "Peran",
         "Klaster KLA"],
        [1, "Siti Rahmah", "0812-0000-0001", "Dinsos", "Sekretaris", "sekretariat", "*"],
        [2, "Ahmad Fauzi", 6281200000002, "Dinkes", "Kabid", "koordinator", "K3"],
    ], merges=("A1:G1",))
    table = read_sheet(file, MEMBER_COLUMNS)
    assert table.header_row == 4
    assert table.ignored == ("No", "Jabatan")  # an office position is not a task-force role
    assert table.absent == ()
    assert [r.number for r in table.rows] == [5, 6]
    await import_file(deps, "members", file)
    members = await _members(deps)
    assert members["+6281200000002"] == ("Ahmad Fauzi", "Dinkes", "coordinator", ["K3"])
    assert members["+6281200000001"][3] == ["K1", "K2", "K3", "K4", "K5", "KL"]


@pytest.mark.parametrize("headers", [
    ["NAMA", "Nomor HP/WA", "OPD", "Peran", "Kluster"],
    ["Nama Anggota", "No HP/WA", "Perangkat Daerah", "Peran dalam Gugus Tugas", "Klaster"],
    ["nama_lengkap", "no_telp", "unit kerja", "role", "cluster"],
    ["Nama", "Nomor Telepon", "Instansi", "Peran", "Klaster KLA"],
])
def test_common_header_spellings(tmp_path: Path, headers: list[str]) -> None:
    file = write_csv(tmp_path / "m.csv", [headers, ["Ani", "0812-0000-0007", "Bappeda",
                                                    "anggota", "K1"]])
    table = read_sheet(file, MEMBER_COLUMNS)
    assert table.ignored == ()
    assert dict(table.rows[0].cells) == {"name": "Ani", "phone": "0812-0000-0007",
                                         "agency": "Bappeda", "role": "anggota",
                                         "clusters": "K1"}


def test_a_missing_column_shows_what_was_found_and_nothing_is_dropped(tmp_path: Path) -> None:
    file = write_csv(tmp_path / "m.csv", [
        ["Daftar anggota"],
        ["Nama Lengkap", "Telepon Kantor", "Instansi", "Klaster KLA"],
        ["Ani", "0511-123", "Bappeda", "K1"]])
    with pytest.raises(UserError) as caught:
        read_sheet(file, MEMBER_COLUMNS)
    assert said(caught.value) == (
        f"{file}: kolom tidak ada: 'phone' (atau telepon); judul kolom di baris 2: "
        "'Nama Lengkap', 'Telepon Kantor', 'Instansi', 'Klaster KLA'")
    assert said(caught.value, "en").endswith(
        "missing column 'phone' (or telepon); column names in row 2: 'Nama Lengkap', "
        "'Telepon Kantor', 'Instansi', 'Klaster KLA'")
    # Without a clusters column, members would come in with no cluster: the CLI says so.
    no_clusters = write_csv(tmp_path / "n.csv", [["Nama", "HP", "Instansi", ""],
                                                 ["Ani", "0812-0000-0007", "Bappeda", "K1"]])
    table = read_sheet(no_clusters, MEMBER_COLUMNS)
    assert (table.absent, table.ignored) == (("role", "clusters"), ("D",))


async def test_merged_cells_apply_to_every_cell_of_the_range(deps: Deps,
                                                              tmp_path: Path) -> None:
    """"koordinator" merged over three rows makes three coordinators, not one."""
    file = xlsx(tmp_path / "anggota.xlsx", [
        ["Nama", "HP", "Instansi", "Peran", "Klaster"],
        ["Siti", "0812-0000-0001", "Dinsos", "sekretariat", "*"],
        ["Ahmad", "0812-0000-0002", "Dinas Kesehatan", "koordinator", "K3"],
        ["Yusuf", "0812-0000-0003", None, None, None],
        ["Dewi", "0812-0000-0004", None, None, "K1"],
        ["Budi", "0812-0000-0005", "Disdik", "anggota", "K4"],
    ], merges=("C3:C5", "D3:D5", "E3:E4"))
    await import_file(deps, "members", file)
    members = await _members(deps)
    assert members["+6281200000003"] == ("Yusuf", "Dinas Kesehatan", "coordinator", ["K3"])
    assert members["+6281200000004"] == ("Dewi", "Dinas Kesehatan", "coordinator", ["K1"])
    assert members["+6281200000005"] == ("Budi", "Disdik", "member", ["K4"])


async def test_control_characters_are_refused_by_row_and_tabs_are_spaces(
        deps: Deps, tmp_path: Path) -> None:
    await import_file(deps, "members", FIXTURES / "anggota.csv")
    header = ["kode", "indikator", "judul", "poin", "penanggung_jawab", "tenggat", "catatan"]
    file = write_csv(tmp_path / "t.csv", [
        header,
        ["K3-1", "17", "Perda\tKTR\r\n", "1", "0812-0000-0003", "", "baris satu\r\nbaris dua"],
        ["K3-2", "17", "Perda \x07KTR", "1", "0812-0000-0003", "", ""],
        ["K3-3", "17", "Perda", "1", "0812-0000-0003", "", "nul\x00 dan \x01"],
    ])
    with pytest.raises(ImportRejected) as caught:
        await import_file(deps, "tasks", file)
    assert said(caught.value).splitlines()[1:] == [
        "baris 3: judul berisi karakter kendali yang tidak terlihat (U+0007); hapus lalu "
        "simpan ulang",
        "baris 4: catatan berisi karakter kendali yang tidak terlihat (U+0000 U+0001); hapus "
        "lalu simpan ulang",
    ]
    good = write_csv(tmp_path / "ok.csv", [header, [
        "K3-1", "17", "Perda\tKTR\r\n", "1", "0812-0000-0003", "", "baris satu\r\nbaris dua"]])
    await import_file(deps, "tasks", good)
    async with deps.db.transaction() as s:
        task = await s.scalar(select(Task))
    assert task is not None and (task.title, task.notes) == ("Perda KTR", "baris satu\nbaris dua")


async def test_length_limits_are_reported_by_row(deps: Deps, tmp_path: Path) -> None:
    await import_file(deps, "members", FIXTURES / "anggota.csv")
    header = ["kode", "indikator", "judul", "poin", "penanggung_jawab", "tenggat", "catatan"]
    file = write_csv(tmp_path / "t.csv", [
        header,
        ["K3-1", "17", "J" * (LIMITS["title"] + 1), "1", "0812-0000-0003", "", ""],
        ["K3-2", "17", "Judul", "1", "0812-0000-0003", "", "c" * 5000],
        ["K3-3", "17", "Judul", "x" * 100_000, "0812-0000-0003", "", ""],
    ])
    with pytest.raises(ImportRejected) as caught:
        await import_file(deps, "tasks", file)
    lines = said(caught.value).splitlines()
    assert lines[1:3] == ["baris 2: judul terlalu panjang: 301 karakter (paling banyak 300)",
                          "baris 3: catatan terlalu panjang: 5.000 karakter (paling banyak "
                          "1.000)"]
    assert lines[3] == f"baris 4: poin '{'x' * 39}…' bukan angka (mis. 1,5 atau 1.5)"
    members = write_csv(tmp_path / "m.csv", [["nama", "hp", "instansi"],
                                             ["N" * 121, "0812-0000-0009", "I" * 161]])
    with pytest.raises(ImportRejected) as caught:
        await import_file(deps, "members", members)
    assert said(caught.value, "en").splitlines()[1] == (
        "row 2: name is too long: 121 characters (at most 120); agency is too long: "
        "161 characters (at most 160)")


def test_a_cell_over_the_csv_limit_is_one_line(tmp_path: Path) -> None:
    file = tmp_path / "t.csv"
    file.write_text("nama,hp,instansi\nAni,0812,Bappeda\nBudi,0813," + "x" * 131_073 + "\n",
                    encoding="utf-8")
    with pytest.raises(UserError) as caught:
        read_sheet(file, MEMBER_COLUMNS)
    assert said(caught.value) == (f"{file}: baris 3: sebuah sel lebih dari 131.072 karakter "
                                  "(ada tanda petik \" yang tidak ditutup?)")


async def test_a_huge_cell_in_a_workbook_is_refused_by_row(deps: Deps, tmp_path: Path) -> None:
    # openpyxl cuts cells at Excel's 32,767 characters when writing: grow it in the XML.
    small = xlsx(tmp_path / "m.xlsx", [["nama", "hp", "instansi"],
                                       ["HUGE", "0812-0000-0009", "Bappeda"]])
    sheet = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(small) as zf:
        xml = zf.read(sheet)
    file = _rewrite_part(small, tmp_path / "huge.xlsx", sheet,
                         xml.replace(b"HUGE", b"A" * 140_000))
    with pytest.raises(ImportRejected) as caught:
        await import_file(deps, "members", file)
    assert said(caught.value).splitlines()[1] == (
        "baris 2: nama terlalu panjang: 140.000 karakter (paling banyak 120)")


def _rewrite_part(source: Path, target: Path, part: str, change: bytes) -> Path:
    """Copy a workbook, replacing one part's bytes (raw zip surgery)."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, change if info.filename == part else src.read(info.filename))
    return target


@pytest.mark.parametrize("damage", [
    b"<worksheet><sheetData><row r='1'><c r='A1' t='inlineStr'><is><t>nama</t></is></c>",
    b"\x00\x01 not xml at all",
    b"",
])
def test_a_workbook_with_broken_sheet_xml_is_one_line(tmp_path: Path, damage: bytes) -> None:
    good = xlsx(tmp_path / "good.xlsx", [["nama", "hp", "instansi"], ["Ani", "0812", "B"]])
    broken = _rewrite_part(good, tmp_path / "broken.xlsx", "xl/worksheets/sheet1.xml", damage)
    with pytest.raises(UserError) as caught:
        read_sheet(broken, MEMBER_COLUMNS)
    assert said(caught.value) == (f"{broken}: bukan buku kerja .xlsx yang bisa dibaca (rusak?); "
                                  "buka di Excel dan simpan ulang sebagai .xlsx")
    no_sheet = tmp_path / "no_sheet.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(no_sheet, "w") as dst:
        for info in src.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(info, src.read(info.filename))
    with pytest.raises(UserError) as caught:
        read_sheet(no_sheet, MEMBER_COLUMNS)
    assert caught.value.reason.key == "imports.file.bad_xlsx"


def test_formulas_in_an_imported_workbook_are_never_evaluated(tmp_path: Path) -> None:
    file = xlsx(tmp_path / "t.xlsx", [TASK_HEADER, ["K3-1", 17, "=1+2", 1, "0812-0000-0003"]])
    (row,) = read_sheet(file, TASK_COLUMNS).rows
    assert row.get("title") == ""  # no cached value: the formula itself is never run or kept


TASK_HEADER = ["kode", "indikator", "judul", "poin", "penanggung_jawab"]


def test_many_merged_ranges_in_a_big_sheet(tmp_path: Path) -> None:
    rows: list[list[object]] = [["nama", "hp", "instansi", "peran", "klaster"]]
    rows += [[f"Anggota {i}", f"0812{i:08d}", "Dinas", "anggota" if i % 50 else None, "K1"]
             for i in range(1, 5001)]
    merges = tuple(f"D{r}:D{r + 49}" for r in range(2, 5002, 50))
    table = read_sheet(xlsx(tmp_path / "big.xlsx", rows, merges=merges), MEMBER_COLUMNS)
    assert len(table.rows) == 5000
    assert {r.get("role") for r in table.rows} == {"anggota"}


async def test_import_warns_about_clusters_without_a_coordinator(deps: Deps) -> None:
    members = await import_file(deps, "members", FIXTURES / "anggota.csv")
    tasks = await import_file(deps, "tasks", FIXTURES / "tugas.csv")
    assert [render(translator("id"), w) for w in members.warnings] == [
        "peringatan: klaster KL, K1, K2, K4 belum punya koordinator; berkas masuk untuk "
        "klaster ini dikirim ke sekretariat untuk tinjauan"]
    # Tasks: only the clusters that now have tasks nobody coordinates.
    assert [w.params["clusters"] for w in tasks.warnings] == ["KL, K1, K2, K4"]


async def test_the_command_line_names_the_header_row_and_the_unused_columns(
        deps: Deps, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    file = xlsx(tmp_path / "anggota.xlsx", [
        ["Daftar Anggota Gugus Tugas"], [],
        ["No", "Nama Lengkap", "No. HP / WA", "OPD", "Jabatan", None],
        [1, "Ani", "0812-0000-0007", "Bappeda", "Kabid", "catatan tanpa judul"]])
    monkeypatch.setenv("KLA_BOT_NOW", "2025-05-05T09:00:00+08:00")
    assert await run_import(argparse.Namespace(kind="members", file=file), settings) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        f"{file}: judul kolom ada di baris 3 (baris di atasnya dilewati)",
        f"{file}: kolom yang tidak dipakai (diabaikan): 'No', 'Jabatan', 'F'",
        f"{file}: kolom pilihan tidak ada, dipakai nilai bawaan: peran, klaster",
        f"{file}: anggota: 1 baru, 0 diperbarui, 0 tidak berubah"]
    assert err.startswith("kla-bot: peringatan: klaster KL, K1, K2, K3, K4, K5 belum punya")
