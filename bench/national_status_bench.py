"""``/status`` at national size on PostgreSQL: 514 regencies, 25,000 members, 200,000 tasks,
and 50 coordinators of 50 different regencies asking at the same moment.

    PYTHONPATH=. .venv/bin/python bench/national_status_bench.py [--quick] [--explain]

A throw-away database on the local PostgreSQL (127.0.0.1:5432, user postgres;
``KLA_TEST_PG_URL`` overrides) is migrated and bulk-filled: every regency (in 38 provinces and
three time zones) has an active cycle, ~49 members (one cluster each: a secretariat, a
coordinator per cluster, the rest members) and ~390 tasks in a mix of states and due dates.
Each coordinator's ``/status`` is routed as every update is (``handlers.route.dispatch``: the
sender's regency found, its settings and workspace, then ``handlers.status.status``), with a
port that sends instantly and records when (``bench.status_concurrency_bench.RecordingPort``).
Text latency is from the common start to each request's first text message; "charts done" is
when the wave's last chart was sent (the real process pool, cache empty: one render per
regency). Each worker starts as ``bot.py run`` does: its connections opened, every member's
regency learned, its start-up objects frozen out of the garbage collector. ``--quick``: 50
regencies (still PostgreSQL, still 50 coordinators). ``--explain`` prints EXPLAIN ANALYZE of
the queries of one ``/status``.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import multiprocessing
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, select, text

from bench.status_bench import NOW, insert_tasks, settings_for
from bench.status_concurrency_bench import NoCharts, RecordingPort, Timing
from handlers.route import dispatch
from kla_bot.clock import ManualClock
from kla_bot.conversation.inputs import Inbound, Place
from kla_bot.conversation.turn import Turn
from kla_bot.deps import Deps, create_deps
from kla_bot.domain import Who
from kla_bot.models import Cycle, Indicator, Member, MemberCluster, Regency
from kla_bot.status_charts import ChartRequest, StatusCharts
from kla_bot.worker import freeze_startup_objects, prepare

REGENCIES = 514
MEMBERS = 25_000
TASKS = 200_000
QUICK_REGENCIES = 50
ASKING = 50  # coordinators of as many regencies, all at once
PROVINCES = 38
ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")  # WIB, WITA, WIT
P95_GOAL_MS = 300
TELEGRAM_ID_BASE = 500_000  # a member's Telegram id: this + regency index * 100 + index


@dataclass(frozen=True)
class Size:
    """How much to load: the national size, or a smaller one with the same shape."""

    regencies: int
    members: int
    tasks: int

    @classmethod
    def national(cls) -> Size:
        return cls(REGENCIES, MEMBERS, TASKS)

    @classmethod
    def quick(cls) -> Size:
        """Fewer regencies, the same ~49 members and ~390 tasks in each."""
        return cls(QUICK_REGENCIES, MEMBERS * QUICK_REGENCIES // REGENCIES,
                   TASKS * QUICK_REGENCIES // REGENCIES)


def share(total: int, parts: int, index: int) -> int:
    """Part ``index`` of ``total`` split as evenly as whole numbers allow."""
    return total // parts + (1 if index < total % parts else 0)


@dataclass(frozen=True)
class Asker:
    """One coordinator who sends ``/status``: their Telegram id and their regency."""

    telegram_user_id: int
    regency: str


async def load(deps: Deps, size: Size) -> tuple[list[Asker], float]:
    """Bulk-fill regencies, cycles, members and tasks; the coordinators who will ask (one in
    each of ``ASKING`` regencies spread over the list, then one more for the warm-up) and the
    load time in seconds."""
    started = time.perf_counter()
    rng = random.Random(11)
    first = deps.workspace  # the configured regency is regency 0
    verification = first.verification_date
    async with deps.db.transaction() as s:
        indicators = list(await s.execute(select(Indicator.number, Indicator.cluster_code)))
        codes = sorted({c for _, c in indicators})
        more = [{"name": f"Kabupaten {r:03d}", "province": f"Provinsi {r % PROVINCES:02d}",
                 "created_at": NOW} for r in range(1, size.regencies)]
        await s.execute(insert(Regency), more)
        regency_rows = list(await s.execute(
            select(Regency.id, Regency.name).order_by(Regency.id)))
        assert regency_rows[0][0] == first.regency_id
        await s.execute(insert(Cycle), [
            {"regency_id": rid, "active": True, "name": f"KLA {verification.year}",
             "verification_date": verification, "timezone": ZONES[r % len(ZONES)],
             "last_score": Decimal(685), "target_predicate": "Nindya"}
            for r, (rid, _) in enumerate(regency_rows) if r > 0])
        cycle_of = {rid: cid for rid, cid in await s.execute(
            select(Cycle.regency_id, Cycle.id).where(Cycle.active.is_(True)))}
        members = []
        for r, (rid, _) in enumerate(regency_rows):
            for i in range(share(size.members, size.regencies, r)):
                # 0: the secretariat; 1..6: a coordinator per cluster; the rest members.
                role = ("secretariat" if i == 0 else
                        "coordinator" if i <= len(codes) else "member")
                members.append({
                    "regency_id": rid, "name": f"Anggota {r:03d}-{i:02d}",
                    "phone": f"+62812{r:04d}{i:04d}", "agency": f"Dinas {i % 37}",
                    "role": role, "reachable": True,
                    "telegram_user_id": TELEGRAM_ID_BASE + r * 100 + i
                    if i % 3 or role != "member" else None,
                    "created_at": NOW, "updated_at": NOW})
        await s.execute(insert(Member), members)
        ids_of: dict[int, list[int]] = {rid: [] for rid, _ in regency_rows}
        for mid, rid in await s.execute(select(Member.id, Member.regency_id)
                                        .order_by(Member.id)):
            ids_of[rid].append(mid)
        await s.execute(insert(MemberCluster), [
            {"member_id": mid, "cluster_code": codes[(n - 1) % len(codes)]}
            for ids in ids_of.values() for n, mid in enumerate(ids)])
        for r, (rid, _) in enumerate(regency_rows):
            await insert_tasks(s, cycle_of[rid], ids_of[rid], indicators,
                               share(size.tasks, size.regencies, r), rng, NOW)
    async with deps.db.engine.begin() as conn:  # fresh statistics, as autovacuum would give
        await conn.execute(text("ANALYZE"))
    deps.regencies.forget()  # it knew the one configured regency: read the 514 again
    step = size.regencies / ASKING
    askers = []
    for k in range(ASKING):
        r = int(k * step)
        rid, name = regency_rows[r]
        cluster = 1 + k % len(codes)  # coordinators of every cluster take part
        askers.append(Asker(TELEGRAM_ID_BASE + r * 100 + cluster, name))
    # Last, the warm-up: another coordinator of the first asker's regency (another scope,
    # so its chart is no one else's).
    first_asker = askers[0]
    askers.append(dataclasses.replace(first_asker,
                                      telegram_user_id=first_asker.telegram_user_id + 1))
    return askers, time.perf_counter() - started


@contextmanager
def counting_statements(deps: Deps) -> Iterator[list[int]]:
    """Count the SQL statements sent while inside (the count is the list's one item)."""
    counter = [0]

    def count(*_: Any) -> None:
        counter[0] += 1

    engine = deps.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def latencies(deps: Deps, askers: list[Asker]) -> tuple[list[float], list[float]]:
    """Every asker sends ``/status`` at once: each one's text and chart latency, in ms."""
    start = time.perf_counter()
    timings = [Timing(start) for _ in askers]

    async def ask(asker: Asker, timing: Timing) -> None:
        place = Place("telegram", str(asker.telegram_user_id))
        inbound = Inbound(who=Who.telegram(asker.telegram_user_id), place=place,
                          command="status")
        port = RecordingPort(timing)
        await dispatch(Turn(deps, port, inbound))
        # The text (in the asker's own regency), then the chart.
        assert len(port.sent) >= 2 and asker.regency in port.sent[0], port.sent

    await asyncio.gather(*(ask(a, t) for a, t in zip(askers, timings, strict=True)))
    return ([1000 * ((t.text_at or start) - start) for t in timings],
            [1000 * ((t.chart_at or start) - start) for t in timings])


def summary(texts: list[float], charts: list[float]) -> dict[str, float]:
    """Text p50/p95/max and when the last chart went out, in ms."""
    texts = sorted(texts)
    return {"p50": statistics.median(texts), "p95": texts[int(0.95 * (len(texts) - 1))],
            "max": texts[-1], "charts": max(charts)}


async def wave(deps: Deps, askers: list[Asker]) -> dict[str, float]:
    """Every asker sends ``/status`` at once; text p50/p95/max and charts done, in ms."""
    return summary(*await latencies(deps, askers))


# --- the same wave over two worker processes (the deployment shape at national size) ------

async def _fresh_worker(url: str, folder: str, warm_up: Asker) -> Deps:
    """A worker as ``bot.py run`` starts one: its own engine (its connections opened),
    chart process and caches; warmed up (the chart process) by one request outside the timed
    wave."""
    deps = await create_deps(settings_for(url, Path(folder)), ManualClock(NOW), migrate=False)
    await prepare(deps)
    deps.charts = StatusCharts()
    await wave(deps, [warm_up])
    freeze_startup_objects()  # as bot.py run does once started
    return deps


async def _timed_half(url: str, askers: list[Asker], warm_up: Asker, ready: Any, go: Any,
                      start_at: Any) -> tuple[list[float], list[float]]:
    with tempfile.TemporaryDirectory() as folder:
        deps = await _fresh_worker(url, folder, warm_up)
        try:
            ready.set()
            await asyncio.to_thread(go.wait)  # the other worker has warmed up too
            await asyncio.sleep(max(0.0, start_at.value - time.time()))
            return await latencies(deps, askers)
        finally:
            deps.charts.close()
            await deps.db.dispose()


def _second_worker(url: str, askers: list[Asker], warm_up: Asker, ready: Any, go: Any,
                   start_at: Any, results: Any) -> None:
    """The other worker process: its half of the wave, its latencies sent back."""
    results.put(asyncio.run(_timed_half(url, askers, warm_up, ready, go, start_at)))


async def two_workers(url: str, askers: list[Asker], warm_up: Asker) -> dict[str, float]:
    """The wave with the askers spread over two worker processes on the same database (as a
    load balancer spreads updates), both starting at the same moment."""
    context = multiprocessing.get_context("spawn")
    ready, go, results = context.Event(), context.Event(), context.Queue()
    start_at = context.Value("d", 0.0)
    other = context.Process(target=_second_worker, args=(
        url, askers[1::2], warm_up, ready, go, start_at, results))
    other.start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            deps = await _fresh_worker(url, folder, warm_up)
            try:
                await asyncio.to_thread(ready.wait)
                start_at.value = time.time() + 0.5
                go.set()
                await asyncio.sleep(start_at.value - time.time())
                texts, charts = await latencies(deps, askers[0::2])
            finally:
                deps.charts.close()
                await deps.db.dispose()
        other_texts, other_charts = await asyncio.to_thread(results.get, True, 300)
    finally:
        other.join(timeout=60)
    return summary(texts + other_texts, charts + other_charts)


async def explain(deps: Deps, asker: Asker) -> None:
    """EXPLAIN ANALYZE of every query one ``/status`` sends, as it sent them."""
    sent: list[tuple[str, Any]] = []

    def note(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, parameters))

    engine = deps.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        await wave(dataclasses.replace(deps, charts=NoCharts()), [asker])
    finally:
        event.remove(engine, "before_cursor_execute", note)
    async with deps.db.engine.connect() as conn:
        for statement, parameters in sent:
            print("--", " ".join(statement.split())[:150])
            plan = await conn.exec_driver_sql(f"EXPLAIN ANALYZE {statement}", parameters)
            for (line,) in plan:
                print("   ", line)


async def measure(size: Size, *, show_plans: bool = False) -> dict[str, float]:
    """Load ``size`` into a throw-away PostgreSQL database and time the waves."""
    from tests.dbs import PostgresSession

    pg = PostgresSession()
    await pg.create()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            deps = await create_deps(settings_for(pg.url, Path(tmp)), ManualClock(NOW),
                                     migrate=False)
            try:
                askers, load_s = await load(deps, size)
                await prepare(deps)  # as bot.py run does at start
                renders = 0

                async def counted_render(request: ChartRequest) -> bytes:
                    nonlocal renders
                    renders += 1
                    return await charts.pool.render(request)

                charts = deps.charts = StatusCharts(render=counted_render)
                if show_plans:
                    await explain(deps, askers[0])
                # Warm-up: imports, the chart process (as the first
                # /status of a day does), all outside the timed waves.
                askers, warm_up = askers[:-1], askers[-1:]
                await wave(deps, warm_up)
                freeze_startup_objects()  # as bot.py run does once started
                renders = 0
                cpu_started = time.process_time()
                with counting_statements(deps) as counted:
                    cold = await wave(deps, askers)
                # The bot process's own CPU (the chart process and PostgreSQL apart): what
                # the wave costs whatever else the machine is doing.
                cpu_ms = 1000 * (time.process_time() - cpu_started) / len(askers)
                statements = counted[0] / len(askers)
                cold_renders, renders = renders, 0
                cpu_started = time.process_time()
                with counting_statements(deps) as counted:
                    warm = await wave(deps, askers)
                warm_cpu_ms = 1000 * (time.process_time() - cpu_started) / len(askers)
                warm_statements = counted[0] / len(askers)
                # Another deployment's first wave: two fresh workers share the askers.
                pair = await two_workers(pg.url, askers, warm_up[0])
            finally:
                deps.charts.close()
                await deps.db.dispose()
    finally:
        await pg.drop()
    return {"load_s": load_s, "statements": statements, "cpu_ms": cpu_ms,
            "warm_statements": warm_statements, "warm_cpu_ms": warm_cpu_ms,
            "asking": len(askers),
            "p50": cold["p50"], "p95": cold["p95"], "max": cold["max"],
            "charts": cold["charts"], "renders": cold_renders, "warm_p95": warm["p95"],
            "warm_charts": warm["charts"], "warm_renders": renders,
            "two_p50": pair["p50"], "two_p95": pair["p95"], "two_charts": pair["charts"]}


def size_label(size: Size) -> str:
    return (f"{size.regencies} regencies, {size.members:,} members, {size.tasks:,} tasks, "
            "PostgreSQL")


def rows(quick: bool = False) -> list[tuple[str, str, str]]:
    """The bench table's rows (what, result, goal)."""
    size = Size.quick() if quick else Size.national()
    r = asyncio.run(measure(size))
    label = size_label(size)
    n = int(r["asking"])
    return [
        (f"/status load: {label}", f"{r['load_s']:.0f} s", "well under a few minutes"),
        (f"/status text p50 / p95, {n} coordinators of {n} regencies at once",
         f"{r['p50']:.0f} / {r['p95']:.0f} ms", f"p95 < {P95_GOAL_MS} ms"),
        ("/status charts done, cache empty (renders)",
         f"{r['charts']:,.0f} ms ({r['renders']:.0f})", "one render per regency, after the texts"),
        (f"/status text p50 / p95, the same {n} over two worker processes (first wave)",
         f"{r['two_p50']:.0f} / {r['two_p95']:.0f} ms", f"p95 < {P95_GOAL_MS} ms"),
        ("/status again, nothing changed: text p95 / charts done (renders)",
         f"{r['warm_p95']:.0f} / {r['warm_charts']:.0f} ms ({r['warm_renders']:.0f})",
         "0 renders"),
        ("/status SQL statements per request, first / again (the sender's regency is "
         "looked up once)", f"{r['statements']:.1f} / {r['warm_statements']:.1f}",
         "fixed (no query per member or task)"),
        ("/status bot CPU per request, first / again",
         f"{r['cpu_ms']:.1f} / {r['warm_cpu_ms']:.1f} ms", "the bot's own work"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_REGENCIES} regencies instead of {REGENCIES}")
    parser.add_argument("--explain", action="store_true",
                        help="print EXPLAIN ANALYZE of the queries of one /status")
    args = parser.parse_args()
    size = Size.quick() if args.quick else Size.national()
    r = asyncio.run(measure(size, show_plans=args.explain))
    print(size_label(size))
    for name, value in r.items():
        print(f"{name:>12}: {value:,.1f}")


if __name__ == "__main__":
    main()
