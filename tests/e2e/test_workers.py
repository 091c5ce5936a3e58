"""Two ``python bot.py run`` workers on one PostgreSQL database, Telegram by webhook behind a
round-robin load balancer: the Bot API stand-in over HTTP posts each update to one of them;
exactly one leads the schedule, and the other takes over when the leader is killed.

The tests wait on events (the stand-in's transcript, a log line), polled within a generous cap;
never a fixed sleep.
"""

from __future__ import annotations

import asyncio
import itertools
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from kla_bot.channels.telegram.webhook import SECRET_HEADER
from kla_bot.standin import BotApiStandin, StandinServer
from tests.conftest import ROOT
from tests.dbs import postgres_only
from tests.e2e.process import TOKEN, free_port, stop, telegram_env, until

pytestmark = [
    pytest.mark.e2e,
    postgres_only("several workers need PostgreSQL (SQLite runs one process)"),
]

SECRET = "e2e-webhook-secret_0123456789"
CAP = 40.0  # seconds: a ceiling for a slow machine, not a sleep
LEADS, STANDS_BY, TAKES_OVER = ("scheduler: this worker leads", "standing by",
                                "this worker leads the reminder schedule")


class RoundRobin(httpx.AsyncBaseTransport):
    """A load balancer in front of the workers: each request goes to the next one's port."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = itertools.cycle(ports)
        self.hits: list[tuple[int, int]] = []  # (port, status)
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        port = next(self.ports)
        request.url = request.url.copy_with(port=port)
        response = await self.inner.handle_async_request(request)
        await response.aread()
        self.hits.append((port, response.status_code))
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


class Worker:
    def __init__(self, name: str, tmp_path: Path, env: dict[str, str], port: int) -> None:
        self.name, self.port = name, port
        self.folder = tmp_path / name
        self.folder.mkdir()
        self.env = {**env, "KLA_BOT_SERVER_LISTEN": f"127.0.0.1:{port}"}
        self.errors = self.folder / "stderr.log"
        self.process: asyncio.subprocess.Process | None = None

    def log(self) -> str:
        return self.errors.read_text(errors="replace") if self.errors.exists() else ""

    async def start(self) -> None:
        with self.errors.open("ab") as err:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, str(ROOT / "bot.py"), "run", cwd=self.folder, env=self.env,
                stdout=asyncio.subprocess.DEVNULL, stderr=err)

    async def refuses_a_post_without_the_secret(self) -> bool:
        assert self.process is not None
        if self.process.returncode is not None:
            raise AssertionError(f"{self.name} exited:\n{self.log()[-3000:]}")
        try:
            async with httpx.AsyncClient(trust_env=False) as client:
                answer = await client.post(f"http://127.0.0.1:{self.port}/telegram",
                                           json={"update_id": 1},
                                           headers={SECRET_HEADER: "guess"})
            return answer.status_code == 403
        except httpx.TransportError:
            return False

    async def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.process is not None
        return await stop(self.process, CAP, sig)


async def _until(check: Callable[[], Awaitable[bool]], what: str, *workers: Worker) -> None:
    await until(check, what, CAP,
                lambda: "\n".join(f"--- {w.name}:\n{w.log()[-2000:]}" for w in workers))


def _environment(tmp_path: Path, database_url: str, server: StandinServer) -> dict[str, str]:
    return telegram_env(
        tmp_path, database_url,
        KLA_BOT_BOT_BASE_URL=server.base_url,
        KLA_BOT_BOT_BASE_FILE_URL=server.base_file_url,
        # The load balancer's address (never listened on: the test's transport routes it).
        KLA_BOT_BOT_WEBHOOK_URL=f"http://127.0.0.1:{free_port()}/telegram",
        KLA_BOT_BOT_WEBHOOK_SECRET=SECRET)


async def test_two_workers_share_the_webhook_and_hand_the_schedule_over(
        tmp_path: Path, database_url: str) -> None:
    state = BotApiStandin(token=TOKEN)
    async with StandinServer(state) as server:
        env = _environment(tmp_path, database_url, server)
        workers = [Worker(name, tmp_path, env, free_port()) for name in ("one", "two")]
        balancer = RoundRobin([w.port for w in workers])
        try:
            for worker in workers:  # one after the other: the first surely leads
                await worker.start()
                await _until(worker.refuses_a_post_without_the_secret,
                             f"{worker.name} serving its webhook", *workers)
            assert state.webhook is not None and state.webhook.secret == SECRET
            chats = [state.add_user(f"Orang{n}", language_code="id").private
                     for n in range(12)]
            for chat in chats:
                chat.send("/start")
            async with httpx.AsyncClient(transport=balancer, trust_env=False) as client:
                statuses = await state.post_updates(client)
            assert statuses == [200] * len(chats)
            assert {port for port, _ in balancer.hits} == {w.port for w in workers}

            async def everyone_answered() -> bool:
                # /start ends with asking for the contact (a reply keyboard).
                return all(chat.reply_keyboard() is not None for chat in chats)

            await _until(everyone_answered, "an answer to every /start", *workers)
            for n, chat in enumerate(chats):  # the welcome and the question, once each
                assert len(chat.messages()) == 2
                assert sum(f"Orang{n}" in m.plain for m in chat.messages()) == 1
            assert state.pending_updates == []

            leader, other = workers
            assert LEADS in leader.log() and STANDS_BY in other.log()
            await leader.stop(signal.SIGKILL)  # its lock connection dies with it

            async def taken_over() -> bool:
                return TAKES_OVER in other.log()

            await _until(taken_over, "the other worker taking the schedule over", *workers)
        finally:
            for worker in workers:
                if worker.process is not None:
                    await worker.stop()
            await balancer.aclose()
    for worker in workers:
        for secret in (TOKEN.split(":", 1)[1], SECRET):
            assert secret not in worker.log()
    assert state.unexpected == []
