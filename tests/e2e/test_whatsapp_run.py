"""``python bot.py run`` serving WhatsApp (no Telegram token) as a subprocess: the Cloud API
stand-in over HTTP on 127.0.0.1, signed webhooks posted to the bot's own uvicorn server.

The tests wait on events (the stand-in's transcript, a download starting, a database row),
polled within a generous cap; never a fixed sleep.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from starlette.types import ASGIApp, Receive, Scope, Send

from kla_bot.clock import ManualClock
from kla_bot.deps import Deps
from kla_bot.models import Evidence, Task
from kla_bot.standin import BotApiStandin, StandinServer
from kla_bot.standin_whatsapp import (
    CloudApiStandin,
    LocalServer,
    Person,
    WebhookPoster,
    create_standin_app,
)
from tests.conftest import ROOT
from tests.e2e.process import TOKEN, free_port, operator_env, stop, until
from tests.members.conftest import pdf_bytes, seed
from tests.whatsapp.chat import ANI, CITRA, VERIFY

pytestmark = pytest.mark.e2e
CAP = 30.0  # seconds: a ceiling for a slow machine, not a sleep


class StallDownloads:
    """The stand-in app, except that media downloads hang until :meth:`release`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app, self.started, self.released = app, asyncio.Event(), asyncio.Event()

    def release(self) -> None:
        self.released.set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] == "http" and "attachments" in scope["path"]
                and not self.released.is_set()):
            self.started.set()
            await self.released.wait()
        await self.app(scope, receive, send)


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-3000:]


def _config(tmp_path: Path, cloud: CloudApiStandin, graph_url: str, port: int) -> Path:
    path = tmp_path / "config.toml"
    path.write_text((ROOT / "config.example.toml").read_text() + f"""
[whatsapp]
phone_number_id = "{cloud.phone_number_id}"
base_url = "{graph_url}"
verify_token = "{VERIFY}"

[server]
listen = "127.0.0.1:{port}"
""")
    return path


def _environment(deps: Deps, cloud: CloudApiStandin, config: Path) -> dict[str, str]:
    return operator_env(KLA_BOT_CONFIG=str(config), KLA_BOT_WHATSAPP_TOKEN=cloud.token,
                        KLA_BOT_WHATSAPP_APP_SECRET=cloud.app_secret,
                        KLA_BOT_DATABASE_URL=deps.settings.database.url,
                        KLA_BOT_STORAGE_PATH=deps.settings.storage.path)


async def _until(check: Callable[[], Awaitable[bool]], what: str, errors: Path) -> None:
    await until(check, what, CAP, lambda: f"stderr:\n{_tail(errors)}")


class Bot:
    """The bot process, started and stopped like an operator does (or killed)."""

    def __init__(self, tmp_path: Path, env: dict[str, str], url: str) -> None:
        self.tmp_path, self.env, self.url = tmp_path, env, url
        self.process: asyncio.subprocess.Process | None = None
        self.errors = tmp_path / "stderr.log"

    async def start(self) -> None:
        with self.errors.open("ab") as err:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, str(ROOT / "bot.py"), "run", cwd=self.tmp_path, env=self.env,
                stdout=asyncio.subprocess.DEVNULL, stderr=err)

        async def listening() -> bool:
            assert self.process is not None
            if self.process.returncode is not None:
                raise AssertionError(_tail(self.errors))
            try:
                async with httpx.AsyncClient(trust_env=False) as client:
                    answer = await client.get(self.url, params={
                        "hub.mode": "subscribe", "hub.verify_token": VERIFY,
                        "hub.challenge": "up"})
                return answer.text == "up"
            except httpx.TransportError:
                return False

        await _until(listening, "the webhook answering its challenge", self.errors)

    async def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.process is not None
        return await stop(self.process, CAP, sig)


async def test_run_serves_whatsapp_and_survives_kill_9_mid_download(
        deps: Deps, clock: ManualClock, tmp_path: Path) -> None:
    members, tasks = await seed(deps, clock)
    cloud = CloudApiStandin(lambda: datetime.now(UTC))
    stalling = StallDownloads(create_standin_app(cloud))
    async with LocalServer(stalling) as graph:
        cloud.media_base = graph.url
        port = free_port()
        url = f"http://127.0.0.1:{port}/whatsapp"
        env = _environment(deps, cloud, _config(tmp_path, cloud, graph.url, port))
        bot = Bot(tmp_path, env, url)
        poster = WebhookPoster(cloud, url)
        ani = Person(cloud, cloud.add_user("Ani", ANI))
        citra = Person(cloud, cloud.add_user("Citra", CITRA))  # the K3 coordinator
        await bot.start()
        try:
            # A member's first message registers them; the welcome comes back over HTTP.
            assert (await poster.post(ani.text("halo"))).status_code == 200

            async def welcomed() -> bool:
                return any("Selamat datang, Ani" in m.text for m in cloud.transcript(ani.user))

            await _until(welcomed, "the welcome reaching the stand-in", bot.errors)
            assert (await poster.post(citra.text("halo"))).status_code == 200
            # kill -9 while the evidence is being downloaded: the message was kept before
            # the webhook answered, so the next start finishes it, once.
            upload = ani.document(pdf_bytes(text="ktr"), "perbup.pdf", caption="K3-17a")
            assert (await poster.post(upload)).status_code == 200
            await asyncio.wait_for(stalling.started.wait(), CAP)
            await bot.stop(signal.SIGKILL)
            assert await _evidence(deps) == []
            stalling.release()  # the killed process's download ends; new ones pass
            await bot.start()

            async def recorded() -> bool:
                return len(await _evidence(deps)) == 1

            await _until(recorded, "the evidence recorded after the restart", bot.errors)

            async def card_reached_the_coordinator() -> bool:  # the outbox, WhatsApp-only
                return any("K3-17a" in m.text and m.type in ("document", "interactive")
                           for m in cloud.transcript(citra.user))

            await _until(card_reached_the_coordinator, "the review card on WhatsApp", bot.errors)
            await poster.post(upload)  # a redelivery of the unanswered message changes nothing
            receipt_seen = any("Berkas masuk untuk *K3-17a*" in m.text
                               for m in cloud.transcript(ani.user))
        finally:
            stalling.release()
            status = await bot.stop()
            await poster.aclose()
    assert status == 0, _tail(bot.errors)
    assert receipt_seen
    assert [e.original_name for e in await _evidence(deps)] == ["perbup.pdf"]
    async with deps.db.transaction() as s:
        task = await s.get(Task, tasks["K3-17a"])
        assert task is not None and task.state == "submitted"
    stderr = bot.errors.read_text(errors="replace")
    assert cloud.token not in stderr and cloud.app_secret not in stderr
    assert "serves WhatsApp" in stderr or "melayani WhatsApp" in stderr
    assert members  # seeded


async def _evidence(deps: Deps) -> list[Evidence]:
    async with deps.db.transaction() as s:
        return list(await s.scalars(select(Evidence)))


async def test_run_serves_telegram_and_whatsapp_together(
        deps: Deps, clock: ManualClock, tmp_path: Path) -> None:
    await seed(deps, clock)
    token = TOKEN
    telegram = BotApiStandin(token=token)
    cloud = CloudApiStandin(lambda: datetime.now(UTC))
    async with StandinServer(telegram) as bot_api, LocalServer(create_standin_app(cloud)) as graph:
        cloud.media_base = graph.url
        port = free_port()
        url = f"http://127.0.0.1:{port}/whatsapp"
        env = _environment(deps, cloud, _config(tmp_path, cloud, graph.url, port))
        env.update(KLA_BOT_TOKEN=token, KLA_BOT_BOT_BASE_URL=bot_api.base_url,
                   KLA_BOT_BOT_BASE_FILE_URL=bot_api.base_file_url)
        bot = Bot(tmp_path, env, url)
        poster = WebhookPoster(cloud, url)
        ani = Person(cloud, cloud.add_user("Ani", ANI))
        await bot.start()
        try:
            rina = telegram.add_user("Rina", language_code="id").private
            mark = telegram.mark()
            rina.send("/start")
            answer = await rina.wait_for_message(since=mark, within=CAP)
            assert (await poster.post(ani.text("halo"))).status_code == 200

            async def welcomed() -> bool:
                return any("Selamat datang, Ani" in m.text for m in cloud.transcript(ani.user))

            await _until(welcomed, "the WhatsApp welcome", bot.errors)
        finally:
            status = await bot.stop()
            await poster.aclose()
    telegram.close()
    assert "Rina" in answer.plain
    assert status == 0, _tail(bot.errors)
    stderr = bot.errors.read_text(errors="replace")
    assert token not in stderr and cloud.app_secret not in stderr
