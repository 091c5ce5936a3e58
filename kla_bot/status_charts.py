"""The ``/status`` chart off the event loop: rendered in a separate process, cached, re-sent.

A render takes ~150 ms of CPU in matplotlib. On the event loop (or a thread, which holds the
GIL) it made every other reply wait, so 50 coordinators asking at once queued for seconds.
Here it runs in a small process pool (spawn context: no forked copy of the bot's event loop,
database pool or sockets) at a lower CPU priority, started at the first chart and shut down
at stop.

Charts are cached per (regency, scope, language) with the *data version* they were drawn
from: a digest of exactly what the chart shows (score, clusters' counts and points, days
left, names). The view is loaded for the text anyway, so the version costs no query and
changes whenever a number on the picture does — including the countdown at midnight, which a
``max(updated_at)`` would miss. The same version again is not rendered again: Telegram gets
the photo by the ``file_id`` its first send returned, WhatsApp the cached PNG bytes.
"""

from __future__ import annotations

import asyncio
import hashlib
import multiprocessing
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import date

from kla_bot.services.status_model import ClusterStatus, Score

POOL_WORKERS = 1  # renders are rare once cached; the other core stays the bot's
RENDER_NICENESS = 10  # the renders yield the CPU to the replies when both want it
CACHE_SIZE = 512  # (regency, scope, language) entries; one chart is ~100 kB


@dataclass(frozen=True)
class ChartRequest:
    """Everything the chart draws (picklable: it crosses to the pool's process)."""

    lang: str
    regency: str
    days_left: int
    verification_date: date
    score: Score
    clusters: tuple[ClusterStatus, ...]

    @property
    def version(self) -> str:
        """The data version: equal requests draw equal pictures (dataclass reprs are exact:
        Decimals and dates print their values)."""
        return hashlib.sha256(repr(self).encode()).hexdigest()


def _lower_priority() -> None:
    """The pool's processes start here: a picture may wait, a reply should not. On Linux a
    render runs only on a CPU nothing else wants (SCHED_IDLE): even niced, it took the core
    PostgreSQL answers the replies on; elsewhere it is niced."""
    import contextlib
    import os

    with contextlib.suppress(OSError, AttributeError):  # not everywhere (Windows, macOS)
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    with contextlib.suppress(OSError, AttributeError):
        os.nice(RENDER_NICENESS)


def render_request(request: ChartRequest) -> bytes:
    """The PNG of a request (runs in the pool's process; top level so it pickles)."""
    from kla_bot.chart import render_status_chart
    from kla_bot.i18n import translator

    return render_status_chart(regency=request.regency, days_left=request.days_left,
                               verification_date=request.verification_date,
                               score=request.score, clusters=request.clusters,
                               t=translator(request.lang))


Renderer = Callable[[ChartRequest], Awaitable[bytes]]
CacheKey = tuple[int, tuple[str, ...] | None, str]  # regency, scope's clusters, language


class ChartPool:
    """A small spawn-context process pool, started lazily."""

    def __init__(self, workers: int = POOL_WORKERS) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    async def render(self, request: ChartRequest) -> bytes:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._started(), render_request, request)
        except BrokenProcessPool:  # its process died (killed, out of memory): a new one, once
            self.shutdown()
            return await loop.run_in_executor(self._started(), render_request, request)

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers,
                                             mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_lower_priority)
        return self._pool

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


@dataclass
class Chart:
    """One cached chart: its data version, PNG, and Telegram's file id once it was sent."""

    version: str
    png: bytes
    telegram_file_id: str | None = None


class StatusCharts:
    """The chart cache in front of a renderer (the pool, or a test's counting one)."""

    def __init__(self, render: Renderer | None = None, size: int = CACHE_SIZE) -> None:
        self.pool = ChartPool()
        self._render = render or self.pool.render
        self._size = size
        self._charts: OrderedDict[CacheKey, Chart] = OrderedDict()
        self._busy: dict[CacheKey, asyncio.Lock] = {}

    async def chart(self, key: CacheKey, request: ChartRequest) -> Chart:
        """The chart for ``key`` at the request's data version: cached, or rendered once
        (coordinators asking at the same moment wait for the same render)."""
        version = request.version
        lock = self._busy.setdefault(key, asyncio.Lock())
        async with lock:
            cached = self._charts.get(key)
            if cached is None or cached.version != version:
                cached = Chart(version, await self._render(request))
                self._charts[key] = cached
            self._charts.move_to_end(key)
            while len(self._charts) > self._size:
                old, _ = self._charts.popitem(last=False)
                self._busy.pop(old, None)
        return cached

    def close(self) -> None:
        """Stop the pool's processes (at the bot's stop; a later chart starts it again)."""
        self.pool.shutdown()
