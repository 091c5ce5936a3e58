"""``python bot.py run`` as a subprocess, talking to the Bot API stand-in over HTTP on 127.0.0.1.

The production entry point, configuration, logging and polling loop are exercised as an
operator runs them; the test waits on events (the stand-in's transcript, the process exit),
never on the wall clock beyond a generous cap.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import pytest

from kla_bot.standin import BotApiStandin, StandinServer
from tests.conftest import ROOT
from tests.e2e.process import TOKEN, telegram_env

pytestmark = pytest.mark.e2e

CAP = 30.0  # seconds: a ceiling for a slow machine, not a sleep


async def test_bot_process_answers_start_and_never_logs_the_token(
        tmp_path: Path, database_url: str) -> None:
    state = BotApiStandin(token=TOKEN)
    out_path, err_path = tmp_path / "stdout.log", tmp_path / "stderr.log"
    async with StandinServer(state) as server:
        with out_path.open("wb") as out, err_path.open("wb") as err:
            process = await asyncio.create_subprocess_exec(
                sys.executable, str(ROOT / "bot.py"), "run", cwd=tmp_path,
                env=telegram_env(tmp_path, database_url,
                                 KLA_BOT_BOT_BASE_URL=server.base_url,
                                 KLA_BOT_BOT_BASE_FILE_URL=server.base_file_url),
                stdout=out, stderr=err)
            try:
                chat = state.add_user("Rina", language_code="id").private
                mark = state.mark()
                chat.send("/start")
                answer = asyncio.ensure_future(chat.wait_for_message(since=mark, within=CAP))
                exited = asyncio.ensure_future(process.wait())
                await asyncio.wait({answer, exited}, timeout=CAP + 5,
                                   return_when=asyncio.FIRST_COMPLETED)
                exited.cancel()
                assert answer.done(), (
                    f"no answer to /start; exit {process.returncode}; "
                    f"stderr:\n{err_path.read_text(errors='replace')[-3000:]}")
                reply = answer.result()
            finally:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
                    try:
                        await asyncio.wait_for(process.wait(), CAP)
                    except TimeoutError:
                        process.kill()
                        await process.wait()
    stdout, stderr = out_path.read_text(errors="replace"), err_path.read_text(errors="replace")

    assert reply.chat_id == chat.chat_id and reply.plain.strip()
    assert "Rina" in reply.plain
    assert process.returncode == 0, stderr[-3000:]
    assert " INFO " in stderr, "INFO logging was on, so the check below is not vacuous"
    for secret in (TOKEN, TOKEN.split(":", 1)[1]):
        assert secret not in stdout and secret not in stderr
    assert state.unexpected == []
