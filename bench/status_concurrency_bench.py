"""``/status`` text latency with many coordinators asking at once, before and after the chart
left the event loop's process.

    PYTHONPATH=. .venv/bin/python bench/status_concurrency_bench.py [--coordinators 50]
        [--tasks 20000] [--postgres]

One database (SQLite in a temp folder by default) is filled with coordinators (one cluster
each) and tasks; then every coordinator sends ``/status`` at the same moment, through the real
handler (``handlers.status.status``) with a port that records when each message is sent and
returns at once (no network: only the bot's own work is timed). Four waves:

* floor: a chart that costs nothing — what the text alone takes (mostly the database);

* before: every request renders its chart in a thread (``asyncio.to_thread``, no cache) — the
  code before the process pool; the renders hold the GIL while the texts wait;
* after, cold: the chart in the spawned process pool, cache empty (one render per scope);
* after, warm: the same again, nothing changed (0 renders: cached, re-sent by file id).

Text latency is from the request to its first text message; "all charts" is when the last
chart of the wave was sent.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from bench.status_bench import NOW, insert_tasks, settings_for
from handlers.status import status
from kla_bot.clock import ManualClock
from kla_bot.conversation.inputs import Inbound, IncomingFile, Place
from kla_bot.conversation.replies import Reply
from kla_bot.conversation.turn import Turn
from kla_bot.deps import Deps, create_deps
from kla_bot.domain import Who
from kla_bot.models import Indicator, Member, MemberCluster
from kla_bot.services.status_model import Score
from kla_bot.status_charts import Chart, ChartRequest, StatusCharts, render_request


@dataclass
class Timing:
    """When one request started, and when its first text and its chart went out."""

    started: float
    text_at: float | None = None
    chart_at: float | None = None


@dataclass
class RecordingPort:
    """A channel that sends instantly and notes the time (and hands back a file id)."""

    timing: Timing
    channel: str = "telegram"
    sent: list[str] = field(default_factory=list)

    async def send(self, place: Place, reply: Reply) -> str:
        now = time.perf_counter()
        if reply.attachment is None:
            self.timing.text_at = self.timing.text_at or now
        else:
            self.timing.chart_at = now
            if reply.attachment.sent is not None:
                reply.attachment.sent.telegram_file_id = "file-id-of-the-chart"
        self.sent.append(reply.text)
        return str(len(self.sent))

    async def edit(self, place: Place, message_ref: str, reply: Reply) -> str:
        return await self.send(place, reply)

    async def remove_choices(self, place: Place, message_ref: str) -> None:
        return None

    async def answer_press(self, text: str | None = None, *, alert: bool = False) -> None:
        return None

    async def download(self, file: IncomingFile) -> AsyncIterator[bytes]:
        """/status receives no file: there is never anything to fetch."""
        return
        yield b""

    def invite_link(self, code: str) -> str:
        return code

    @property
    def bot_name(self) -> str:
        return "bench"


class NoCharts(StatusCharts):
    """The floor: a chart that costs nothing (what the text alone takes: the database)."""

    async def chart(self, key: Any, request: ChartRequest) -> Chart:
        return Chart(request.version, b"")


class ThreadCharts(StatusCharts):
    """Before: every request renders in a thread of the bot's own process, nothing cached."""

    async def chart(self, key: Any, request: ChartRequest) -> Chart:
        png = await asyncio.to_thread(render_request, request)
        return Chart(request.version, png)


async def fill(deps: Deps, coordinators: int, tasks: int) -> list[int]:
    """Coordinators (one cluster each, Telegram users) and tasks; their Telegram user ids."""
    rng = random.Random(7)
    ws = deps.workspace
    async with deps.db.transaction() as s:
        indicators = list(await s.execute(select(Indicator.number, Indicator.cluster_code)))
        codes = sorted({c for _, c in indicators})
        rows = [{"regency_id": ws.regency_id, "name": f"Koordinator {i:03d}",
                 "phone": f"+62813{i:08d}", "agency": f"Dinas {i % 37}", "role": "coordinator",
                 "reachable": True, "telegram_user_id": 20_000 + i, "created_at": NOW,
                 "updated_at": NOW} for i in range(coordinators)]
        await s.execute(insert(Member), rows)
        ids = list(await s.scalars(select(Member.id).order_by(Member.id)))
        await s.execute(insert(MemberCluster), [
            {"member_id": m, "cluster_code": codes[n % len(codes)]} for n, m in enumerate(ids)])
        await insert_tasks(s, ws.cycle_id, ids, indicators, tasks, rng, NOW)
    return [20_000 + i for i in range(coordinators)]


async def wave(deps: Deps, users: list[int]) -> dict[str, float]:
    """Every coordinator asks /status at once; latency figures in ms."""
    start = time.perf_counter()
    timings = [Timing(start) for _ in users]

    async def ask(user: int, timing: Timing) -> None:
        place = Place("telegram", str(user))
        inbound = Inbound(who=Who.telegram(user), place=place, command="status")
        await status(Turn(deps, RecordingPort(timing), inbound))  # type: ignore[arg-type]

    await asyncio.gather(*(ask(u, t) for u, t in zip(users, timings, strict=True)))
    texts = sorted(1000 * ((t.text_at or start) - start) for t in timings)
    charts = [1000 * ((t.chart_at or start) - start) for t in timings]
    return {"p50": statistics.median(texts), "p95": texts[int(0.95 * (len(texts) - 1))],
            "max": texts[-1], "charts": max(charts)}


async def run(url: str | None, coordinators: int, tasks: int) -> list[tuple[str, dict[str, float],
                                                                             int]]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        settings = settings_for(url or f"sqlite+aiosqlite:///{folder / 'bench.db'}", folder)
        deps = await create_deps(settings, ManualClock(NOW))
        results = []
        try:
            users = await fill(deps, coordinators, tasks)
            renders = 0

            async def counted(request: ChartRequest) -> bytes:
                nonlocal renders
                renders += 1
                return await after.pool.render(request)

            deps.charts = NoCharts()
            await wave(deps, users[:1])  # warm-up: imports, the first query plans
            results.append(("floor (no chart at all)", await wave(deps, users), 0))
            deps.charts = ThreadCharts()
            results.append(("before (thread, no cache)", await wave(deps, users), len(users)))
            after = StatusCharts(render=counted)
            score = Score.compute(last=Decimal(685), target_predicate="Nindya",
                                  approved=Decimal(1), submitted=Decimal(1), open_=Decimal(1))
            # Start the pool's process before the wave (as the first /status of a day does).
            await after.pool.render(ChartRequest("id", "warm-up", 1, date(2025, 5, 16), score,
                                                 ()))
            deps.charts = after
            cold = await wave(deps, users)
            results.append(("after, cold (process pool)", cold, renders))
            renders = 0
            warm = await wave(deps, users)
            results.append(("after, warm (cached)", warm, renders))
            after.close()
        finally:
            await deps.db.dispose()
        return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--coordinators", type=int, default=50)
    parser.add_argument("--tasks", type=int, default=20_000)
    parser.add_argument("--postgres", action="store_true",
                        help="a throw-away database on the local PostgreSQL (127.0.0.1:5432)")
    args = parser.parse_args()
    if args.postgres:
        from tests.dbs import PostgresSession

        pg = PostgresSession()
        await pg.create()
        try:
            results = await run(pg.url, args.coordinators, args.tasks)
        finally:
            await pg.drop()
    else:
        results = await run(None, args.coordinators, args.tasks)
    print(f"{args.coordinators} coordinators at once, {args.tasks} tasks")
    print(f"{'wave':<28} {'text p50':>9} {'text p95':>9} {'text max':>9} {'all charts':>11} "
          f"{'renders':>8}")
    for name, r, renders in results:
        print(f"{name:<28} {r['p50']:>9.0f} {r['p95']:>9.0f} {r['max']:>9.0f} "
              f"{r['charts']:>11.0f} {renders:>8}")


if __name__ == "__main__":
    asyncio.run(main())
