"""``python bot.py run`` as a subprocess against the HTTP stand-in, for fan-out tests.

The bot runs on the wall clock; to make it fan out at a known moment, the configuration puts
today's reminder time a minute in the past, on a working day, with the verification ahead —
so the bot's start-up catch-up queues the digests at once (today is a working date even when
it is a public holiday).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from kla_bot.config import Settings
from kla_bot.deps import Deps
from kla_bot.standin import BotApiStandin, StandinServer
from tests.reminders.helpers import started_user
from tests.reminders.seed import add_member, add_task

ROOT = Path(__file__).resolve().parents[2]
TZ = "Asia/Makassar"


def wall_today() -> tuple[datetime, str]:
    """Local now (WITA) on the wall clock, and a reminder time one minute before it."""
    now = datetime.now(ZoneInfo(TZ))
    slot = max(now - timedelta(minutes=1), now.replace(hour=0, minute=0))
    return now, f"{slot:%H:%M}"


def write_config(path: Path, settings: Settings, server: StandinServer) -> Path:
    now, slot = wall_today()
    path.write_text(f"""
[bot]
token = "{settings.bot.token}"
base_url = "{server.base_url}"
base_file_url = "{server.base_file_url}"
[database]
url = "{settings.database.url}"
[storage]
path = "{settings.storage.path}"
[verification]
regency = "{settings.verification.regency}"
date = {(now + timedelta(days=10)).date().isoformat()}
timezone = "{TZ}"
last_score = 685
[reminders]
daily_at = ["{slot}"]
working_days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
holidays = []
working_dates = [{now.date().isoformat()}]  # even on a national holiday, today is a working day
countdown_days = [7, 3, 1, 0]
[log]
level = "INFO"
""", encoding="utf-8")
    return path


@dataclass
class Team:
    member_chats: list[int]
    coordinator_chat: int
    member_ids: dict[int, int]  # chat id → member id


async def seed_team(deps: Deps, stand: BotApiStandin, members: int) -> Team:
    """``members`` members of K3, each with one open task, and their coordinator."""
    now, ws = deps.clock.now(), deps.workspace
    due = datetime.now(ZoneInfo(TZ)).date() + timedelta(days=8)
    chats = [100_000 + i for i in range(members)]
    ids: dict[int, int] = {}
    async with deps.db.transaction() as s:
        await add_member(s, ws, now, name="Koordinator", role="coordinator", chat_id=9000)
        for chat in chats:
            member = await add_member(s, ws, now, name=f"Anggota {chat}", chat_id=chat)
            ids[chat] = member.id
            await add_task(s, ws, now, code=f"K3-{chat}", assignee=member, due=due)
    started_user(stand, 9000, "Koordinator")
    for chat in chats:
        started_user(stand, chat, f"Anggota {chat}")
    return Team(chats, 9000, ids)


class BotProcess:
    """One ``python bot.py run`` process, its output kept in a log file."""

    def __init__(self, config: Path, log: Path) -> None:
        self.config, self.log = config, log
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KLA_BOT_")}
        with self.log.open("ab") as out:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, str(ROOT / "bot.py"), "run", "--config", str(self.config),
                cwd=str(self.config.parent), env=env, stdout=out, stderr=out)

    async def kill(self) -> None:
        """kill -9: no shutdown hook runs."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> int:
        """SIGTERM, as an operator would; the exit status."""
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(20):
                    await self.proc.wait()
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        return self.proc.returncode or 0

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")
