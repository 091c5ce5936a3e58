"""CPU per update and reply latency of kla-bot beside a bare python-telegram-bot echo bot.

    PYTHONPATH=. .venv/bin/python bench/update_mix_bench.py [--quick] [--postgres]

Both bots run as they do in production: a separate process (``python bot.py run``, and
``bench/echo_bot.py``) polling the Bot API stand-in over HTTP on 127.0.0.1, with the same
rate limiter (``FloodAwareRateLimiter``). The stand-in and the simulated users live in this
process, so the bot process's CPU time (``/proc/<pid>/stat``: user + system, every thread)
is the bot's alone. kla-bot gets a database (SQLite by default) with one registered member
per simulated user, each with two open tasks.

Two update mixes, each at 1, 20 and 50 concurrent users (every user sends, waits for the
answer, sends again):

* ``/tugas``: the task list, again and again;
* ``mix``: ``/start``, ``/bantuan``, ``/tugas``, a press of "send evidence" and the upload of
  a small PDF (a new one each time), in turn.

Per mix and concurrency it prints the bot's CPU ms per update (its CPU time over the phase /
updates), the reply latency p50/p95 (from the update entering the stand-in to the bot's first
message in that chat) and the ratio kla-bot / echo. Cold start: from launching the process
(with a ``/start`` already waiting) to its answer.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from pypdf import PdfWriter
from sqlalchemy import func, insert, select

from kla_bot.clock import SystemClock
from kla_bot.config import load_settings
from kla_bot.db import Database
from kla_bot.deps import create_deps
from kla_bot.domain import OutboxState
from kla_bot.models import Member, MemberCluster, OutboxMessage, Task
from kla_bot.standin import BotApiStandin, ChatDriver, Event, StandinServer
from tests.e2e.process import TOKEN, telegram_env

UNSENT = (OutboxState.PENDING.value, OutboxState.SENDING.value)

ROOT = Path(__file__).resolve().parent.parent
CONCURRENCY = (1, 20, 50)
MIXES = ("/tugas", "mix")
MIX_LENGTH = 5  # /start, /bantuan, /tugas, a press, an upload
FIRST_USER_ID = 700_000
CAP = 60.0  # seconds: a ceiling for one answer or one start-up, never a sleep
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def pdf(label: str) -> bytes:
    """A small one-page PDF, different for each label (evidence is deduplicated by hash)."""
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_metadata({"/Title": label})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@dataclass
class Phase:
    """What one (bot, mix, concurrency) run measured."""

    bot: str
    mix: str
    users: int
    updates: int
    cpu_ms: float
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def cpu_per_update(self) -> float:
        return self.cpu_ms / self.updates

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[int(0.95 * (len(ordered) - 1))]


class Replies:
    """The moment of each chat's first bot message after a mark (a sent or edited message)."""

    def __init__(self, state: BotApiStandin) -> None:
        self.waiting: dict[int, asyncio.Future[float]] = {}
        self.activity = asyncio.Event()
        state.subscribe(self._on_event)

    def expect(self, chat_id: int) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[chat_id] = future
        return future

    def _on_event(self, event: Event) -> None:
        self.activity.set()
        if event.kind not in ("sent", "edited") or event.chat_id is None:
            return
        future = self.waiting.pop(event.chat_id, None)
        if future is not None and not future.done():
            future.set_result(time.perf_counter())

    async def quiet(self, for_seconds: float = 0.4) -> None:
        """Until the bot has sent nothing for a moment (a phase's last follow-ups)."""
        while True:
            self.activity.clear()
            try:
                await asyncio.wait_for(self.activity.wait(), for_seconds)
            except TimeoutError:
                return


@dataclass
class Bench:
    state: BotApiStandin
    replies: Replies
    chats: list[ChatDriver]
    tasks: dict[int, list[int]]  # user id -> their task ids (kla-bot's "send evidence" data)
    uploads: int = 0

    def step(self, mix: str, chat: ChatDriver, n: int) -> None:
        """The n-th action of this user in ``mix``."""
        if mix == "/tugas":
            chat.send("/tugas")
            return
        kind = n % MIX_LENGTH
        if kind == 0:
            chat.send("/start")
        elif kind == 1:
            chat.send("/bantuan")
        elif kind == 2:
            chat.send("/tugas")
        elif kind == 3:
            task = self.tasks[chat.user.id][n % 2]
            chat.press_data(chat.last(), f"tk:send:{task}")
        else:
            self.uploads += 1
            chat.send_document(pdf(f"bench {self.uploads}"), file_name=f"bukti-{n}.pdf")

    async def act(self, mix: str, chat: ChatDriver, n: int) -> float:
        """One action, and the ms until the bot's first message in reply."""
        answer = self.replies.expect(chat.chat_id)
        start = time.perf_counter()
        self.step(mix, chat, n)
        return 1000 * (await asyncio.wait_for(answer, CAP) - start)

    async def phase(self, bot: str, pid: int, mix: str, users: int, updates: int) -> Phase:
        """``updates`` actions spread over ``users`` users acting at once."""
        cycle = 1 if mix == "/tugas" else MIX_LENGTH
        each = cycle * max(1, round(updates / users / cycle))  # whole turns of the mix
        chats = self.chats[:users]
        await self.replies.quiet()
        before = cpu_seconds(pid)
        latencies: list[float] = []

        async def user(chat: ChatDriver) -> None:
            for n in range(each):
                latencies.append(await self.act(mix, chat, n))

        await asyncio.gather(*(user(c) for c in chats))
        await self.replies.quiet()
        return Phase(bot, mix, users, each * users, 1000 * (cpu_seconds(pid) - before),
                     latencies)


async def seed(url: str, folder: Path, users: int) -> dict[int, list[int]]:
    """One registered member (Telegram user) per simulated user, two open tasks each."""
    settings = load_settings(ROOT / "config.example.toml", env={}).replace(
        bot={"token": TOKEN}, database={"url": url}, storage={"path": str(folder / "evidence")})
    deps = await create_deps(settings, SystemClock())
    now = datetime.now(UTC)
    due = date.today() + timedelta(days=20)
    try:
        async with deps.db.transaction() as s:
            await s.execute(insert(Member), [
                {"regency_id": deps.workspace.regency_id, "name": f"Anggota {i:03d}",
                 "phone": f"+62812{i:08d}", "agency": "Dinas Kesehatan", "role": "member",
                 "reachable": True, "telegram_user_id": FIRST_USER_ID + i,
                 "chat_id": FIRST_USER_ID + i, "registered_at": now, "created_at": now,
                 "updated_at": now} for i in range(users)])
            ids = list(await s.scalars(select(Member.id).order_by(Member.id)))
            await s.execute(insert(MemberCluster),
                            [{"member_id": m, "cluster_code": "K3"} for m in ids])
            tasks: dict[int, list[int]] = {}
            for i, member_id in enumerate(ids):
                for n, indicator in enumerate((12, 17)):
                    code = f"K3-{indicator}-{i}"
                    task = Task(cycle_id=deps.workspace.cycle_id, code=code,
                                code_key=code.upper(), indicator_number=indicator,
                                title=f"Dokumen pendukung {n + 1}", points=Decimal("1.5"),
                                assignee_id=member_id, due_date=due, state="open",
                                created_at=now, updated_at=now)
                    s.add(task)
                    await s.flush()
                    tasks.setdefault(FIRST_USER_ID + i, []).append(task.id)
        return tasks
    finally:
        await deps.db.dispose()


async def launch(bench: Bench, argv: list[str], env: dict[str, str], cwd: Path,
                 log: Path) -> tuple[asyncio.subprocess.Process, float]:
    """Start a bot with a /start already waiting; the process and its cold start in ms."""
    chat = bench.chats[0]
    answer = bench.replies.expect(chat.chat_id)
    chat.send("/start")
    start = time.perf_counter()
    with log.open("ab") as out:
        process = await asyncio.create_subprocess_exec(*argv, cwd=cwd, env=env, stdout=out,
                                                       stderr=out)
    try:
        return process, 1000 * (await asyncio.wait_for(answer, CAP) - start)
    except TimeoutError:
        process.kill()
        tail = (await asyncio.to_thread(log.read_text))[-3000:]
        raise RuntimeError(f"no answer from {argv}:\n{tail}") from None


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 20)
        except TimeoutError:
            process.kill()
            await process.wait()


@dataclass
class Results:
    phases: list[Phase]
    cold_ms: dict[str, float]
    idle_cpu_ms_per_s: dict[str, float]

    def phase(self, bot: str, mix: str, users: int) -> Phase:
        return next(p for p in self.phases
                    if (p.bot, p.mix, p.users) == (bot, mix, users))


async def outbox_drained(database: str, cap: float = 900.0) -> None:
    """Until the bot's outbox has nothing left to send: the review cards a phase's uploads
    queued go out paced (one a second per coordinator) long after the phase, and their CPU
    must not be counted in the next phase's updates."""
    db = Database(database)
    try:
        waited = 0.0
        while waited < cap:
            async with db.snapshot() as session:
                left = await session.scalar(select(func.count()).select_from(OutboxMessage)
                                            .where(OutboxMessage.state.in_(UNSENT)))
            if not left:
                return
            await asyncio.sleep(0.5)
            waited += 0.5
    finally:
        await db.dispose()


async def idle_cpu(pid: int, seconds: float) -> float:
    """A bot's CPU ms per second while nobody writes to it (its background work)."""
    before, started = cpu_seconds(pid), time.perf_counter()
    await asyncio.sleep(seconds)
    return 1000 * (cpu_seconds(pid) - before) / (time.perf_counter() - started)


async def run(*, quick: bool = False, url: str | None = None,
              report: Callable[[str], None] = lambda line: None) -> Results:
    """Both bots, both mixes, every concurrency; ``report`` hears each phase as it ends.

    Each bot has a stand-in of its own and both stay up, so every (mix, concurrency) runs
    the echo bot's phase and right after it kla-bot's: a load change on the machine hits
    both sides of a ratio alike."""
    per_phase = 150 if quick else 300
    users = max(CONCURRENCY)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        database = url or f"sqlite+aiosqlite:///{folder / 'kla.db'}"
        tasks = await seed(database, folder, users)
        phases: list[Phase] = []
        cold: dict[str, float] = {}
        idle: dict[str, float] = {}
        bots: dict[str, tuple[Bench, int]] = {}
        async with AsyncExitStack() as stack:
            for bot in ("echo", "kla-bot"):
                state = BotApiStandin(token=TOKEN, file_dir=folder / f"{bot}-files")
                stack.callback(state.close)
                server = await stack.enter_async_context(StandinServer(state))
                chats = [state.add_user(f"Anggota {i:03d}", user_id=FIRST_USER_ID + i,
                                        language_code="id").private for i in range(users)]
                bench = Bench(state, Replies(state), chats, tasks)
                argv = ([sys.executable, str(ROOT / "bot.py"), "run"] if bot == "kla-bot"
                        else [sys.executable, str(ROOT / "bench" / "echo_bot.py"), TOKEN,
                              server.base_url, server.base_file_url])
                env = telegram_env(folder, database, KLA_BOT_BOT_BASE_URL=server.base_url,
                                   KLA_BOT_BOT_BASE_FILE_URL=server.base_file_url,
                                   PYTHONPATH=str(ROOT))
                process, cold[bot] = await launch(bench, argv, env, folder,
                                                  folder / f"{bot}.log")
                stack.push_async_callback(stop, process)
                bots[bot] = (bench, process.pid)
                report(f"{bot}: cold start {cold[bot]:.0f} ms")
            for bot, (bench, pid) in bots.items():  # warm-up: every user once through a mix
                for mix in MIXES:
                    await bench.phase(bot, pid, mix, users, users * MIX_LENGTH)
                await bench.replies.quiet()
                await outbox_drained(database)
                idle[bot] = await idle_cpu(pid, 1.0 if quick else 3.0)
            for mix in MIXES:
                for concurrent in CONCURRENCY:
                    for bot, (bench, pid) in bots.items():
                        await outbox_drained(database)
                        phase = await bench.phase(bot, pid, mix, concurrent, per_phase)
                        phases.append(phase)
                        report(f"{bot:8} {mix:7} {concurrent:3} users: "
                               f"{phase.cpu_per_update:6.2f} ms CPU/update, "
                               f"p50 {phase.p50:6.0f} ms, p95 {phase.p95:6.0f} ms")
        return Results(phases, cold, idle)


def table(results: Results) -> list[tuple[str, str, str]]:
    """(what, result, goal) rows: CPU and latency per mix and concurrency, then cold start."""
    rows = []
    for mix in MIXES:
        for users in CONCURRENCY:
            kla, echo = results.phase("kla-bot", mix, users), results.phase("echo", mix, users)
            ratio = kla.cpu_per_update / echo.cpu_per_update
            goal = "≤ 2x echo" if mix == "/tugas" else "(reported)"
            rows.append((
                f"{mix} at {users} users: CPU ms/update kla-bot / echo (ratio); "
                f"reply p50/p95 ms kla-bot | echo",
                f"{kla.cpu_per_update:.2f} / {echo.cpu_per_update:.2f} ({ratio:.2f}x); "
                f"{kla.p50:.0f}/{kla.p95:.0f} | {echo.p50:.0f}/{echo.p95:.0f}", goal))
    rows.append(("cold start to the first update handled, ms kla-bot | echo",
                 f"{results.cold_ms['kla-bot']:.0f} | {results.cold_ms['echo']:.0f}",
                 "(reported)"))
    rows.append(("idle CPU ms per second kla-bot | echo (jobs, outbox sender, polling)",
                 f"{results.idle_cpu_ms_per_s['kla-bot']:.1f} | "
                 f"{results.idle_cpu_ms_per_s['echo']:.1f}", "(reported)"))
    return rows


def rows(quick: bool = False) -> list[tuple[str, str, str]]:
    """Run the benchmark (SQLite); its table rows for the one-command runner."""
    return table(asyncio.run(run(quick=quick)))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="150 updates a phase, not 300")
    parser.add_argument("--postgres", action="store_true",
                        help="kla-bot on a throw-away database on the local PostgreSQL")
    args = parser.parse_args()
    if args.postgres:
        from tests.dbs import PostgresSession

        pg = PostgresSession()
        await pg.create()
        try:
            results = await run(quick=args.quick, url=pg.url, report=print)
        finally:
            await pg.drop()
    else:
        results = await run(quick=args.quick, report=print)
    print()
    print("| mix, users | CPU ms/update kla-bot | echo | ratio | p50 / p95 ms kla-bot "
          "| p50 / p95 ms echo |")
    print("|---|---:|---:|---:|---:|---:|")
    for mix in MIXES:
        for users in CONCURRENCY:
            kla, echo = results.phase("kla-bot", mix, users), results.phase("echo", mix, users)
            print(f"| {mix}, {users} | {kla.cpu_per_update:.2f} | {echo.cpu_per_update:.2f} | "
                  f"{kla.cpu_per_update / echo.cpu_per_update:.2f}x | "
                  f"{kla.p50:.0f} / {kla.p95:.0f} | {echo.p50:.0f} / {echo.p95:.0f} |")
    print(f"\ncold start to the first update handled: kla-bot {results.cold_ms['kla-bot']:.0f} "
          f"ms, echo {results.cold_ms['echo']:.0f} ms")
    print(f"idle CPU: kla-bot {results.idle_cpu_ms_per_s['kla-bot']:.1f} ms/s, echo "
          f"{results.idle_cpu_ms_per_s['echo']:.1f} ms/s")


if __name__ == "__main__":
    asyncio.run(main())
