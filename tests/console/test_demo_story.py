"""The demo, end to end: a scripted session piped into ``python bot.py demo`` (no network).

The story: Budi (Dinas Kesehatan) registers by sharing his contact, lists his tasks, sends the
sample PDF for K3-17a; the K3 coordinator registers, accepts it, asks for /status (text and
chart); the clock moves to the next morning and Budi's daily digest arrives.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kla_bot.i18n import Translator
from tests.console.transcript import Turn, turns

# The demo runs as a child process, as `scripts/demo` does.
pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
MONDAY_MORNING = "2025-05-05T09:00:00+08:00"  # the Banjar coordination meeting, H-11
t = Translator("id")


def story(workspace: Path) -> str:
    return "\n".join([
        "/start",
        ":contact",
        "/tugas",
        f":file {workspace / 'contoh-perda-ktr.pdf'} K3-17a",
        ":as 0812-0000-0005",
        "/start",
        ":contact",
        "/tinjau",
        ":press Setujui",
        "/status",
        ":wait 1d",
        ":as 0812-0000-0008",
    ]) + "\n"


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str],
                                                                 Path]:
    workspace = tmp_path_factory.mktemp("demo") / "ws"
    env = {key: value for key, value in os.environ.items() if not key.startswith("KLA_BOT_")}
    env |= {"KLA_BOT_NOW": MONDAY_MORNING, "NO_COLOR": "1"}
    result = subprocess.run(
        [sys.executable, "bot.py", "demo", "--dir", str(workspace)],
        input=story(workspace), capture_output=True, text=True, cwd=ROOT, env=env,
        timeout=180, check=False)
    return result, workspace


@pytest.fixture(scope="module")
def dialogue(demo_run: tuple[subprocess.CompletedProcess[str], Path]) -> list[Turn]:
    result, _ = demo_run
    assert result.returncode == 0, result.stderr
    return turns(result.stdout)[1]


def turn(dialogue: list[Turn], who: str, line: str) -> Turn:
    matches = [x for x in dialogue if x.who == who and x.line.startswith(line)]
    assert matches, f"no turn {who} › {line}"
    return matches[0]


def test_the_session_ends_cleanly_at_end_of_input(
        demo_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    result, workspace = demo_run
    assert result.returncode == 0
    assert "Traceback" not in result.stderr
    assert t("common.error") not in result.stdout
    assert "\x1b[" not in result.stdout  # no colour codes through a pipe
    assert (workspace / "config.toml").read_text().count("date = 2025-05-16") == 1


def test_the_guide_comes_first(demo_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    before, _ = turns(demo_run[0].stdout)
    guide = "\n".join(before)
    assert "Kabupaten Banjar" in guide
    assert "Jumat, 16 Mei 2025" in guide and "H-11" in guide
    assert "18,75 poin" in guide and "kurang 16 poin menuju Nindya" in guide
    assert ":wait 1d" in guide and ":as 0812-0000-0005" in guide
    assert "Budi Santoso (0812-0000-0008)" in guide


def test_budi_registers_by_sharing_his_contact(dialogue: list[Turn]) -> None:
    start = turn(dialogue, "Budi Santoso", "/start")
    assert any("‹" in line for line in start.output)  # the share-contact keyboard button
    registered = turn(dialogue, "Budi Santoso", ":contact")
    assert "Budi Santoso" in registered.text and "Dinas Kesehatan" in registered.text


def test_budi_sees_his_four_tasks(dialogue: list[Turn]) -> None:
    tasks = turn(dialogue, "Budi Santoso", "/tugas").text
    for code in ("K3-12a", "K3-13a", "K3-14a", "K3-17a"):
        assert code in tasks
    assert "Rabu, 14 Mei 2025" in tasks  # due two days before the verification
    assert "[" in tasks and "K3-17a" in tasks.split("[")[-1]  # a button per task


def test_the_pdf_is_received_for_k3_17a(dialogue: list[Turn]) -> None:
    sample = ROOT / "kla_bot" / "data" / "demo" / "contoh-perda-ktr.pdf"
    digest = hashlib.sha256(sample.read_bytes()).hexdigest()
    receipt = turn(dialogue, "Budi Santoso", ":file").text
    assert "K3-17a" in receipt and "contoh-perda-ktr.pdf" in receipt
    assert digest[:12] in receipt


def test_the_coordinator_registers_and_accepts(dialogue: list[Turn]) -> None:
    switch = turn(dialogue, "Budi Santoso", ":as 0812-0000-0005")
    assert "dr. Hendra Saputra" in switch.text
    registered = turn(dialogue, "dr. Hendra Saputra", ":contact")
    assert "dr. Hendra Saputra" in registered.text
    review = turn(dialogue, "dr. Hendra Saputra", "/tinjau")
    assert "contoh-perda-ktr.pdf" in review.text and "Budi Santoso" in review.text
    assert "Setujui" in review.text
    accepted = turn(dialogue, "dr. Hendra Saputra", ":press Setujui")
    assert "K3-17a" in accepted.text
    assert any("0812-0000-0008" in note for note in accepted.notes())  # Budi was told


def test_status_shows_the_approved_points_and_a_chart(
        dialogue: list[Turn], demo_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    status = turn(dialogue, "dr. Hendra Saputra", "/status").text
    assert "0,75" in status  # approved
    assert "685,75" in status  # projected: 685 + 0.75
    saved = [line.rsplit(" ", 1)[-1] for line in status.splitlines() if ".png" in line]
    assert saved, status
    chart = Path(saved[0]) if Path(saved[0]).is_absolute() else ROOT / saved[0]
    assert chart.read_bytes().startswith(b"\x89PNG")


def test_next_morning_budi_gets_his_digest(dialogue: list[Turn]) -> None:
    wait = turn(dialogue, "dr. Hendra Saputra", ":wait 1d")
    assert any("Selasa, 6 Mei 2025, pukul 08.00 WITA" in note for note in wait.notes())
    budi = turn(dialogue, "dr. Hendra Saputra", ":as 0812-0000-0008")
    messages = budi.messages()
    accepted = [m for m in messages if "K3-17a" in m and "dr. Hendra Saputra" in m]
    assert accepted, "Budi is told his evidence was accepted"
    digests = [m for m in messages if "H-10" in m]
    assert len(digests) == 1, messages
    for code in ("K3-12a", "K3-13a", "K3-14a"):
        assert code in digests[0]
    assert "K3-17a" not in digests[0]  # approved: no longer reminded


def test_the_console_command_reopens_the_kept_workspace_as_the_same_people(
        demo_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, workspace = demo_run
    env = {key: value for key, value in os.environ.items() if not key.startswith("KLA_BOT_")}
    env["KLA_BOT_NOW"] = "2025-05-06T10:00:00+08:00"
    result = subprocess.run(
        [sys.executable, "bot.py", "console", "--config", str(workspace / "config.toml"),
         "--as", "0812-0000-0008"],
        input="/tugas\n:quit\n/never-read\n", capture_output=True, text=True, cwd=ROOT,
        env=env, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    _, dialogue = turns(result.stdout)
    assert [x.line for x in dialogue] == ["/tugas", ":quit"]
    tasks = dialogue[0].text  # still registered: the same phone is the same Telegram account
    assert "K3-12a" in tasks and "K3-17a" not in tasks  # approved yesterday
