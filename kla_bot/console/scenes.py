"""The demo's scenes: scripted console lines ``python bot.py demo --scene NAME`` types first.

Each scene starts from the fresh demo workspace (Monday 09:00, verification in 11 days), so
it registers the people it needs itself. ``{dir}`` stands for the workspace folder, where the
demo writes the sample PDF and the spreadsheets for the import by message
(:func:`write_import_files`). The README and ``docs/demo-transcript.md`` quote real runs; the
e2e tests in ``tests/console/test_demo_scenes.py`` pipe the same scripts.
"""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook

SECRETARIAT_PHONE = "0812-0000-0001"  # Nurul Hidayah, Sekretariat Gugus Tugas
COORDINATOR_PHONE = "0812-0000-0005"  # dr. Hendra Saputra, K3
MEMBER_PHONE = "0812-0000-0008"  # Budi Santoso, Dinas Kesehatan
NEW_MEMBERS_FILE = "anggota-baru.xlsx"
NEW_TASKS_FILE = "tugas-tambahan.xlsx"


def _register(phone: str) -> list[str]:
    return [f":as {phone}", "/start", ":contact"]


SCENES: dict[str, list[str]] = {
    # The secretariat at work: the template, two imports by message (each with one bad row),
    # one correction confirmed, and the invitations for those not yet registered.
    "secretariat": [
        *_register(SECRETARIAT_PHONE),
        "/templat",
        f":file {{dir}}/{NEW_MEMBERS_FILE}",
        ":press Terapkan",
        f":file {{dir}}/{NEW_TASKS_FILE}",
        ":press Terapkan",
        "/ubah K3-17a tenggat 2025-05-12",
        ":press Ya",
        "/undang",
    ],
    # The task-force group: linked by the secretariat, the morning post, a member files
    # evidence by replying in the group, the coordinator approves and the post is edited.
    "group": [
        *_register(COORDINATOR_PHONE),
        *_register(MEMBER_PHONE),
        *_register(SECRETARIAT_PHONE),
        ":group",
        "/hubungkan",
        ":wait 1d",
        f":as {MEMBER_PHONE}",
        ":group",
        ":reply {dir}/contoh-perda-ktr.pdf K3-17a",
        f":as {COORDINATOR_PHONE}",
        "/tinjau",
        ":press Setujui",
        ":group",
    ],
    # Hari H: straight to the day before the verification, the secretariat's checklist, a search, an
    # urgent request repeated after 10 minutes, answered with a file, approved.
    "harih": [
        ":date H-1 08:30",  # first: the days between pass before anyone has registered
        *_register(COORDINATOR_PHONE),
        *_register(MEMBER_PHONE),
        *_register(SECRETARIAT_PHONE),
        "/harih",
        "/cari 17",
        "/butuh K3-12a",
        ":wait 10m",
        f":as {MEMBER_PHONE}",
        # A reply to the urgent call (Budi's message #7, sent at /butuh; the repeated call and
        # the H-1 digest follow it in whichever order the sender takes them) files the
        # evidence under K3-12a.
        ":reply 7 :file {dir}/contoh-perda-ktr.pdf",
        ":wait 1m",
        f":as {COORDINATOR_PHONE}",
        "/tinjau",
        ":press Setujui",
        f":as {SECRETARIAT_PHONE}",
        "/cari K3-12a",  # approved now: the file to show the verifier
    ],
}


def scene_lines(name: str, directory: Path) -> list[str]:
    """The scene's lines with ``{dir}`` filled in (relative to here when it can be)."""
    try:
        shown = directory.resolve().relative_to(Path.cwd())
    except ValueError:
        shown = directory
    return [line.replace("{dir}", str(shown)) for line in SCENES[name]]


# The import files: a few rows in the demo's own column names, one of them wrong on purpose.
NEW_MEMBERS: list[list[object]] = [
    ["Sari Wulandari", "0812-0000-0031", "Dinas Pendidikan", "anggota", "K4"],
    ["Yusuf Maulana", "0812-0000-0032", "Dinas Kesehatan", "anggota", "K3"],
    ["Tanpa Nomor", "12345", "Kecamatan Martapura", "anggota", "K1"],  # a bad phone
]
NEW_TASKS: list[list[object]] = [
    ["K3-17b", 17, "Foto papan larangan merokok di fasilitas anak", 0.5, "0812-0000-0032", "",
     ""],
    ["K4-20b", 20, "Daftar hadir kegiatan Pusat Kreativitas Anak", 0.5, "0812-0000-0031", "", ""],
    ["K4-19c", 19, "Foto sekolah ramah anak", "banyak", "0812-0000-0031", "", ""],  # bad points
]


def write_import_files(directory: Path, members_csv: Path, tasks_csv: Path) -> None:
    """``anggota-baru.xlsx`` (the new members) and ``tugas-tambahan.xlsx`` (the whole task
    list plus the new tasks, as a secretariat keeps it: nothing is left out, so nothing is
    proposed for cancelling), in the columns of the demo's own CSV files."""
    members_header = _rows(members_csv)[0]
    _workbook(directory / NEW_MEMBERS_FILE, "Anggota", members_header, NEW_MEMBERS)
    header, *existing = _rows(tasks_csv)
    _workbook(directory / NEW_TASKS_FILE, "Tugas", header,
              [*[_typed(row) for row in existing], *NEW_TASKS])


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [row for row in csv.reader(handle) if row]


def _typed(row: list[str]) -> list[object]:
    """Numbers as numbers, as a spreadsheet holds them."""
    cells: list[object] = list(row)
    cells[1], cells[3] = int(row[1]), float(row[3])
    return cells


def _workbook(path: Path, title: str, header: list[str], rows: list[list[object]]) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
