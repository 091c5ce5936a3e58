"""``bot.py run`` killed (SIGKILL) in the middle of an evidence download, then restarted:
no record, the task still open, no stray file in the store once the bot is back."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from kla_bot.clock import ManualClock
from kla_bot.deps import Deps
from kla_bot.models import Evidence, Member, Task
from kla_bot.standin import BotApiStandin, StandinServer
from tests.conftest import ROOT
from tests.members.conftest import pdf_bytes, seed

pytestmark = pytest.mark.e2e
CAP = 30.0  # a ceiling for a slow machine, never a sleep


def _environment(deps: Deps, server: StandinServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("KLA_BOT_") and not k.lower().endswith("_proxy")}
    env.update(
        KLA_BOT_CONFIG=str(ROOT / "config.example.toml"),
        KLA_BOT_TOKEN=deps.settings.bot.token,
        KLA_BOT_BOT_BASE_URL=server.base_url,
        KLA_BOT_BOT_BASE_FILE_URL=server.base_file_url,
        KLA_BOT_DATABASE_URL=deps.settings.database.url,
        KLA_BOT_STORAGE_PATH=deps.settings.storage.path,
        KLA_BOT_LOG_LEVEL="WARNING",
        NO_PROXY="127.0.0.1",
    )
    return env


async def _start(tmp_path: Path, env: dict[str, str], n: int) -> asyncio.subprocess.Process:
    err = (tmp_path / f"stderr-{n}.log").open("wb")
    return await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "bot.py"), "run", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=err)


async def test_kill_during_download_leaves_no_record_and_no_stray_file(
        deps: Deps, clock: ManualClock, tmp_path: Path) -> None:
    members, tasks = await seed(deps, clock)
    state = BotApiStandin(token=deps.settings.bot.token)
    ani = state.add_user("Ani", language_code="id")
    async with deps.db.transaction() as s:
        member = await s.get(Member, members["Ani"])
        assert member is not None
        member.telegram_user_id = member.chat_id = ani.id
    store = Path(deps.settings.storage.path)
    data = pdf_bytes(1) + b"%" + os.urandom(2 * 1024 * 1024)  # 2 MB: held after 512 KB
    async with StandinServer(state) as server:
        env = _environment(deps, server)
        first = await _start(tmp_path, env, 1)
        try:
            update = ani.private.send_document(data, file_name="bukti.pdf", caption="K3-12")
            assert update.message is not None and update.message.document is not None
            gate = state.hold_download(update.message.document.file_unique_id,
                                       after_bytes=512 * 1024)
            await gate.wait_reached(within=CAP)
            # the update is confirmed (polling moved on) and the temp file is being written
            await state.wait_for(lambda: not state.pending_updates, CAP)
            partial = list((store / "tmp").glob("*.part"))
            assert len(partial) == 1  # (its bytes may still sit in buffers when killed)
        finally:
            first.kill()  # SIGKILL: no clean-up code runs
            await first.wait()
        assert first.returncode == -signal.SIGKILL

        assert await _evidence_count(deps) == 0
        assert (await _task_state(deps, tasks["K3-12"])) == "open"
        assert _final_files(store) == []
        # an hour later the orphan temp file is stale; the restarted bot removes it
        stale = time.time() - 2 * 3600
        os.utime(partial[0], (stale, stale))
        second = await _start(tmp_path, env, 2)
        try:
            probe = state.add_user("Probe", language_code="id").private
            mark = state.mark()
            probe.send("/start")
            await probe.wait_for_message(since=mark, within=CAP)
        finally:
            second.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(second.wait(), CAP)
            except TimeoutError:
                second.kill()
                await second.wait()
        gate.release()
    assert not (store / "tmp").exists() or list((store / "tmp").iterdir()) == []
    assert _final_files(store) == []
    assert await _evidence_count(deps) == 0
    assert (await _task_state(deps, tasks["K3-12"])) == "open"
    assert not [m for m in state.messages_to(ani.id) if "Berkas masuk" in m.plain]
    state.close()


def _final_files(store: Path) -> list[Path]:
    if not store.exists():
        return []
    return [p for p in store.rglob("*") if p.is_file() and p.relative_to(store).parts[0] != "tmp"]


async def _evidence_count(deps: Deps) -> int:
    async with deps.db.transaction() as s:
        return len(list(await s.scalars(select(Evidence))))


async def _task_state(deps: Deps, task_id: int) -> str:
    async with deps.db.transaction() as s:
        task = await s.get(Task, task_id)
        assert task is not None
        return task.state
