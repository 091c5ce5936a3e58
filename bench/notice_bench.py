"""The coordinator's upload notice for a 19 MB PDF: bytes uploaded, memory and time per notice,
sent by Telegram file id (what the bot does) against uploading the stored file (the fallback).

Run by hand (not part of the test suite)::

    .venv/bin/python bench/notice_bench.py [--mb 20] [--notices 5]

The Bot API stand-in runs in a SEPARATE process (``python -m kla_bot.standin``), so its copy
of an upload is not counted here. A member sends the PDF there; the benchmark takes the file id
the bot would have recorded, queues ``evidence.submitted`` notices to a coordinator and lets the
real outbox sender (the production Application over HTTP) deliver them one at a time. Per
notice: file bytes the stand-in received (its ``uploaded_bytes`` counter), the resident set
size above the level just before (sampled every 2 ms), the ``tracemalloc`` peak, and the time.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import statistics
import tempfile
import time
import tracemalloc
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import httpx
from intake_bench import MB, TOKEN, PeakSampler, file_path_of, make_pdf, rss_kb, start_standin

from kla_bot.channels.telegram.application import build_application
from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.channels.telegram.sender import drain
from kla_bot.clock import ManualClock
from kla_bot.config import Settings
from kla_bot.deps import Deps, create_deps
from kla_bot.services import outbox
from kla_bot.services.outbox_kinds import EvidenceSubmitted
from kla_bot.storage import evidence_key, evidence_path


async def uploaded_bytes(client: httpx.AsyncClient, control: str) -> int:
    stats = (await client.post(control + "stats", json={})).json()["result"]
    return int(stats["uploaded_bytes"])


async def one_notice(app: KlaApplication, deps: Deps, n: int, chat_id: int,
                     payload: EvidenceSubmitted) -> None:
    async with deps.db.transaction() as s:
        await outbox.enqueue(s, dedupe_key=f"notice:{n}", chat_id=chat_id, recipient_id=None,
                             payload=payload, now=deps.clock.now())
    assert await drain(app) == 1


async def measure(app: KlaApplication, deps: Deps, client: httpx.AsyncClient, control: str,
                  chat_id: int, payload: EvidenceSubmitted, start: int,
                  count: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"bytes": [], "rss": [], "py": [], "ms": []}
    for n in range(start, start + count):
        before = await uploaded_bytes(client, control)
        began = time.perf_counter()
        await one_notice(app, deps, n, chat_id, payload)
        out["ms"].append((time.perf_counter() - began) * 1000)
        out["bytes"].append(await uploaded_bytes(client, control) - before)
        idle = rss_kb()  # memory in its own round: tracemalloc slows Python down
        tracemalloc.start()
        with PeakSampler() as sampler:
            await one_notice(app, deps, n + 1000, chat_id, payload)
        out["py"].append(tracemalloc.get_traced_memory()[1] / MB)
        tracemalloc.stop()
        out["rss"].append((sampler.peak - idle) / 1024)
    return out


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=float, default=20.0, help="PDF size in MB (10^6 bytes)")
    parser.add_argument("--notices", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kla-notice-bench-"))
    pdf = work / "bukti-20mb.pdf"
    make_pdf(pdf, int(args.mb * 1_000_000))
    data = pdf.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    process, base_url, base_file_url = await start_standin(work / "standin")
    control = base_url.split("/bot")[0] + "/_control/"
    try:
        async with httpx.AsyncClient(timeout=60) as client:
            file_id, _ = await file_path_of(client, base_url, pdf)
            coordinator = (await client.post(control + "add_user", json={
                "first_name": "Ahmad"})).json()["result"]["id"]
            await client.post(control + "send", json={"user_id": coordinator, "text": "/start"})
            settings = Settings().replace(
                bot={"token": TOKEN, "base_url": base_url, "base_file_url": base_file_url},
                database={"url": f"sqlite+aiosqlite:///{work / 'bench.db'}"},
                storage={"path": str(work / "evidence")},
                verification={"regency": "Kabupaten Banjar", "date": date(2025, 5, 16)})
            stored = evidence_path(Path(settings.storage.path), sha)
            stored.parent.mkdir(parents=True)
            stored.write_bytes(data)
            del data
            clock = ManualClock(datetime(2025, 5, 5, 1, 0, tzinfo=UTC))
            deps = await create_deps(settings, clock)
            app = build_application(deps, rate_limit=False)
            await app.initialize()
            payload = EvidenceSubmitted(
                evidence_id=1, task_code="K3-17a", task_title="Perda Kawasan Tanpa Rokok",
                indicator="17. KTR", cluster="K3", points=Decimal("1.5"), member_name="Rina",
                agency="Dinas Kesehatan", file_name="bukti.pdf", bytes=pdf.stat().st_size,
                sha256=sha, mime="application/pdf", storage_key=evidence_key(sha),
                file_id=file_id, file_kind="document")
            try:
                await one_notice(app, deps, 9999, coordinator, payload)  # warm-up
                by_id = await measure(app, deps, client, control, coordinator, payload, 0,
                                      args.notices)
                upload = await measure(app, deps, client, control, coordinator,
                                       replace(payload, file_id=None), 100, args.notices)
            finally:
                await app.shutdown()
                await deps.db.dispose()
    finally:
        process.terminate()
        await process.wait()
    print(f"file: {pdf.stat().st_size / MB:.1f} MiB PDF; {args.notices} notices each way")
    print("| | by file id | uploaded from the store |")
    print("|---|---:|---:|")
    for key, label, fmt in (("bytes", "file bytes uploaded per notice", "{:,.0f}"),
                            ("rss", "peak RSS above idle, MiB (max)", "{:.1f}"),
                            ("py", "tracemalloc peak, MiB (max)", "{:.2f}"),
                            ("ms", "time per notice, ms (median)", "{:.0f}")):
        pick = statistics.median if key == "ms" else max
        print(f"| {label} | {fmt.format(pick(by_id[key]))} | "
              f"{fmt.format(pick(upload[key]))} |")


if __name__ == "__main__":
    asyncio.run(main())
