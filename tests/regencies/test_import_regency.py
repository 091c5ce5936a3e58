"""Import files that name each row's regency (a "Kabupaten" column): on the command line each
part goes to its regency, all or nothing for the whole file; in chat a row for another
regency is a bad row, never written."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select

from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.models import Cycle, Regency, Task
from kla_bot.services import regencies
from kla_bot.services.audit import Actor
from kla_bot.standin import BotApiStandin
from tests.coordinators.chat import chat_world
from tests.coordinators.helpers import SITI
from tests.import_helpers import FIXTURES, write_csv
from tests.regencies.conftest import Cli, audit_count, members_by_regency
from tests.secretariat.helpers import csv_bytes, member_named, send_file

HEADER = ["Nama", "No. HP", "Instansi", "Peran", "Klaster", "Kabupaten/Kota"]


async def _with_ambon(cli: Cli) -> None:
    added = await cli("regency", "add", "Kota Ambon", "--date", "2025-06-10", "--zone", "WIT")
    assert added.code == 0, added.err


async def test_rows_go_to_the_regency_they_name(cli: Cli, tmp_path: Path,
                                                database_url: str) -> None:
    await _with_ambon(cli)
    await cli("regency", "add", "Kabupaten Tanah Laut", "--date", "2025-05-20", "--zone", "WITA")
    members = write_csv(tmp_path / "provinsi.csv", [
        HEADER,
        ["Hj. Siti Rahmah", "0812-0000-0001", "Dinsos", "sekretariat", "*", ""],
        ["Maria Latuconsina", "0812-0000-0301", "Bappeda", "sekretariat", "*", "kota  ambon"],
        ["Yohanes Pattiasina", "0812-0000-0302", "Dinkes", "koordinator", "K3", "Kota Ambon"],
        # The same phone in two regencies: two people's records, one per regency.
        ["Ahmad Rifai", "0812-0000-0001", "Dinsos", "sekretariat", "*", "Kabupaten Tanah Laut"],
        ["dr. Ahmad Fauzi", "0812-0000-0002", "Dinkes", "koordinator", "K3", "Kabupaten Banjar"]])
    ran = await cli("import", "members", str(members))
    assert (ran.code, ran.out.splitlines()) == (0, [
        f"{members}: anggota: 5 baru, 0 diperbarui, 0 tidak berubah",
        "  Kabupaten Banjar: 2 baru, 0 diperbarui, 0 tidak berubah",
        "  Kabupaten Tanah Laut: 1 baru, 0 diperbarui, 0 tidak berubah",
        "  Kota Ambon: 2 baru, 0 diperbarui, 0 tidak berubah"])
    assert ran.err.splitlines()[0].startswith("kla-bot: Kabupaten Banjar: peringatan: klaster ")
    assert await members_by_regency(database_url) == {
        "Kabupaten Banjar": ["Hj. Siti Rahmah", "dr. Ahmad Fauzi"],
        "Kabupaten Tanah Laut": ["Ahmad Rifai"],
        "Kota Ambon": ["Maria Latuconsina", "Yohanes Pattiasina"]}

    # Tasks: each assignee is looked up among the members of the row's regency.
    tasks = write_csv(tmp_path / "tugas.csv", [
        ["Kode", "Indikator", "Judul", "Poin", "Penanggung Jawab", "Kabupaten"],
        ["K3-17a", "17", "Perda KTR", "5", "0812-0000-0302", "Kota Ambon"],
        ["K3-17a", "17", "Perda KTR Banjar", "4", "0812-0000-0002", ""]])
    ran = await cli("import", "tasks", str(tasks))
    assert ran.code == 0, ran.err
    assert await _task_titles(database_url) == {"Kabupaten Banjar": ["Perda KTR Banjar"],
                                                "Kota Ambon": ["Perda KTR"]}
    again = await cli("import", "tasks", str(tasks))
    assert again.out.splitlines()[1].endswith("tugas: 0 baru, 0 diperbarui, 2 tidak berubah")


async def test_an_empty_cell_goes_to_the_regency_the_option_names(
        cli: Cli, tmp_path: Path, database_url: str) -> None:
    await _with_ambon(cli)
    members = write_csv(tmp_path / "anggota.csv", [
        HEADER, ["Maria Latuconsina", "0812-0000-0301", "Bappeda", "sekretariat", "*", ""],
        ["Hj. Siti Rahmah", "0812-0000-0001", "Dinsos", "sekretariat", "*",
         "Kabupaten Banjar"]])
    ran = await cli("import", "members", str(members), "--regency", "Kota Ambon")
    assert ran.out.splitlines()[1:] == [
        "  Kota Ambon: 1 baru, 0 diperbarui, 0 tidak berubah",
        "  Kabupaten Banjar: 1 baru, 0 diperbarui, 0 tidak berubah"]
    assert await members_by_regency(database_url) == {"Kabupaten Banjar": ["Hj. Siti Rahmah"],
                                                      "Kota Ambon": ["Maria Latuconsina"]}


async def test_an_unknown_regency_or_a_bad_row_anywhere_writes_nothing(
        cli: Cli, tmp_path: Path, database_url: str) -> None:
    await _with_ambon(cli)
    events = await audit_count(database_url)
    members = write_csv(tmp_path / "anggota.csv", [
        HEADER,
        ["Hj. Siti Rahmah", "0812-0000-0001", "Dinsos", "sekretariat", "*", ""],
        ["Maria Latuconsina", "0812-0000-0301", "Bappeda", "sekretariat", "*", "Kota Ambon"],
        ["Piet Tahapary", "0812-0000-0303", "Dinsos", "anggota", "K1", "Kota Amboina"],
        ["Yohanes Pattiasina", "12345", "Dinkes", "koordinator", "K3", "Kota Ambon"]])
    ran = await cli("import", "members", str(members))
    assert (ran.code, ran.out) == (2, "")
    assert ran.err.splitlines() == [
        f"kla-bot: {members}: 2 baris salah, tidak ada yang diimpor",
        "baris 4: kabupaten/kota 'Kota Amboina' tidak ada (lihat python bot.py regency list)",
        "baris 5: telepon: '12345' bukan nomor telepon yang berlaku"]
    assert await members_by_regency(database_url) == {}
    assert await audit_count(database_url) == events
    english = await cli("import", "members", str(members), language="en")
    assert english.err.splitlines()[1] == \
        "row 4: no regency called 'Kota Amboina' (see python bot.py regency list)"


async def test_a_file_without_the_column_imports_as_before(cli: Cli) -> None:
    """Most files name no regency: no note that the column is missing."""
    ran = await cli("import", "members", str(FIXTURES / "anggota.csv"))
    assert ran.out.splitlines()[-1].endswith("anggota: 6 baru, 0 diperbarui, 0 tidak berubah")
    assert len(ran.out.splitlines()) == 2  # the ignored 'Keterangan', then the summary


async def test_chat_import_refuses_rows_for_another_regency(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    deps = cw.world.deps
    async with deps.db.transaction() as session:
        await regencies.add(session, name="Kota Ambon", verification_date=date(2025, 6, 10),
                            timezone="WIT", actor=Actor.system("test"), now=deps.clock.now())
    data = csv_bytes([HEADER,
                      ["Lina Kartika", "0812-0000-0011", "Bappeda", "anggota", "K2", ""],
                      ["Maria Latuconsina", "0812-0000-0301", "Bappeda", "sekretariat", "*",
                       "Kota Ambon"],
                      ["Joko Prasetyo", "0812-0000-0012", "Dinas Sosial", "koordinator", "K5",
                       "kabupaten banjar"],
                      ["Piet Tahapary", "0812-0000-0303", "Dinsos", "anggota", "K1",
                       "Kota Entah"]])
    preview = (await send_file(cw, SITI, data, "anggota.csv"))[-1]
    text = preview.plain
    assert "Anggota (lembar anggota.csv): 2 baru, 0 berubah, 0 tidak berubah" in text
    assert "2 baris salah, tidak akan diimpor:" in text
    assert ("baris 3: baris untuk kabupaten lain ('Kota Ambon'); di sini hanya baris "
            "Kabupaten Banjar yang diimpor") in text
    assert "baris 5: baris untuk kabupaten lain ('Kota Entah')" in text
    await cw.press(SITI, preview, "Terapkan")
    assert await member_named(cw, "Lina Kartika") is not None
    assert await member_named(cw, "Joko Prasetyo") is not None
    assert await member_named(cw, "Maria Latuconsina") is None
    assert await member_named(cw, "Piet Tahapary") is None


async def _task_titles(database_url: str) -> dict[str, list[str]]:
    from kla_bot.db import Database

    db = Database(database_url)
    try:
        async with db.snapshot() as session:
            rows = await session.execute(
                select(Regency.name, Task.title).join(Cycle, Cycle.regency_id == Regency.id)
                .join(Task, Task.cycle_id == Cycle.id))
            found: dict[str, list[str]] = {}
            for regency, title in rows:
                found.setdefault(regency, []).append(title)
            return {regency: sorted(titles) for regency, titles in sorted(found.items())}
    finally:
        await db.dispose()
