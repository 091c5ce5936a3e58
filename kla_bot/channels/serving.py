"""What ``run`` starts besides Telegram: the WhatsApp webhook, and — when there is no Telegram
application to do it — the start-up housekeeping and the daily reminder schedule.

With a Telegram token the Telegram application's start-up hooks schedule the reminders (PTB's
job queue), clean the evidence store and start the outbox sender. Without one (WhatsApp-only)
:func:`without_telegram` does the first two with APScheduler directly; the outbox sender is
still Telegram's, so queued messages wait for the channel-neutral sender.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]

from kla_bot import scheduler
from kla_bot.channels.whatsapp.runtime import WebhookServer, WhatsAppRuntime
from kla_bot.clock import ManualClock
from kla_bot.config import ConfigError, Settings, whatsapp_missing
from kla_bot.deps import Deps
from kla_bot.storage import EvidenceStore

log = logging.getLogger(__name__)


def check_whatsapp(settings: Settings) -> None:
    """A ``[whatsapp]`` section must be complete before ``run`` serves it."""
    if settings.whatsapp is not None:
        missing = whatsapp_missing(settings.whatsapp)
        if missing is not None:
            raise ConfigError("whatsapp_missing", key=missing)


@asynccontextmanager
async def whatsapp_served(deps: Deps) -> AsyncIterator[WhatsAppRuntime]:
    """The WhatsApp runtime (messages from before the restart handled first, in the
    background) and its webhook on ``[server] listen``, until the block ends."""
    settings = deps.settings.whatsapp
    assert settings is not None
    runtime = WhatsAppRuntime(deps, settings)
    server = WebhookServer(runtime.app, deps.settings.server.host, deps.settings.server.port)
    try:
        await server.start()
        await runtime.start()
        yield runtime
    finally:
        await server.stop()
        await runtime.stop()


@asynccontextmanager
async def without_telegram(deps: Deps) -> AsyncIterator[AsyncIOScheduler]:
    """The Telegram application's start-up chores, for a WhatsApp-only ``run``: stale temp
    files removed, reminders queued at each configured local time (and now, to catch up on
    a slot missed earlier today), the database closed at the end."""
    from handlers.remind import queue_due_now

    settings = deps.settings
    removed = EvidenceStore(Path(settings.storage.path)).remove_stale_temp(deps.clock.now())
    if removed:
        log.info("removed %d stale temporary evidence file(s)", removed)
    jobs = AsyncIOScheduler(timezone=settings.tz)
    for slot in scheduler.slots(settings):
        # Every day: the planner decides whether a day is a reminder day.
        jobs.add_job(queue_due_now, CronTrigger(hour=slot.hour, minute=slot.minute,
                                                timezone=settings.tz),
                     args=[deps], id=f"reminders:daily@{slot:%H:%M}",
                     misfire_grace_time=None, coalesce=True)
    try:
        if not isinstance(deps.clock, ManualClock):  # a test drives time itself
            jobs.start()
            await queue_due_now(deps)
        yield jobs
    finally:
        if jobs.running:
            jobs.shutdown(wait=False)
        await deps.file_source.aclose()
        await deps.db.dispose()
