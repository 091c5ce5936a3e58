"""An operator's mistakes, as ``python bot.py run`` meets them: one line on stderr in the
operator's language, a non-zero exit status, no traceback, never the token.

The bot runs as a subprocess against the HTTP stand-in; every wait is bounded and ends on an
event (the process exits, the stand-in sees a message), never on a fixed sleep.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kla_bot.i18n import translator
from kla_bot.standin import BotApiStandin, StandinServer
from tests.conftest import ROOT
from tests.e2e.process import TOKEN, telegram_env

pytestmark = pytest.mark.e2e

OTHER_TOKEN = "987654321:E2E-wrong-TOKEN-abcdefghijklmnopq"
CAP = 60.0  # seconds: a ceiling for a slow machine, not a sleep
SECRETS = (TOKEN, TOKEN.split(":", 1)[1], OTHER_TOKEN, OTHER_TOKEN.split(":", 1)[1])


@dataclass
class Finished:
    status: int
    stdout: str
    stderr: str

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("kla-bot:")]

    def assert_one_line(self, status: int, *expected: str) -> str:
        """Exit ``status``, exactly one ``kla-bot:`` line (the last), no traceback, no token."""
        assert self.status == status, self.stderr[-3000:]
        assert "Traceback" not in self.stderr and self.stdout == ""
        for secret in SECRETS:
            assert secret not in self.stderr and secret not in self.stdout
        assert len(self.error_lines) == 1, self.stderr[-3000:]
        line = self.error_lines[0]
        assert self.stderr.splitlines()[-1] == line
        for part in expected:
            assert part in line, line
        return line


def _environment(tmp_path: Path, database_url: str, **settings: str) -> dict[str, str]:
    return telegram_env(tmp_path, database_url, **settings)


def _server_settings(server: StandinServer) -> dict[str, str]:
    return {"KLA_BOT_BOT_BASE_URL": server.base_url,
            "KLA_BOT_BOT_BASE_FILE_URL": server.base_file_url}


class BotRun:
    """``python bot.py ARGS`` with its output in files (read once it has exited)."""

    def __init__(self, tmp_path: Path, env: dict[str, str], *args: str, name: str = "bot"):
        self.tmp_path, self.env, self.args = tmp_path, env, args or ("run",)
        self.out, self.err = tmp_path / f"{name}.out", tmp_path / f"{name}.err"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, str(ROOT / "bot.py"), *self.args, cwd=self.tmp_path,
                env=self.env, stdout=out, stderr=err)

    async def finished(self) -> Finished:
        """Wait (bounded) for the exit; SIGTERM, then SIGKILL, when the cap is reached."""
        assert self.process is not None
        try:
            await asyncio.wait_for(self.process.wait(), CAP)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            pytest.fail(f"bot.py {' '.join(self.args)} did not exit: {self.stderr()[-3000:]}")
        return Finished(self.process.returncode or 0, self.out.read_text(errors="replace"),
                        self.stderr())

    async def stop(self) -> Finished:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        return await self.finished()

    def stderr(self) -> str:
        return self.err.read_text(errors="replace")


async def _run(tmp_path: Path, env: dict[str, str], *args: str) -> Finished:
    bot = BotRun(tmp_path, env, *args)
    await bot.start()
    return await bot.finished()


@pytest.fixture
async def server() -> AsyncIterator[StandinServer]:
    state = BotApiStandin(token=TOKEN)
    srv = StandinServer(state)
    await srv.start()
    yield srv
    await srv.stop()
    state.close()


async def test_a_wrong_token_is_one_line_without_the_token_even_at_debug(
        tmp_path: Path, database_url: str, server: StandinServer) -> None:
    env = _environment(tmp_path, database_url, KLA_BOT_TOKEN=OTHER_TOKEN,
                       KLA_BOT_LOG_LEVEL="DEBUG", **_server_settings(server))
    result = await _run(tmp_path, env)
    result.assert_one_line(2, "Telegram menolak token bot", "@BotFather", "KLA_BOT_TOKEN")
    assert " DEBUG " in result.stderr, "DEBUG logging was on, so the check is not vacuous"


async def test_a_token_of_the_wrong_shape_never_reaches_telegram(
        tmp_path: Path, database_url: str, server: StandinServer) -> None:
    env = _environment(tmp_path, database_url, KLA_BOT_TOKEN=f"bot{TOKEN} ",
                       **_server_settings(server))
    result = await _run(tmp_path, env)
    result.assert_one_line(2, "bot.token:", "@BotFather")
    assert server.state.calls == []


async def test_an_unreachable_bot_api_is_one_line_after_a_few_attempts(
        tmp_path: Path, database_url: str) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = _environment(tmp_path, database_url, KLA_BOT_BOT_BASE_URL=f"http://127.0.0.1:{port}/bot")
    result = await _run(tmp_path, env)
    result.assert_one_line(1, f"Bot API di 127.0.0.1:{port} tidak dapat dihubungi",
                           "4 percobaan", "bot.base_url")


@pytest.mark.parametrize(("description", "expected"), [
    ("Conflict: terminated by other getUpdates request; make sure that only one bot instance "
     "is running", "dijalankan di tempat lain"),
    ("Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
     "delete the webhook first", "deleteWebhook"),
])
async def test_a_409_conflict_stops_the_bot_with_one_line(
        tmp_path: Path, database_url: str, server: StandinServer, description: str,
        expected: str) -> None:
    server.state.fail_next("getUpdates", status=409, description=description)
    result = await _run(tmp_path, _environment(tmp_path, database_url,
                                               **_server_settings(server)))
    result.assert_one_line(1, "409 Conflict", expected)


async def test_a_second_instance_refuses_to_start_and_the_first_keeps_running(
        tmp_path: Path, database_url: str, server: StandinServer) -> None:
    wita = ZoneInfo("Asia/Makassar")
    verification = (datetime.now(wita) + timedelta(days=11)).date()
    env = _environment(tmp_path, database_url, KLA_BOT_VERIFICATION_DATE=verification.isoformat(),
                       **_server_settings(server))
    first = BotRun(tmp_path, env, name="first")
    await first.start()
    try:
        chat = server.state.add_user("Rina", language_code="id").private
        mark = server.state.mark()
        chat.send("/start")
        await chat.wait_for_message(since=mark, within=CAP)
        assert first.process is not None
        second = await _run(tmp_path, env)
        second.assert_one_line(1, "kla-bot sudah berjalan untuk basis data ini",
                               f"(pid {first.process.pid})")
        assert first.process.returncode is None
        mark = server.state.mark()
        chat.send("/start")
        assert "Rina" in (await chat.wait_for_message(since=mark, within=CAP)).plain
    finally:
        stopped = await first.stop()
    assert stopped.status == 0, stopped.stderr[-3000:]
    started = [line for line in stopped.stderr.splitlines() if " INFO " in line]
    line = (f"kla-bot berjalan sebagai @{server.state.bot_username} untuk Kabupaten Banjar; "
            f"verifikasi {translator('id').date(verification)} (11 hari lagi)")
    assert [s.split(": ", 1)[1] for s in started] == [line]


@pytest.mark.parametrize(("setting", "value", "expected"), [
    ("KLA_BOT_VERIFICATION_DATE", "2025-05-16T08:00:00",
     "verification.date: tulis tanggalnya saja, tanpa jam (mis. 2025-05-16)"),
    ("KLA_BOT_VERIFICATION_DATE", "2025-05-16 08:00:00+08:00", "tanpa jam"),
    ("KLA_BOT_CONFIG", "tidak-ada.toml", "tidak ada berkas konfigurasi"),
    ("KLA_BOT_TOKEN", "", "bot.token: belum diisi"),
])
async def test_configuration_mistakes_are_one_line_with_status_2(
        tmp_path: Path, database_url: str, setting: str, value: str, expected: str) -> None:
    env = _environment(tmp_path, database_url, **{setting: value})
    result = await _run(tmp_path, env)
    line = result.assert_one_line(2, expected)
    if setting == "KLA_BOT_CONFIG":
        assert str(tmp_path / "tidak-ada.toml") in line and "config.example.toml" in line


async def test_unreadable_toml_names_line_and_column_in_english_when_asked(
        tmp_path: Path, database_url: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[verification]\nregency = "Kabupaten Banjar"\ndate = 16-05-2025\n',
                      encoding="utf-8")
    env = _environment(tmp_path, database_url, KLA_BOT_BOT_LANGUAGE="en")
    del env["KLA_BOT_CONFIG"]
    result = await _run(tmp_path, env, "run", "--config", str(config))
    result.assert_one_line(2, f"{config}: line 3, column", "not valid TOML",
                           "config.example.toml")


async def test_an_unreachable_database_is_one_line_without_its_password(
        tmp_path: Path, database_url: str) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql+asyncpg://kla:geheim-pw@127.0.0.1:{port}/kla"
    result = await _run(tmp_path, _environment(tmp_path, database_url, KLA_BOT_DATABASE_URL=url))
    line = result.assert_one_line(1, f"basis data postgresql+asyncpg://kla:***@127.0.0.1:{port}/kla"
                                     " tidak dapat dihubungi")
    assert "geheim-pw" not in result.stderr and "database.url" in line
