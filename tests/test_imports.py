"""Importing members and tasks: whole-file validation, upserts, idempotence, every bad row named."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from kla_bot.cli_text import error_text
from kla_bot.clock import ManualClock
from kla_bot.deps import Deps
from kla_bot.errors import UserError
from kla_bot.i18n import translator
from kla_bot.models import AuditEvent, Evidence, Member, Task
from kla_bot.services.imports import ImportRejected
from kla_bot.tabular import Column, read_table
from tests.import_helpers import (
    FIXTURES,
    csv_to_xlsx,
    import_file,
    import_fixtures,
    snapshot,
    write_csv,
)

MEMBER_HEADER = ["name", "phone", "agency", "role", "clusters"]
TASK_HEADER = ["code", "indicator", "title", "points", "assignee", "due", "notes"]


def said(error: UserError, lang: str = "id") -> str:
    """What the operator reads after ``kla-bot:`` (Indonesian unless asked otherwise)."""
    return error_text(translator(lang), error)


async def _members(deps: Deps) -> dict[str, tuple[str, str, str, list[str]]]:
    async with deps.db.transaction() as s:
        rows = await s.scalars(select(Member))
        return {m.phone: (m.name, m.agency, m.role, m.cluster_codes) for m in rows}


async def test_members_file_with_indonesian_headers_and_messy_phones(deps: Deps) -> None:
    result = await import_file(deps, "members", FIXTURES / "anggota.csv")
    assert (result.created, result.updated, result.unchanged) == (6, 0, 0)
    assert result.kind == "members"
    assert await _members(deps) == {
        "+6281200000001": ("Hj. Siti Rahmah", "Dinsos P3AP2KB", "secretariat",
                           ["K1", "K2", "K3", "K4", "K5", "KL"]),
        "+6281200000002": ("dr. Ahmad Fauzi", "Dinas Kesehatan", "coordinator", ["K3"]),
        "+6281200000003": ("Rina Marlina", "Dinas Kesehatan", "member", ["K3"]),
        "+6281200000004": ("Budi Santoso", "Dinas Pendidikan", "member", ["K3", "K4"]),
        "+6281200000005": ("Dewi Lestari", "Disdukcapil", "member", ["K1"]),
        "+6281200000006": ("Yusuf Maulana", "Dinas PUPR", "coordinator", ["K3", "K5"]),
    }


async def test_tasks_file_with_semicolons_decimal_commas_and_default_due(deps: Deps) -> None:
    await import_file(deps, "members", FIXTURES / "anggota.csv")
    result = await import_file(deps, "tasks", FIXTURES / "tugas.csv")
    assert (result.created, result.updated, result.unchanged) == (8, 0, 0)
    async with deps.db.transaction() as s:
        tasks = {t.code: t for t in await s.scalars(select(Task))}
    default_due = deps.settings.verification.date - timedelta(days=2)
    assert default_due == date(2025, 5, 14)
    k3 = tasks["k3-15a"]  # the code is kept as written, looked up case-insensitively
    assert (k3.code_key, k3.indicator_number, k3.points, k3.due_date, k3.notes, k3.state) == (
        "K3-15A", 15, Decimal("3.5"), default_due, None, "open")
    assert k3.assignee.phone == "+6281200000003"
    assert tasks["K2-10a"].points == Decimal("1.5")
    assert tasks["K3-17a"].notes == "minta ke Bagian Hukum"
    assert tasks["K4-19a"].due_date == date(2025, 5, 2)
    assert sum(t.points for t in tasks.values()) == Decimal("23.5")


async def test_importing_either_file_twice_changes_nothing(deps: Deps,
                                                           clock: ManualClock) -> None:
    await import_fixtures(deps)
    before = await snapshot(deps)
    clock.advance(timedelta(hours=3))
    members = await import_file(deps, "members", FIXTURES / "anggota.csv")
    tasks = await import_file(deps, "tasks", FIXTURES / "tugas.csv")
    assert (members.created, members.updated, members.unchanged) == (0, 0, 6)
    assert (tasks.created, tasks.updated, tasks.unchanged) == (0, 0, 8)
    assert await snapshot(deps) == before


async def test_the_same_people_written_differently_are_unchanged(deps: Deps) -> None:
    await import_file(deps, "members", FIXTURES / "anggota.csv")
    before = await snapshot(deps)
    result = await import_file(deps, "members", FIXTURES / "anggota_titik_koma.csv")
    assert (result.created, result.updated, result.unchanged) == (0, 0, 6)
    assert await snapshot(deps) == before


async def test_xlsx_equivalent_of_the_csv_files_gives_the_same_data(deps: Deps,
                                                                    tmp_path: Path) -> None:
    members = csv_to_xlsx(FIXTURES / "anggota.csv", tmp_path / "anggota.xlsx")
    tasks = csv_to_xlsx(FIXTURES / "tugas.csv", tmp_path / "tugas.xlsx", delimiter=";")
    assert (await import_file(deps, "members", members)).created == 6
    assert (await import_file(deps, "tasks", tasks)).created == 8
    from_xlsx = await snapshot(deps)
    again = [await import_file(deps, "members", FIXTURES / "anggota.csv"),
             await import_file(deps, "tasks", FIXTURES / "tugas.csv")]
    assert [(r.created, r.updated) for r in again] == [(0, 0), (0, 0)]
    assert await snapshot(deps) == from_xlsx


async def test_three_bad_rows_change_nothing_and_are_all_named(deps: Deps) -> None:
    await import_file(deps, "members", FIXTURES / "anggota.csv")
    before = await snapshot(deps)
    with pytest.raises(ImportRejected) as caught:
        await import_file(deps, "tasks", FIXTURES / "tugas_tiga_salah.csv")
    assert [e.row for e in caught.value.errors] == [3, 5, 6]
    lines = said(caught.value).splitlines()
    assert lines == [
        "tasks: 3 baris salah, tidak ada yang diimpor",
        "baris 3: penanggung jawab +6281200000999 bukan anggota (impor anggota dulu)",
        "baris 5: indikator 31 tidak ada di katalog (1–24)",
        "baris 6: poin 'lima' bukan angka (mis. 1,5 atau 1.5)",
    ]
    assert said(caught.value, "en").splitlines() == [
        "tasks: 3 bad rows, nothing imported",
        "row 3: assignee +6281200000999 is not a member (import members first)",
        "row 5: indicator 31 is not in the catalog (1–24)",
        "row 6: points 'lima' is not a number (e.g. 1.5 or 1,5)",
    ]
    assert await snapshot(deps) == before


async def test_reimport_updates_fields_but_keeps_state_and_evidence(deps: Deps,
                                                                    tmp_path: Path) -> None:
    await import_fixtures(deps)
    async with deps.db.transaction() as s:
        task = await s.scalar(select(Task).where(Task.code_key == "K3-17A"))
        assert task is not None
        task.state = "approved"
        s.add(Evidence(task_id=task.id, uploaded_by_id=task.assignee_id, sha256="a" * 64,
                       size_bytes=10, mime="application/pdf", original_name="perda.pdf",
                       storage_key="aa/" + "a" * 64, state="approved",
                       uploaded_at=deps.clock.now()))
    changed = write_csv(tmp_path / "tugas.csv", [
        TASK_HEADER,
        ["k3-17A", "17", "Salinan Perda KTR (lengkap)", "6", "0812-0000-0002", "", ""]])
    result = await import_file(deps, "tasks", changed)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    async with deps.db.transaction() as s:
        task = await s.scalar(select(Task).where(Task.code_key == "K3-17A"))
        assert task is not None
        assert (task.code, task.title, task.points, task.state, task.due_date) == (
            "k3-17A", "Salinan Perda KTR (lengkap)", Decimal("6"), "approved", date(2025, 5, 14))
        assert task.assignee.phone == "+6281200000002"
        assert len(list(await s.scalars(select(Evidence)))) == 1
        event = await s.scalar(select(AuditEvent).where(AuditEvent.action == "task.imported")
                               .order_by(AuditEvent.id.desc()))
        assert event is not None and event.actor_label == "cli"
        assert event.details["changed"]["points"] == ["5.00", "6.00"]
        assert event.details["changed"]["title"][1] == "Salinan Perda KTR (lengkap)"


async def test_member_upsert_by_phone_records_what_changed(deps: Deps, tmp_path: Path) -> None:
    await import_file(deps, "members", FIXTURES / "anggota.csv")
    file = write_csv(tmp_path / "m.csv", [
        ["Instansi", "HP", "Nama", "Peran", "Klaster"],  # any order
        ["Dinas Kesehatan Kab. Banjar", "+62 812-0000-0003", "Rina Marlina, S.KM", "koordinator",
         "K3"]])
    result = await import_file(deps, "members", file)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    members = await _members(deps)
    assert members["+6281200000003"] == ("Rina Marlina, S.KM", "Dinas Kesehatan Kab. Banjar",
                                         "coordinator", ["K3"])
    assert len(members) == 6  # an import never deletes anyone
    async with deps.db.transaction() as s:
        event = await s.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()))
    assert event is not None and event.action == "member.imported"
    assert event.details["changed"]["role"] == ["member", "coordinator"]


@pytest.mark.parametrize(("row", "reason"), [
    (["Ani", "0812-0000-0007", "Bappeda", "ketua", "K1"], "peran 'ketua' tidak dikenal"),
    (["Ani", "0812-0000-0007", "Bappeda", "anggota", "K1;K7"], "klaster K7 tidak dikenal"),
    (["Ani", "0812", "Bappeda", "anggota", "K1"],
     "telepon: nomor telepon '0812' terlalu pendek"),
    (["Ani", "nomor", "Bappeda", "anggota", "K1"], "telepon: 'nomor' bukan nomor telepon"),
    (["", "0812-0000-0007", "Bappeda", "anggota", "K1"], "nama kosong"),
    (["Ani", "0812-0000-0007", "Bappeda", "koordinator", ""], "koordinator perlu paling"),
    (["Ani", "0812-0000-0001", "Bappeda", "anggota", "K1"],
     "telepon +6281200000001 sudah ada di baris 2"),
])
async def test_bad_member_rows(deps: Deps, tmp_path: Path, row: list[str], reason: str) -> None:
    file = write_csv(tmp_path / "m.csv", [
        MEMBER_HEADER, ["Siti", "0812-0000-0001", "Dinsos", "sekretariat", "*"], row])
    with pytest.raises(ImportRejected) as caught:
        await import_file(deps, "members", file)
    assert [e.row for e in caught.value.errors] == [3]
    assert said(caught.value).splitlines()[1].startswith("baris 3: ")
    assert reason in said(caught.value)
    assert await _members(deps) == {}


@pytest.mark.parametrize(("row", "reason"), [
    (["k3-17A", "17", "Dua kali", "1", "0812-0000-0003", "", ""],
     "kode 'k3-17A' sudah ada di baris 2"),
    (["K3 17", "17", "Spasi", "1", "0812-0000-0003", "", ""],
     "kode 'K3 17': pakai paling banyak 32"),
    (["K3-1", "dua", "Judul", "1", "0812-0000-0003", "", ""], "indikator 'dua' bukan angka"),
    (["K3-1", "0", "Judul", "1", "0812-0000-0003", "", ""], "indikator 0 tidak ada di katalog"),
    (["K3-1", "17", "", "1", "0812-0000-0003", "", ""], "judul kosong"),
    (["K3-1", "17", "Judul", "-1", "0812-0000-0003", "", ""], "harus antara 0 dan 1000"),
    (["K3-1", "17", "Judul", "1,255", "0812-0000-0003", "", ""], "paling banyak dua angka"),
    (["K3-1", "17", "Judul", "", "0812-0000-0003", "", ""], "poin kosong"),
    (["K3-1", "17", "Judul", "1", "", "", ""], "penanggung jawab kosong"),
    (["K3-1", "17", "Judul", "1", "0812-0000-0003", "besok", ""], "tenggat 'besok' bukan tanggal"),
    (["K3-1", "17", "Judul", "1", "0812-0000-0003", "2025-02-30", ""], "bukan tanggal"),
])
async def test_bad_task_rows(deps: Deps, tmp_path: Path, row: list[str], reason: str) -> None:
    await import_file(deps, "members", FIXTURES / "anggota.csv")
    file = write_csv(tmp_path / "t.csv", [
        TASK_HEADER, ["K3-17a", "17", "Perda KTR", "5", "0812-0000-0003", "", ""], row])
    with pytest.raises(ImportRejected) as caught:
        await import_file(deps, "tasks", file)
    assert [e.row for e in caught.value.errors] == [3]
    assert reason in said(caught.value)
    async with deps.db.transaction() as s:
        assert list(await s.scalars(select(Task))) == []


async def test_several_problems_in_one_row_are_reported_together(deps: Deps,
                                                                 tmp_path: Path) -> None:
    file = write_csv(tmp_path / "t.csv", [TASK_HEADER, ["", "99", "x", "abc", "0812-0000-0003"]])
    with pytest.raises(ImportRejected) as caught:
        await import_file(deps, "tasks", file)
    assert len(caught.value.errors) == 1
    line = said(caught.value).splitlines()[1]
    assert line.startswith("baris 2: kode kosong; indikator 99 tidak ada di katalog")
    assert "poin 'abc'" in line and "bukan anggota" in line
    assert said(caught.value).splitlines()[0] == "tasks: 1 baris salah, tidak ada yang diimpor"
    assert said(caught.value, "en").startswith("tasks: 1 bad row, nothing imported\n"
                                               "row 2: code is empty; indicator 99")


async def test_day_first_dates_as_spreadsheets_write_them(deps: Deps, tmp_path: Path) -> None:
    await import_file(deps, "members", FIXTURES / "anggota.csv")
    file = write_csv(tmp_path / "t.csv", [
        TASK_HEADER, ["K3-1", "13", "Data gizi", "1", "0812-0000-0002", "09/05/2025", ""]])
    await import_file(deps, "tasks", file)
    async with deps.db.transaction() as s:
        assert await s.scalar(select(Task.due_date)) == date(2025, 5, 9)


def test_missing_column_is_one_error_naming_it(tmp_path: Path) -> None:
    from kla_bot.services.imports import TASK_COLUMNS

    file = write_csv(tmp_path / "t.csv", [["Kode", "Judul", "Poin", "Penanggung Jawab"],
                                          ["K3-1", "x", "1", "0812-0000-0002"]])
    with pytest.raises(UserError) as caught:
        read_table(file, TASK_COLUMNS)
    found = "'Kode', 'Judul', 'Poin', 'Penanggung Jawab'"
    assert said(caught.value) == (f"{file}: kolom tidak ada: 'indicator' (atau indikator); "
                                  f"judul kolom di baris 1: {found}")
    assert said(caught.value, "en") == (f"{file}: missing column 'indicator' (or indikator); "
                                        f"column names in row 1: {found}")


def test_reading_tables(tmp_path: Path) -> None:
    columns = (Column("name", ("nama",)), Column("phone", ("no_hp", "hp")),
               Column("notes", ("catatan",), required=False))
    latin = tmp_path / "latin.csv"
    latin.write_bytes("NAMA ;No. HP;Lain\nJosé;0812;x\n;;\n\nAni;0813;y\n".encode("cp1252"))
    rows = read_table(latin, columns)
    assert [(r.number, r.get("name"), r.get("phone"), r.get("notes")) for r in rows] == [
        (2, "José", "0812", ""), (5, "Ani", "0813", "")]
    refused = {
        "same_column": write_csv(tmp_path / "d.csv", [["nama", "hp", "no_hp"]]),
        "empty": write_csv(tmp_path / "e.csv", []),
        "wrong_type": write_csv(tmp_path / "f.txt", [["nama"]]),
        "missing": tmp_path / "missing.csv",
        "bad_xlsx": tmp_path / "broken.xlsx",
    }
    refused["bad_xlsx"].write_bytes(b"not a zip")
    texts = {}
    for why, path in refused.items():
        with pytest.raises(UserError) as caught:
            read_table(path, columns)
        assert caught.value.reason.key == f"imports.file.{why}"
        texts[why] = said(caught.value).removeprefix(f"{path}: ")
    assert texts == {
        "same_column": "kolom 'hp' dan 'no_hp' sama-sama berarti 'phone'; simpan satu saja",
        "empty": "berkas kosong (judul kolom harus ada di 10 baris pertama)",
        "wrong_type": "harus berkas .csv atau .xlsx",
        "missing": "berkas tidak ditemukan",
        "bad_xlsx": "bukan buku kerja .xlsx yang bisa dibaca (rusak?); buka di Excel dan "
                    "simpan ulang sebagai .xlsx",
    }
