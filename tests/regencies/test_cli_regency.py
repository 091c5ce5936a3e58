"""``python bot.py regency add|list|set`` and ``--regency`` on the data commands, as an operator
runs them: one line per regency, before → after, refusals on one line with exit status 2 and
nothing changed, and every data command working in the regency it names."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import openpyxl

from kla_bot.services.due_dates import default_due
from tests.import_helpers import FIXTURES, write_csv
from tests.regencies.conftest import Cli, audit_count, members_by_regency

AMBON = ("regency", "add", "Kota Ambon", "--date", "2025-06-10", "--zone", "WIT",
         "--province", "Maluku", "--target", "Madya", "--last-score", "612,5")
BANJAR_LINE = ("Kabupaten Banjar · provinsi belum diisi · verifikasi 2025-05-16 (H-11) · WITA · "
               "target Nindya · {members} anggota · {tasks} tugas berjalan · config.toml")


async def test_add_then_list_one_line_per_regency_on_its_own_calendar(
        cli: Cli, database_url: str) -> None:
    added = await cli(*AMBON)
    assert (added.code, added.err) == (0, "")
    assert added.out.splitlines() == [
        "kabupaten/kota ditambahkan: Kota Ambon",
        "Kota Ambon · Maluku · verifikasi 2025-06-10 (H-36) · WIT · target Madya · 0 anggota · "
        "0 tugas berjalan",
        # The deployment had one regency, in WITA: a running bot schedules WITA only.
        "catatan: Kota Ambon memakai zona WIT yang belum dijadwalkan oleh bot yang sedang "
        "berjalan; jalankan ulang bot sekali agar pengingat harian Kota Ambon terkirim pada jam "
        "setempat"]
    await cli("import", "members", str(FIXTURES / "anggota.csv"))
    await cli("import", "tasks", str(FIXTURES / "tugas.csv"))
    listed = await cli("regency", "list")
    assert (listed.code, listed.err) == (0, "")
    assert listed.out.splitlines() == [
        BANJAR_LINE.format(members=6, tasks=8),
        "Kota Ambon · Maluku · verifikasi 2025-06-10 (H-36) · WIT · target Madya · 0 anggota · "
        "0 tugas berjalan"]
    english = await cli("regency", "list", language="en")
    assert english.out.splitlines()[1] == (
        "Kota Ambon · Maluku · verification 2025-06-10 (D-36) · WIT · target Madya · "
        "0 members · 0 live tasks")
    audit = await cli("audit", "--regency", "Kota Ambon")
    assert "cli  regency.add  regency:" in audit.out
    assert "member.imported" not in audit.out  # Banjar's imports are Banjar's


async def test_a_second_regency_in_a_zone_already_served_needs_no_restart(cli: Cli) -> None:
    added = await cli("regency", "add", "Kabupaten Tanah Laut", "--date", "2025-05-20",
                      "--zone", "wita")
    assert added.code == 0
    assert added.out.splitlines()[1:] == [
        "Kabupaten Tanah Laut · provinsi belum diisi · verifikasi 2025-05-20 (H-15) · WITA · "
        "target Nindya · 0 anggota · 0 tugas berjalan"]


async def test_bad_input_is_one_line_exit_2_and_changes_nothing(
        cli: Cli, database_url: str) -> None:
    await cli(*AMBON)
    before = (await cli("regency", "list")).out
    events = await audit_count(database_url)
    refused = {
        ("regency", "add", "Kota Sorong", "--date", "2025-06-10", "--zone", "Mars/Olympus"):
            "kla-bot: zona waktu 'Mars/Olympus' tidak dikenal; pakai WIB, WITA atau WIT\n",
        ("regency", "add", "Kota Sorong", "--date", "10-06-2025", "--zone", "WIT"):
            "kla-bot: tanggal '10-06-2025' tidak dikenal; tulis TTTT-BB-HH, mis. 2025-05-16\n",
        ("regency", "add", "kota  AMBON", "--date", "2025-07-01", "--zone", "WIT"):
            "kla-bot: kabupaten/kota 'kota AMBON' sudah ada\n",
        ("regency", "add", "Kota Sorong", "--date", "2025-06-10", "--zone", "WIT",
         "--target", "Platinum"):
            "kla-bot: target predikat seharusnya salah satu dari Pratama, Madya, Nindya, Utama, "
            "KLA\n",
        ("regency", "add", "Kota Sorong", "--date", "2025-06-10", "--zone", "WIT",
         "--last-score", "banyak"):
            "kla-bot: nilai terakhir seharusnya angka 0 sampai 1000, mis. 612,5\n",
        ("regency", "set", "Kota Sorong", "tanggal", "2025-06-12"):
            "kla-bot: tidak ada kabupaten/kota bernama 'Kota Sorong'\n",
        ("regency", "set", "Kota Ambon", "warna", "merah"):
            "kla-bot: pengaturan yang bisa diubah: tanggal, zona, target, skor, provinsi, libur\n",
        ("regency", "set", "Kota Ambon", "zona", "Mars/Olympus"):
            "kla-bot: zona waktu 'Mars/Olympus' tidak dikenal; pakai WIB, WITA atau WIT\n",
        ("status", "--regency", "Kota Sorong"):
            "kla-bot: tidak ada kabupaten/kota bernama 'Kota Sorong'\n",
    }
    for args, line in refused.items():
        ran = await cli(*args)
        assert (ran.code, ran.out, ran.err) == (2, "", line), args
    assert (await cli("regency", "list")).out == before
    assert await audit_count(database_url) == events
    usage = await cli("regency", "add", "Kota Sorong", "--zone", "WIT")
    assert usage.code == 2 and usage.err.startswith("kla-bot: ")
    assert usage.err.endswith("(lihat kla-bot regency add --help)\n")


async def test_set_prints_before_and_after(cli: Cli) -> None:
    await cli(*AMBON)
    changes = [("tanggal", "2025-06-12", "Kota Ambon: tanggal verifikasi 2025-06-10 → 2025-06-12"),
               ("target", "nindya", "Kota Ambon: target predikat Madya → Nindya"),
               ("provinsi", "Maluku Utara", "Kota Ambon: provinsi Maluku → Maluku Utara"),
               ("libur", "2025-05-29", "Kota Ambon: libur daerah - → 2025-05-29"),
               # Three regencies' zones are already scheduled once there are two: no restart.
               ("zona", "WIB", "Kota Ambon: zona waktu WIT → WIB")]
    for field, value, line in changes:
        ran = await cli("regency", "set", "kota ambon", field, value)
        assert (ran.code, ran.out, ran.err) == (0, f"{line}\n", ""), field
    listed = (await cli("regency", "list")).out.splitlines()
    assert listed[1] == ("Kota Ambon · Maluku Utara · verifikasi 2025-06-12 (H-38) · WIB · "
                         "target Nindya · 0 anggota · 0 tugas berjalan")
    audit = (await cli("audit", "--regency", "Kota Ambon")).out
    assert "regency.change  regency:2  field=zone before=WIT after=WIB" in audit
    renamed = await cli("regency", "set", "Kabupaten Banjar", "nama", "Kabupaten  Banjar Baru")
    assert renamed.out.splitlines() == [
        "Kabupaten Banjar Baru: nama Kabupaten Banjar → Kabupaten Banjar Baru",
        'catatan: Kabupaten Banjar Baru adalah kabupaten/kota di config.toml; ubah juga '
        'verification.regency menjadi "Kabupaten Banjar Baru" sebelum bot dijalankan lagi '
        '(bila tetap "Kabupaten Banjar", kabupaten/kota baru yang kosong dibuat dengan nama itu)']


async def test_each_data_command_works_in_the_regency_it_names(
        cli: Cli, tmp_path: Path, database_url: str) -> None:
    await cli(*AMBON)
    await cli("import", "members", str(FIXTURES / "anggota.csv"))
    await cli("import", "tasks", str(FIXTURES / "tugas.csv"))
    ambon = write_csv(tmp_path / "ambon.csv", [
        ["Nama", "No. HP", "Instansi", "Peran", "Klaster"],
        ["Maria Latuconsina", "0812-0000-0301", "Bappeda Kota Ambon", "sekretariat", "*"],
        ["Yohanes Pattiasina", "0812-0000-0302", "Dinas Kesehatan", "koordinator", "K3"]])
    imported = await cli("import", "members", str(ambon), "--regency", "Kota Ambon")
    assert imported.out.endswith("anggota: 2 baru, 0 diperbarui, 0 tidak berubah\n")
    assert await members_by_regency(database_url) == {
        "Kabupaten Banjar": ["Budi Santoso", "Dewi Lestari", "Hj. Siti Rahmah", "Rina Marlina",
                             "Yusuf Maulana", "dr. Ahmad Fauzi"],
        "Kota Ambon": ["Maria Latuconsina", "Yohanes Pattiasina"]}

    home = json.loads((await cli("status", "--json")).out)
    there = await cli("status", "--json", "--regency", "Kota Ambon")
    assert there.code == 0
    report = json.loads(there.out)
    assert list(report) == list(home)  # the documented shape, key for key
    assert report["regency"] == "Kota Ambon" and home["regency"] == "Kabupaten Banjar"
    assert (report["tasks"]["total"], home["tasks"]["total"]) == (0, 8)
    assert report["days_left"] == 36
    table = (await cli("status", "--regency", "kota ambon")).out
    assert table.startswith("Kota Ambon · verifikasi 2025-06-10 (Asia/Jayapura)\n")
    assert "Siti Rahmah" not in table and "Maria Latuconsina" in table

    nobody_here = await cli("invite", "0812-0000-0301")
    assert (nobody_here.code, nobody_here.err) == (
        2, "kla-bot: tidak ada anggota dengan nomor telepon '0812-0000-0301'\n")
    invited = await cli("invite", "0812-0000-0301", "--regency", "Kota Ambon")
    assert invited.code == 0
    assert invited.out.startswith("kode undangan untuk Maria Latuconsina: ")
    workbook = tmp_path / "undangan.xlsx"
    every = await cli("invite", "--all", "--out", str(workbook), "--regency", "Kota Ambon")
    assert every.code == 0
    assert every.out.splitlines()[-1] == f"2 undangan ditulis ke {workbook}"
    cells = {str(cell) for row in openpyxl.load_workbook(workbook).active.iter_rows(
        values_only=True) for cell in row}
    assert "Yohanes Pattiasina" in cells and "Budi Santoso" not in cells

    archive = tmp_path / "ambon.zip"
    exported = await cli("export", "--out", str(archive), "--regency", "Kota Ambon")
    assert (exported.code, exported.out) == (0, f"{archive}: 0 tugas, 0 berkas (0 byte)\n")


async def test_template_example_due_date_follows_the_named_regency(
        cli: Cli, tmp_path: Path) -> None:
    await cli(*AMBON)

    def due_dates(path: Path) -> set[date]:
        tasks = openpyxl.load_workbook(path).worksheets[1]
        return {cell.date() if isinstance(cell, datetime) else cell
                for row in tasks.iter_rows(values_only=True) for cell in row
                if isinstance(cell, date)}

    home, there = tmp_path / "banjar.xlsx", tmp_path / "ambon.xlsx"
    assert (await cli("template", "--out", str(home))).code == 0
    assert (await cli("template", "--out", str(there), "--regency", "Kota Ambon")).code == 0
    assert due_dates(home) == {default_due(date(2025, 5, 16))}
    assert due_dates(there) == {default_due(date(2025, 6, 10))}
