"""What ``run`` starts besides Telegram: the WhatsApp webhook, and — when there is no Telegram
application to do it — the start-up housekeeping and the daily reminder schedule.

With a Telegram token the Telegram application's start-up hooks schedule the reminders (PTB's
job queue), clean the evidence store and start the outbox sender. Without one (WhatsApp-only)
:func:`without_telegram` does the first two with APScheduler directly, and
:func:`whatsapp_served` runs a WhatsApp-only outbox sender. With Telegram, WhatsApp joins the
Telegram application's sender (one sender, one claim loop, each row to its member's channel).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]

from kla_bot import scheduler
from kla_bot.channels.whatsapp.runtime import WebhookServer, WhatsAppRuntime
from kla_bot.clock import ManualClock
from kla_bot.config import ConfigError, Settings, whatsapp_missing
from kla_bot.deps import Deps

log = logging.getLogger(__name__)


def check_whatsapp(settings: Settings) -> None:
    """A ``[whatsapp]`` section must be complete before ``run`` serves it."""
    if settings.whatsapp is not None:
        missing = whatsapp_missing(settings.whatsapp)
        if missing is not None:
            raise ConfigError("whatsapp_missing", key=missing)


@asynccontextmanager
async def whatsapp_served(deps: Deps, app: object | None = None
                          ) -> AsyncIterator[WhatsAppRuntime]:
    """The WhatsApp runtime (messages from before the restart handled first, in the
    background), its webhook on ``[server] listen`` and its outbox sending, until the block
    ends. ``app``: the running Telegram application, whose outbox sender then serves
    WhatsApp too; without one a WhatsApp-only sender runs here."""
    from kla_bot.channels.whatsapp.outbox import serve_outbox

    settings = deps.settings.whatsapp
    assert settings is not None
    runtime = WhatsAppRuntime(deps, settings)
    server = WebhookServer(runtime.app, deps.settings.server.host, deps.settings.server.port)
    sender = None
    try:
        await server.start()
        await runtime.start()
        sender = serve_outbox(deps, runtime.client, app)
        if app is None and not isinstance(deps.clock, ManualClock):  # tests drain by hand
            sender.start()
        yield runtime
    finally:
        await server.stop()
        if sender is not None and app is None:
            await sender.stop()
        await runtime.stop()


@asynccontextmanager
async def without_telegram(deps: Deps) -> AsyncIterator[AsyncIOScheduler]:
    """The Telegram application's start-up chores, for a WhatsApp-only ``run``: stale temp
    files removed, reminders queued at each configured local time (and now, to catch up on
    a slot missed earlier today), the database closed at the end."""
    from handlers.hari_h import TICK_EVERY, tick_now
    from handlers.remind import queue_due_now

    settings = deps.settings
    removed = deps.store.remove_stale_temp(deps.clock.now())
    if removed:
        log.info("removed %d stale temporary evidence file(s)", removed)
    jobs = AsyncIOScheduler(timezone=settings.tz)
    for slot in scheduler.slots(settings):
        # Every day: the planner decides whether a day is a reminder day.
        jobs.add_job(queue_due_now, CronTrigger(hour=slot.hour, minute=slot.minute,
                                                timezone=settings.tz),
                     args=[deps], id=f"reminders:daily@{slot:%H:%M}",
                     misfire_grace_time=None, coalesce=True)
    jobs.add_job(tick_now, IntervalTrigger(seconds=TICK_EVERY.total_seconds()), args=[deps],
                 id="hari_h:tick", misfire_grace_time=None, coalesce=True)
    try:
        if not isinstance(deps.clock, ManualClock):  # a test drives time itself
            jobs.start()
            await queue_due_now(deps)
        yield jobs
    finally:
        if jobs.running:
            jobs.shutdown(wait=False)
        await deps.file_source.aclose()
        deps.charts.close()
        await deps.db.dispose()
