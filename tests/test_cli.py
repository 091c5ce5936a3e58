"""``python bot.py import …`` and ``status`` as an operator runs them: exit codes and output."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from kla_bot.standin import BotApiStandin, StandinServer
from tests.conftest import ROOT
from tests.import_helpers import FIXTURES, csv_to_xlsx
from tests.test_status import EXPECTED

# Every test here runs ``python bot.py`` as a child process.
pytestmark = pytest.mark.e2e

Run = Callable[..., subprocess.CompletedProcess[str]]
NOW = "2025-05-05T09:00:00+08:00"  # Monday of the Banjar coordination meeting, H-11


@pytest.fixture
def bot(tmp_path: Path, database_url: str) -> Run:
    """Run ``python bot.py ARGS`` in ``tmp_path`` with a config pointing at the test database."""
    config = tmp_path / "config.toml"
    config.write_text((ROOT / "config.example.toml").read_text(encoding="utf-8").replace(
        'url = "sqlite+aiosqlite:///data/kla_bot.db"', f'url = "{database_url}"'),
        encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KLA_BOT_")}
    env.update(KLA_BOT_CONFIG=str(config), KLA_BOT_NOW=NOW)

    def run(*args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, str(ROOT / "bot.py"), *args], cwd=tmp_path,
                              env={**env, **extra_env}, capture_output=True, text=True,
                              timeout=120, check=False)

    return run


def test_import_both_files_then_status_json(bot: Run) -> None:
    members = bot("import", "members", str(FIXTURES / "anggota.csv"))
    assert (members.returncode, members.stderr) == (0, (
        "kla-bot: peringatan: klaster KL, K1, K2, K4 belum punya koordinator; berkas masuk untuk "
        "klaster ini dikirim ke sekretariat untuk tinjauan\n"))
    assert members.stdout == (
        f"{FIXTURES / 'anggota.csv'}: kolom yang tidak dipakai (diabaikan): 'Keterangan'\n"
        f"{FIXTURES / 'anggota.csv'}: anggota: 6 baru, 0 diperbarui, 0 tidak berubah\n")
    tasks = bot("import", "tasks", str(FIXTURES / "tugas.csv"))
    assert tasks.returncode == 0
    assert tasks.stdout.endswith("tugas: 8 baru, 0 diperbarui, 0 tidak berubah\n")
    status = bot("status", "--json")
    assert (status.returncode, status.stderr) == (0, "")
    report = json.loads(status.stdout)
    assert report.pop("outbox") == {"pending": 0, "sending": 0, "sent": 0, "failed": 0,
                                    "expired": 0, "unreachable": 0,
                                    "waiting": 0}  # an added key
    assert report.pop("whatsapp") == {"templates_sent": 0, "by_template": {}}  # added too
    assert report == EXPECTED
    assert "Kabupaten Banjar" in status.stdout  # ensure_ascii=False, indent=2
    assert status.stdout.startswith('{\n  "regency"')


def test_importing_twice_reports_everything_unchanged(bot: Run) -> None:
    for _ in range(2):
        members = bot("import", "members", str(FIXTURES / "anggota.csv"))
        tasks = bot("import", "tasks", str(FIXTURES / "tugas.csv"))
    assert members.stdout.endswith("anggota: 0 baru, 0 diperbarui, 6 tidak berubah\n")
    assert tasks.stdout.endswith("tugas: 0 baru, 0 diperbarui, 8 tidak berubah\n")


def test_a_file_with_bad_rows_exits_2_naming_every_row(bot: Run) -> None:
    bot("import", "members", str(FIXTURES / "anggota.csv"))
    bad = FIXTURES / "tugas_tiga_salah.csv"
    result = bot("import", "tasks", str(bad))
    assert (result.returncode, result.stdout) == (2, "")
    lines = result.stderr.splitlines()
    assert lines[0] == f"kla-bot: {bad}: 3 baris salah, tidak ada yang diimpor"
    assert lines[1:] == [
        "baris 3: penanggung jawab +6281200000999 bukan anggota (impor anggota dulu)",
        "baris 5: indikator 31 tidak ada di katalog (1–24)",
        "baris 6: poin 'lima' bukan angka (mis. 1,5 atau 1.5)",
    ]
    assert "Traceback" not in result.stderr
    assert json.loads(bot("status", "--json").stdout)["tasks"]["total"] == 0


def test_english_for_an_operator_who_asks_for_it(bot: Run, tmp_path: Path) -> None:
    """``KLA_BOT_BOT_LANGUAGE=en``: summaries, bad rows, errors and the table in English."""
    english = {"KLA_BOT_BOT_LANGUAGE": "en"}
    members = bot("import", "members", str(FIXTURES / "anggota.csv"), **english)
    assert members.stdout.endswith(
        f"{FIXTURES / 'anggota.csv'}: members: 6 created, 0 updated, 0 unchanged\n")
    bad = FIXTURES / "tugas_tiga_salah.csv"
    result = bot("import", "tasks", str(bad), **english)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"kla-bot: {bad}: 3 bad rows, nothing imported",
        "row 3: assignee +6281200000999 is not a member (import members first)",
        "row 5: indicator 31 is not in the catalog (1–24)",
        "row 6: points 'lima' is not a number (e.g. 1.5 or 1,5)",
    ]
    missing = bot("import", "members", "nope.csv", **english)
    assert (missing.returncode, missing.stderr) == (2, "kla-bot: nope.csv: no such file\n")
    table = bot("status", **english)
    assert "Today 2025-05-05 · 11 days left" in table.stdout
    assert "Cluster" in table.stdout and "Klaster" not in table.stdout
    assert bot("audit", "--limit", "0", **english).stderr == \
        "kla-bot: --limit: must be at least 1\n"
    assert bot("status", "--json", **english).stdout == bot("status", "--json").stdout


def test_unreadable_input_is_one_line_on_stderr(bot: Run, tmp_path: Path) -> None:
    missing = bot("import", "members", "nope.csv")
    assert (missing.returncode, missing.stderr) == \
        (2, "kla-bot: nope.csv: berkas tidak ditemukan\n")
    headers = tmp_path / "tasks.csv"
    headers.write_text("kode,judul\nK3-1,x\n", encoding="utf-8")
    result = bot("import", "tasks", str(headers))
    assert result.returncode == 2
    assert result.stderr.startswith(f"kla-bot: {headers}: kolom tidak ada: 'indicator' "
                                    "(atau indikator); 'points' (atau poin)")
    assert len(result.stderr.splitlines()) == 1
    bad_now = bot("status", KLA_BOT_NOW="yesterday")
    assert (bad_now.returncode, bad_now.stderr.count("\n")) == (2, 1)
    assert "KLA_BOT_NOW" in bad_now.stderr


def test_xlsx_import_and_the_readable_table(bot: Run, tmp_path: Path) -> None:
    xlsx = csv_to_xlsx(FIXTURES / "anggota.csv", tmp_path / "anggota.xlsx")
    assert bot("import", "members", str(xlsx)).stdout.endswith("6 baru, 0 diperbarui, "
                                                               "0 tidak berubah\n")
    bot("import", "tasks", str(FIXTURES / "tugas.csv"))
    table = bot("status")
    assert table.returncode == 0
    assert "Hari ini 2025-05-05 · 11 hari lagi" in table.stdout
    assert table.stdout.splitlines()[5].startswith("Klaster ")
    assert max(len(line) for line in table.stdout.splitlines()) <= 100


def test_status_on_a_new_database_applies_the_migrations(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KLA_BOT_")}
    env.update(KLA_BOT_CONFIG=str(ROOT / "config.example.toml"), KLA_BOT_NOW=NOW,
               KLA_BOT_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'new' / 'kla.db'}")
    result = subprocess.run([sys.executable, str(ROOT / "bot.py"), "status", "--json"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["days_left"] == 11


def test_config_works_before_and_after_the_command(bot: Run, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    elsewhere = {"KLA_BOT_CONFIG": str(tmp_path / "not-here.toml")}
    after = bot("status", "--json", "--config", str(config), **elsewhere)
    before = bot("--config", str(config), "status", "--json", **elsewhere)
    assert (after.returncode, before.returncode) == (0, 0), after.stderr + before.stderr
    assert json.loads(after.stdout) == json.loads(before.stdout)
    missing = bot("status", **elsewhere)
    assert missing.returncode == 2
    assert missing.stderr == (f"kla-bot: tidak ada berkas konfigurasi {tmp_path / 'not-here.toml'}"
                              "; salin config.example.toml menjadi config.toml lalu isi "
                              "[verification], atau tunjuk berkasnya dengan --config BERKAS atau "
                              "KLA_BOT_CONFIG\n")


def test_bad_usage_is_one_line_from_the_catalog(bot: Run) -> None:
    result = bot("invite")
    assert result.returncode == 2
    assert result.stderr.endswith("(lihat kla-bot invite --help)\n")
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("kla-bot: ")
    english = bot("frobnicate", KLA_BOT_BOT_LANGUAGE="en")
    assert english.returncode == 2 and english.stderr.endswith("(see kla-bot --help)\n")


def test_invite_without_a_token_prints_the_code_and_a_note(bot: Run) -> None:
    bot("import", "members", str(FIXTURES / "anggota.csv"))
    result = bot("invite", "0812-0000-0002")
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.splitlines()
    code = first.removeprefix("kode undangan untuk dr. Ahmad Fauzi: ")
    assert second.startswith(f"anggota mengetik /start {code} di chat dengan bot")
    assert "https://t.me/" not in result.stdout.replace("https://t.me/…", "")


async def test_invite_with_a_token_prints_the_real_link(bot: Run, tmp_path: Path) -> None:
    """The bot's username comes from getMe, here from the HTTP stand-in."""
    token = "987654321:CLI-secret-TOKEN-zyxwvutsrqponmlkji"
    bot("import", "members", str(FIXTURES / "anggota.csv"))
    state = BotApiStandin(token=token, bot_username="kla_banjar_bot")
    async with StandinServer(state) as server:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("KLA_BOT_") and not k.lower().endswith("_proxy")}
        env.update(KLA_BOT_CONFIG=str(tmp_path / "config.toml"), KLA_BOT_TOKEN=token,
                   KLA_BOT_BOT_BASE_URL=server.base_url, NO_PROXY="127.0.0.1")
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(ROOT / "bot.py"), "invite", "0812-0000-0002", cwd=tmp_path,
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode()
    first, second = out.decode().splitlines()
    code = first.removeprefix("kode undangan untuk dr. Ahmad Fauzi: ")
    assert second == (f"tautan untuk dr. Ahmad Fauzi: https://t.me/kla_banjar_bot?start={code} "
                      f"(sama dengan mengetik /start {code} di chat dengan @kla_banjar_bot)")
    assert [call.method for call in state.calls] == ["getMe"]
    assert token not in out.decode() + err.decode()
    state.close()


def test_invite_when_telegram_cannot_be_asked_still_prints_the_code(bot: Run) -> None:
    token = "987654321:CLI-secret-TOKEN-zyxwvutsrqponmlkji"
    bot("import", "members", str(FIXTURES / "anggota.csv"))
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = bot("invite", "0812-0000-0002", KLA_BOT_TOKEN=token,
                 KLA_BOT_BOT_BASE_URL=f"http://127.0.0.1:{port}/bot", NO_PROXY="127.0.0.1")
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.splitlines()
    code = first.removeprefix("kode undangan untuk dr. Ahmad Fauzi: ")
    assert second.startswith("tautan tidak dapat dibuat (")
    assert second.endswith(f"anggota tetap bisa mengetik /start {code} di chat dengan bot")
    assert token not in result.stdout + result.stderr
