"""Evidence intake of a 20 MB PDF: memory above idle, and time against a plain download.

Run by hand (not part of the test suite)::

    .venv/bin/python bench/intake_bench.py [--mb 20] [--rounds 5]

The Bot API stand-in runs in a SEPARATE process (``python -m kla_bot.standin``) and serves
the file over HTTP on 127.0.0.1. In this process the bot's intake path
(``intake_record.receive_file``: stream → temp file + SHA-256 → content check → atomic move →
one transaction recording Evidence, task state, audit and outbox) is timed against a plain
``httpx`` streaming download of the same URL into a file. Memory: resident set size sampled
every 2 ms from ``/proc/self/status`` (peak minus the idle level just before), and the
``tracemalloc`` peak of Python allocations during the intake.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from pypdf import PdfWriter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import kla_bot.services.intake_record as intake_record  # noqa: E402
from kla_bot.clock import ManualClock  # noqa: E402
from kla_bot.config import Settings  # noqa: E402
from kla_bot.deps import create_deps  # noqa: E402
from kla_bot.files import HttpFileSource  # noqa: E402
from kla_bot.models import Member, Task  # noqa: E402
from kla_bot.services.intake import IncomingFile  # noqa: E402
from kla_bot.storage import FolderStore, StoredFile, evidence_key  # noqa: E402

TOKEN = "123456:BENCH"
MB = 1024 * 1024


def make_pdf(path: Path, size: int) -> None:
    """A valid one-page PDF carrying ``size`` bytes of incompressible attachment."""
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_attachment("lampiran.bin", os.urandom(size - 4096))
    out = io.BytesIO()
    writer.write(out)
    path.write_bytes(out.getvalue())


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class PeakSampler:
    """Samples the resident set size in a thread while a block runs."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_kb())
            time.sleep(0.002)

    def __enter__(self) -> PeakSampler:
        self.peak = rss_kb()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_kb())


class TimedStore(FolderStore):
    """The real store, timing its part (download + hash + fsync + checks + facts + move)."""

    times: list[float]

    async def receive(self, chunks: Any, *, max_bytes: int, inspect: Any = None) -> StoredFile:
        start = time.perf_counter()
        try:
            return await super().receive(chunks, max_bytes=max_bytes, inspect=inspect)
        finally:
            self.times.append(time.perf_counter() - start)


async def start_standin(file_dir: Path) -> tuple[asyncio.subprocess.Process, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "kla_bot.standin", "--port", "0", "--token", TOKEN,
        "--file-dir", str(file_dir), cwd=ROOT, stdout=asyncio.subprocess.PIPE)
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode().split()
    assert line[0] == "STANDIN", line
    return process, line[1], line[2]


async def file_path_of(client: httpx.AsyncClient, base_url: str, pdf: Path) -> tuple[str, str]:
    """Send the PDF as a user through the control API; return (file_id, file_path)."""
    control = base_url.split("/bot")[0] + "/_control/"
    user = (await client.post(control + "add_user", json={"first_name": "Ani"})).json()
    await client.post(control + "send_document",
                      json={"user_id": user["result"]["id"], "path": str(pdf)})
    updates = (await client.post(f"{base_url}{TOKEN}/getUpdates", json={})).json()["result"]
    document = updates[-1]["message"]["document"]
    got = (await client.post(f"{base_url}{TOKEN}/getFile",
                             json={"file_id": document["file_id"]})).json()["result"]
    return document["file_id"], got["file_path"]


async def plain_download(url: str, target: Path) -> None:
    async with httpx.AsyncClient(timeout=60) as client, client.stream("GET", url) as response:
        response.raise_for_status()
        with target.open("wb") as out:
            async for chunk in response.aiter_bytes(256 * 1024):
                out.write(chunk)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=float, default=20.0, help="PDF size in MB (10^6 bytes)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kla-intake-bench-"))
    pdf = work / "bukti-20mb.pdf"
    make_pdf(pdf, int(args.mb * 1_000_000))
    size = pdf.stat().st_size
    process, base_url, base_file_url = await start_standin(work / "standin")
    try:
        async with httpx.AsyncClient(timeout=60) as client:
            file_id, file_path = await file_path_of(client, base_url, pdf)
        url = f"{base_file_url}{TOKEN}/{file_path}"
        settings = Settings().replace(
            bot={"token": TOKEN, "base_url": base_url, "base_file_url": base_file_url},
            database={"url": f"sqlite+aiosqlite:///{work / 'bench.db'}"},
            storage={"path": str(work / "evidence")},
            verification={"regency": "Kabupaten Banjar", "date": date(2025, 5, 16)})
        clock = ManualClock(datetime(2025, 5, 5, 1, 0, tzinfo=UTC))
        deps = await create_deps(settings, clock,
                                 file_source=HttpFileSource(base_file_url, TOKEN))
        now = clock.now()
        async with deps.db.transaction() as s:
            member = Member(regency_id=deps.workspace.regency_id, name="Ani",
                            phone="+6281200000001", agency="Dinkes", role="member",
                            created_at=now, updated_at=now)
            s.add(member)
            await s.flush()
            task_ids = []
            for i in range(2 * args.rounds):
                task = Task(cycle_id=deps.workspace.cycle_id, code=f"K3-{i}", code_key=f"K3-{i}",
                            indicator_number=17, title="Perbup KTR", points=Decimal(1),
                            assignee_id=member.id, due_date=date(2025, 5, 14), created_at=now,
                            updated_at=now)
                s.add(task)
                await s.flush()
                task_ids.append(task.id)
        store = TimedStore(Path(settings.storage.path))
        incoming = IncomingFile(file_id, "u1", "document", "bukti.pdf", size)

        async def intake(task_id: int) -> None:
            # A new task each round, and the stored copy removed, so each round does the
            # full work (a repeat of the same bytes would skip the move).
            receipt = await intake_record.receive_file(
                deps.db, deps.workspace, store, deps.file_source.stream(file_path),
                member_id=member.id, task_id=task_id, incoming=incoming,
                max_bytes=settings.max_file_bytes, now=now, today=date(2025, 5, 5))
            assert not receipt.duplicate and receipt.size == size
            store.discard(evidence_key(receipt.sha256))

        store.times = []
        await intake(task_ids[0])  # warm-up: imports, connections, code paths
        await plain_download(url, work / "plain.pdf")
        plain_times, intake_times, rss_over, py_peaks = [], [], [], []
        for i in range(1, args.rounds):
            start = time.perf_counter()
            await plain_download(url, work / "plain.pdf")
            plain_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            await intake(task_ids[i])
            intake_times.append(time.perf_counter() - start)
        store_times = store.times[1:len(intake_times) + 1]
        for i in range(args.rounds, 2 * args.rounds):
            # Memory rounds apart from the timed ones: tracemalloc slows Python down.
            idle = rss_kb()
            tracemalloc.start()
            with PeakSampler() as sampler:
                await intake(task_ids[i])
            py_peaks.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
            rss_over.append(sampler.peak - idle)
        await deps.db.dispose()
    finally:
        process.terminate()
        await process.wait()
    plain, mine = statistics.median(plain_times), statistics.median(intake_times)
    print(f"file: {size / MB:.1f} MiB PDF ({size} bytes); {len(intake_times)} timed rounds, "
          f"{len(rss_over)} memory rounds")
    print(f"plain httpx streaming download: median {plain * 1000:.0f} ms")
    print(f"intake (stream+hash+fsync+validate+move+record): median {mine * 1000:.0f} ms "
          f"({mine / plain:.2f}x the plain download)")
    stored = statistics.median(store_times)
    print(f"  of which the store (stream+hash+fsync+validate+facts+move): median "
          f"{stored * 1000:.0f} ms ({stored / plain:.2f}x); the recording transaction: median "
          f"{(mine - stored) * 1000:.0f} ms")
    print(f"peak RSS above idle during intake: max {max(rss_over) / 1024:.1f} MiB "
          f"(rounds: {', '.join(f'{r / 1024:.1f}' for r in rss_over)})")
    print(f"tracemalloc peak of Python allocations during intake: "
          f"{max(py_peaks) / MB:.2f} MiB")


if __name__ == "__main__":
    asyncio.run(main())
