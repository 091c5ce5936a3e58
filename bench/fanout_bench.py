"""Benchmark the reminder fan-out: 5,000 members' digests through the outbox sender, against
the stand-in (a separate process) enforcing Telegram's flood limits (30/s overall, 1/s per chat).

    PYTHONPATH=. .venv/bin/python bench/fanout_bench.py [--members 5000] [--rate-limit 30]

It starts ``python -m kla_bot.standin --rate-limit 30``, fills a fresh SQLite database with the
members (each with one open task) and their coordinator, then starts ``python bot.py run``
with today's reminder time one minute in the past, so the start-up catch-up queues every
digest at once. It prints the achieved send rate, the 429 answers, duplicates, losses and the
wall time. Pass criteria: rate >= 90% of the limit, zero 429s, zero losses, zero duplicates.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import insert, select

from kla_bot.clock import ManualClock
from kla_bot.config import Settings
from kla_bot.deps import create_deps
from kla_bot.models import Member, MemberCluster, Task

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:BENCH-TOKEN"
TZ = ZoneInfo("Asia/Makassar")
FIRST_CHAT = 200_000


async def fill(url: str, folder: Path, members: int) -> None:
    """Bulk-insert the coordinator, the members (K3) and one open task each."""
    settings = Settings().replace(verification={"regency": "Kabupaten Bench"},
                                  database={"url": url}, storage={"path": str(folder / "ev")})
    now = datetime.now(UTC)
    deps = await create_deps(settings, ManualClock(now))
    ws = deps.workspace
    async with deps.db.transaction() as s:
        rows: list[dict[str, Any]] = [
            {"regency_id": ws.regency_id, "name": f"Anggota {i:05d}", "phone": f"+62813{i:08d}",
             "agency": "Dinas", "role": "coordinator" if i == 0 else "member",
             "reachable": True, "telegram_user_id": FIRST_CHAT + i, "chat_id": FIRST_CHAT + i,
             "created_at": now, "updated_at": now} for i in range(members + 1)]
        await s.execute(insert(Member), rows)
        ids = list(await s.scalars(select(Member.id).order_by(Member.id)))
        await s.execute(insert(MemberCluster),
                        [{"member_id": m, "cluster_code": "K3"} for m in ids])
        due = now.astimezone(TZ).date() + timedelta(days=8)
        await s.execute(insert(Task), [
            {"cycle_id": ws.cycle_id, "code": f"K3-{m}", "code_key": f"K3-{m}",
             "indicator_number": 12, "title": "Bukti dukung", "points": 1, "assignee_id": m,
             "due_date": due, "state": "open", "created_at": now, "updated_at": now}
            for m in ids[1:]])
    await deps.db.dispose()


def write_config(folder: Path, url: str, base_url: str, file_url: str) -> Path:
    now = datetime.now(TZ)
    slot = max(now - timedelta(minutes=1), now.replace(hour=0, minute=0))
    path = folder / "config.toml"
    path.write_text(f"""
[bot]
token = "{TOKEN}"
base_url = "{base_url}"
base_file_url = "{file_url}"
[database]
url = "{url}"
[storage]
path = "{folder / 'ev'}"
[verification]
regency = "Kabupaten Bench"
date = {(now + timedelta(days=10)).date().isoformat()}
timezone = "Asia/Makassar"
[reminders]
daily_at = ["{slot:%H:%M}"]
working_days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
holidays = []
[log]
level = "WARNING"
""", encoding="utf-8")
    return path


@dataclass
class FanOutWorld:
    """The stand-in (a process), the filled database and ``bot.py run`` started on it."""

    folder: Path
    url: str
    http: httpx.AsyncClient
    control: str  # the stand-in's control endpoint (add_user, stats, sent)
    started: float  # monotonic, when the bot was launched


@asynccontextmanager
async def fanout_world(members: int, rate_limit: float, *,
                       prefix: str) -> AsyncIterator[FanOutWorld]:
    """A stand-in enforcing ``rate_limit``, ``members`` members (each with one open task) and
    their coordinator, and the bot running with today's reminder slot just passed (its start-up
    catch-up queues every digest at once); all stopped on leaving."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KLA_BOT_")}
    env["PYTHONPATH"] = str(ROOT)
    standin = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "kla_bot.standin", "--rate-limit", str(rate_limit),
        "--token", TOKEN, "--no-require-start", stdout=asyncio.subprocess.PIPE, env=env)
    assert standin.stdout is not None
    _, base_url, file_url = (await standin.stdout.readline()).decode().split()
    control = base_url.removesuffix("/bot") + "/_control/"
    bot = None
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            for i in range(members + 1):
                await http.post(control + "add_user", json={
                    "first_name": f"Anggota {i}", "user_id": FIRST_CHAT + i})
            await fill(url, folder, members)
            config = write_config(folder, url, base_url, file_url)
            started = time.monotonic()
            log = (folder / "bot.log").open("wb")
            bot = await asyncio.create_subprocess_exec(
                sys.executable, str(ROOT / "bot.py"), "run", "--config", str(config),
                cwd=str(folder), env=env, stdout=log, stderr=log)
            yield FanOutWorld(folder, url, http, control, started)
    finally:
        if bot is not None and bot.returncode is None:
            bot.send_signal(signal.SIGTERM)
            await bot.wait()
        standin.send_signal(signal.SIGTERM)
        await standin.wait()


async def run(members: int, rate_limit: float) -> int:
    async with fanout_world(members, rate_limit, prefix="kla-fanout-") as world:
        http, control, started = world.http, world.control, world.started
        expected = members + 1  # every digest, and the coordinator's morning brief
        first_at = last_at = 0.0
        delivered = 0
        while delivered < expected and time.monotonic() - started < members / 10 + 120:
            stats = (await http.get(control + "stats")).json()["result"]
            delivered = stats["delivered"].get("sendMessage", 0)
            if delivered and not first_at:
                first_at = time.monotonic()
            last_at = time.monotonic()
            await asyncio.sleep(0.2)
        wall = time.monotonic() - started
        sent = (await http.get(control + "sent")).json()["result"]
        chats = {m["chat_id"] for m in sent if m["method"] == "sendMessage"}
        stats = (await http.get(control + "stats")).json()["result"]
    sending = max(last_at - first_at, 1e-9)
    rate = (delivered - 1) / sending
    lost = expected - len(chats)
    result = {"messages": delivered, "rate_per_s": round(rate, 2), "limit_per_s": rate_limit,
              "rate_vs_limit": f"{rate / rate_limit:.1%}",
              "too_many_requests": stats["too_many_requests"],
              "duplicates": len(stats["duplicates"]), "lost": lost,
              "sending_s": round(sending, 1), "wall_s": round(wall, 1)}
    print(json.dumps(result, indent=2))
    ok = (rate >= 0.9 * rate_limit and stats["too_many_requests"] == 0 and lost == 0
          and not stats["duplicates"])
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--rate-limit", type=float, default=30)
    args = parser.parse_args()
    return asyncio.run(run(args.members, args.rate_limit))


if __name__ == "__main__":
    sys.exit(main())
