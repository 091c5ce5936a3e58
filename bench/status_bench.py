"""Benchmark ``/status`` (text and chart) on a big task force, and prove its database work does
not grow with the number of members: the SQL statement count is the same for 50 and 500.

    .venv/bin/python bench/status_bench.py [--tasks 20000] [--postgres]

Each size gets a fresh database (SQLite in a temp folder by default), bulk-filled with
members, their clusters and tasks in a mix of states; the secretariat then asks ``/status``:
``status_for`` (the service, with its permission check) + the text + the PNG chart.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, select

from handlers.status import status_texts
from kla_bot.chart import render_status_chart
from kla_bot.clock import ManualClock
from kla_bot.config import Settings
from kla_bot.deps import create_deps
from kla_bot.i18n import translator
from kla_bot.models import Indicator, Member, MemberCluster, Task
from kla_bot.services.status_view import status_for

NOW = datetime(2025, 5, 5, 1, 0, tzinfo=UTC)  # 09:00 WITA, H-11
STATES = ["open"] * 6 + ["submitted"] * 2 + ["approved"] * 2


def settings_for(url: str, folder: Path) -> Settings:
    return Settings().replace(verification={"regency": "Kabupaten Banjar", "last_score": 685},
                              database={"url": url}, storage={"path": str(folder / "ev")})


async def insert_tasks(s: Any, cycle_id: int, assignees: list[int],
                       indicators: list[Any], tasks: int, rng: random.Random,
                       now: datetime) -> None:
    """``tasks`` tasks over the indicators, random assignees, points, due dates and states,
    inserted in batches of 5,000."""
    batch: list[dict[str, Any]] = []
    for n in range(tasks):
        number, _ = indicators[n % len(indicators)]
        batch.append({"cycle_id": cycle_id, "code": f"T-{n:05d}", "code_key": f"T-{n:05d}",
                      "indicator_number": number, "title": f"Data dukung {n}",
                      "points": Decimal(rng.choice(["0.5", "1", "1.5", "2"])),
                      "assignee_id": assignees[rng.randrange(len(assignees))],
                      "due_date": date(2025, 5, 2) + timedelta(days=rng.randrange(14)),
                      "state": rng.choice(STATES), "created_at": now, "updated_at": now})
        if len(batch) == 5000:
            await s.execute(insert(Task), batch)
            batch = []
    if batch:
        await s.execute(insert(Task), batch)


async def fill(deps: Any, members: int, tasks: int) -> Member:
    """Bulk-insert members (one cluster each) and tasks; return the secretariat member."""
    rng = random.Random(7)
    ws, now = deps.workspace, NOW
    async with deps.db.transaction() as s:
        indicators = list(await s.execute(select(Indicator.number, Indicator.cluster_code)))
        rows = [{"regency_id": ws.regency_id, "name": f"Anggota {i:04d}",
                 "phone": f"+62812{i:08d}", "agency": f"Dinas {i % 37}",
                 "role": "secretariat" if i == 0 else "member", "reachable": True,
                 "telegram_user_id": 10_000 + i if i % 3 else None, "created_at": now,
                 "updated_at": now} for i in range(members)]
        await s.execute(insert(Member), rows)
        ids = list(await s.scalars(select(Member.id).order_by(Member.id)))
        codes = sorted({c for _, c in indicators})
        await s.execute(insert(MemberCluster), [
            {"member_id": m, "cluster_code": codes[n % len(codes)]} for n, m in enumerate(ids)])
        await insert_tasks(s, ws.cycle_id, ids, indicators, tasks, rng, now)
        boss = await s.scalar(select(Member).where(Member.id == ids[0]))
        assert boss is not None
        return boss


async def measure(url: str | None, members: int, tasks: int, runs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        settings = settings_for(url or f"sqlite+aiosqlite:///{folder / 'bench.db'}", folder)
        deps = await create_deps(settings, ManualClock(NOW))
        try:
            boss = await fill(deps, members, tasks)
            statements = 0

            def count(*_: Any) -> None:
                nonlocal statements
                statements += 1

            event.listen(deps.db.engine.sync_engine, "before_cursor_execute", count)
            t = translator("id")
            db_times, text_times, chart_times = [], [], []
            for _ in range(runs):
                statements = 0
                started = time.perf_counter()
                async with deps.db.transaction() as s:
                    view = await status_for(s, deps.workspace, settings, boss, NOW)
                db_done = time.perf_counter()
                status_texts(view, t)
                text_done = time.perf_counter()
                r = view.headline
                render_status_chart(regency=view.regency, days_left=r.days_left,
                                    verification_date=r.verification_date, score=r.score,
                                    clusters=view.clusters, t=t)
                chart_done = time.perf_counter()
                db_times.append(db_done - started)
                text_times.append(text_done - db_done)
                chart_times.append(chart_done - text_done)
            return {"members": members, "tasks": tasks, "statements": statements,
                    "db_ms": 1000 * statistics.median(db_times),
                    "text_ms": 1000 * statistics.median(text_times),
                    "chart_ms": 1000 * statistics.median(chart_times)}
        finally:
            await deps.db.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres", action="store_true",
                        help="a throw-away database per size on the local PostgreSQL "
                             "(127.0.0.1:5432, user postgres; KLA_TEST_PG_URL overrides)")
    args = parser.parse_args()
    results = []
    for members in (50, 500):
        if args.postgres:
            from tests.dbs import PostgresSession

            pg = PostgresSession()
            await pg.create()
            try:
                results.append(await measure(pg.url, members, args.tasks, args.runs))
            finally:
                await pg.drop()
        else:
            results.append(await measure(None, members, args.tasks, args.runs))
    print(f"{'members':>8} {'tasks':>7} {'SQL stmts':>9} {'db ms':>8} {'text ms':>8} "
          f"{'chart ms':>9} {'total ms':>9}")
    for r in results:
        total = r["db_ms"] + r["text_ms"] + r["chart_ms"]
        print(f"{r['members']:>8} {r['tasks']:>7} {r['statements']:>9} {r['db_ms']:>8.1f} "
              f"{r['text_ms']:>8.1f} {r['chart_ms']:>9.1f} {total:>9.1f}")
    if len(results) == 2:
        same = results[0]["statements"] == results[1]["statements"]
        print("statement count independent of members:", "yes" if same else "NO")


if __name__ == "__main__":
    asyncio.run(main())
