"""The demo's scenes end to end: ``python bot.py demo --scene NAME`` as a child process, its
output read back as turns (the scripts are the ones README and docs/demo-transcript.md show).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kla_bot.i18n import Translator
from tests.console.transcript import Turn, turns

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
MONDAY_MORNING = "2025-05-05T09:00:00+08:00"  # H-11, as in test_demo_story
GROUP = "grup «Gugus Tugas KLA Kabupaten Banjar»"
t = Translator("id")


def play(scene: str, workspace: Path, typed: str = "") -> tuple[str, list[Turn]]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("KLA_BOT_")}
    env |= {"KLA_BOT_NOW": MONDAY_MORNING, "NO_COLOR": "1"}
    result = subprocess.run(
        [sys.executable, "bot.py", "demo", "--dir", str(workspace), "--scene", scene],
        input=typed, capture_output=True, text=True, cwd=ROOT, env=env, timeout=180,
        check=False)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert t("common.error") not in result.stdout
    return result.stdout, turns(result.stdout)[1]


def turn(dialogue: list[Turn], who: str, line: str, nth: int = 0) -> Turn:
    matches = [x for x in dialogue if x.who == who and x.line.startswith(line)]
    assert len(matches) > nth, f"no turn {who} › {line}"
    return matches[nth]


@pytest.fixture(scope="module")
def secretariat(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[Turn], Path]:
    workspace = tmp_path_factory.mktemp("scene") / "ws"
    out, dialogue = play("secretariat", workspace, typed="/tugas\n")
    return out, dialogue, workspace


@pytest.fixture(scope="module")
def group(tmp_path_factory: pytest.TempPathFactory) -> list[Turn]:
    return play("group", tmp_path_factory.mktemp("scene") / "ws")[1]


@pytest.fixture(scope="module")
def harih(tmp_path_factory: pytest.TempPathFactory) -> list[Turn]:
    return play("harih", tmp_path_factory.mktemp("scene") / "ws")[1]


# --- the secretariat at work ---

def test_the_scene_is_announced_then_the_keyboard_takes_over(
        secretariat: tuple[str, list[Turn], Path]) -> None:
    out, dialogue, _ = secretariat
    assert "Adegan «secretariat»" in out and "Adegan «secretariat» selesai" in out
    assert dialogue[-1].line == "/tugas"  # typed after the scene, as Nurul
    assert dialogue[-1].who == "Nurul Hidayah" and "KL-2a" in dialogue[-1].text


def test_the_template_workbook_is_saved_to_the_workspace(
        secretariat: tuple[str, list[Turn], Path]) -> None:
    _, dialogue, workspace = secretariat
    template = turn(dialogue, "Nurul Hidayah", "/templat").text
    assert "templat-impor-kla.xlsx" in template
    saved = list((workspace / "console-files").glob("*templat-impor-kla.xlsx"))
    assert saved and saved[0].read_bytes().startswith(b"PK")  # an .xlsx is a zip


def test_new_members_are_previewed_with_the_bad_row_then_applied(
        secretariat: tuple[str, list[Turn], Path]) -> None:
    _, dialogue, _ = secretariat
    preview = turn(dialogue, "Nurul Hidayah", ":file").text
    assert "anggota-baru.xlsx" in preview and "2 baru" in preview
    assert "baris 4" in preview and "12345" in preview
    applied = turn(dialogue, "Nurul Hidayah", ":press Terapkan").text
    assert "(diubah)" in applied and "2 baru" in applied and "1 baris salah dilewati" in applied


def test_the_task_list_adds_two_tasks_and_cancels_none(
        secretariat: tuple[str, list[Turn], Path]) -> None:
    _, dialogue, _ = secretariat
    preview = turn(dialogue, "Nurul Hidayah", ":file", nth=1).text
    assert "tugas-tambahan.xlsx" in preview and "2 baru, 0 berubah, 30 tidak berubah" in preview
    assert "banyak" in preview  # the bad points, named
    assert "tidak ada lagi" not in preview  # the whole list: nothing proposed for cancelling
    applied = turn(dialogue, "Nurul Hidayah", ":press Terapkan", nth=1).text
    assert "Tugas: 2 baru" in applied


def test_a_correction_is_confirmed_and_invitations_follow(
        secretariat: tuple[str, list[Turn], Path]) -> None:
    _, dialogue, _ = secretariat
    proposal = turn(dialogue, "Nurul Hidayah", "/ubah K3-17a").text
    assert "Rabu, 14 Mei 2025 → Senin, 12 Mei 2025" in proposal
    done = turn(dialogue, "Nurul Hidayah", ":press Ya").text
    assert "(diubah)" in done and "K3-17a" in done
    invites = turn(dialogue, "Nurul Hidayah", "/undang")
    assert "14 anggota belum terdaftar" in invites.text
    assert any("Sari Wulandari" in m for m in invites.messages())  # imported a moment ago
    assert "undangan.xlsx" in invites.text


# --- the task-force group ---

def test_the_secretariat_links_the_group_from_inside_it(group: list[Turn]) -> None:
    assert "Gugus Tugas KLA Kabupaten Banjar" in turn(group, "Nurul Hidayah", ":group").text
    linked = turn(group, "Nurul Hidayah", "/hubungkan").text
    assert f"#2 · {GROUP}" in linked and "terhubung" in linked


def test_the_morning_post_goes_to_the_group(group: list[Turn]) -> None:
    morning = turn(group, "Nurul Hidayah", ":wait 1d")
    posts = [line for line in morning.output if GROUP in line]
    assert posts, morning.text
    assert "Progres data dukung KLA" in morning.text and "H-10" in morning.text
    assert any("· obrolan pribadi" in line for line in morning.output)  # her own digest


def test_a_reply_in_the_group_files_evidence_and_receipts_go_private(group: list[Turn]) -> None:
    reply = turn(group, "Budi Santoso", ":reply")
    receipt = [m for m in reply.output if "obrolan pribadi" in m]
    note = [m for m in reply.output if GROUP in m]
    assert receipt and note
    assert "Kode berkas" in reply.text  # the full receipt, privately
    assert "📥 Berkas masuk untuk K3-17a." in reply.text  # the short note, in the group


def test_the_approval_edits_the_morning_post(group: list[Turn]) -> None:
    approved = turn(group, "dr. Hendra Saputra", ":press Setujui")
    assert any("pesan baru di grup" in n for n in approved.notes())
    inside = turn(group, "dr. Hendra Saputra", ":group", nth=0).text
    assert f"#3 (diubah) · {GROUP}" in inside
    assert "Disetujui sejak kemarin: K3-17a" in inside
    assert "K3-17a disetujui — terima kasih, Budi Santoso!" in inside


# --- hari H ---

def test_the_clock_jumps_to_the_day_before(harih: list[Turn]) -> None:
    jump = turn(harih, "Budi Santoso", ":date H-1")
    assert any("Kamis, 15 Mei 2025, pukul 08.30 WITA" in n for n in jump.notes())
    assert "Mode hari H aktif" in turn(harih, "Nurul Hidayah", "/harih").text


def test_search_then_an_urgent_request_repeated_after_ten_minutes(harih: list[Turn]) -> None:
    assert "K3-17a (terbuka)" in turn(harih, "Nurul Hidayah", "/cari 17").text
    need = turn(harih, "Nurul Hidayah", "/butuh K3-12a").text
    assert "K3-12a" in need and "Budi Santoso" in need and "10 menit" in need
    wait = turn(harih, "Nurul Hidayah", ":wait 10m")
    assert any("08.40" in n for n in wait.notes())
    budi = turn(harih, "Nurul Hidayah", ":as 0812-0000-0008").messages()
    assert any("Dibutuhkan SEKARANG" in m and "K3-12a" in m for m in budi)
    assert any("panggilan ke-2" in m for m in budi)


def test_the_owner_answers_and_the_secretariat_is_told_who(harih: list[Turn]) -> None:
    receipt = turn(harih, "Budi Santoso", ":reply 7").text
    assert "K3-12a" in receipt and "contoh-perda-ktr.pdf" in receipt
    assert "Setujui" in turn(harih, "dr. Hendra Saputra", "/tinjau").text
    assert "disetujui" in turn(harih, "dr. Hendra Saputra", ":press Setujui").text
    told = turn(harih, "dr. Hendra Saputra", ":as 0812-0000-0001").text
    assert "K3-12a" in told and "masuk dari Budi Santoso setelah 10 menit" in told
    shown = turn(harih, "Nurul Hidayah", "/cari K3-12a").text
    assert "contoh-perda-ktr.pdf" in shown
