"""What ``run`` starts besides Telegram's application: the webhook server (WhatsApp, and
Telegram by webhook), the scheduler leader, and — when there is no Telegram application to do
it — the start-up housekeeping and the daily reminder schedule.

With a Telegram token the Telegram application's start-up hooks schedule the reminders (PTB's
job queue), clean the evidence store and start the outbox sender. Without one (WhatsApp-only)
:func:`without_telegram` does the first two with APScheduler directly, and
:func:`webhooks_served` runs a WhatsApp-only outbox sender. With Telegram, WhatsApp joins the
Telegram application's sender (one sender, one claim loop, each row to its member's channel).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import time
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount

from kla_bot.channels.whatsapp.runtime import WebhookServer, WhatsAppRuntime
from kla_bot.clock import ManualClock
from kla_bot.config import ConfigError, Settings, webhook_path, whatsapp_missing
from kla_bot.deps import Deps
from kla_bot.leader import AdvisoryLeader, bot_identity, is_postgres
from kla_bot.single_instance import polls_telegram

if TYPE_CHECKING:
    from kla_bot.channels.telegram.context import KlaApplication

log = logging.getLogger(__name__)


def check_whatsapp(settings: Settings) -> None:
    """A ``[whatsapp]`` section must be complete before ``run`` serves it."""
    if settings.whatsapp is not None:
        missing = whatsapp_missing(settings.whatsapp)
        if missing is not None:
            raise ConfigError("whatsapp_missing", key=missing)


@asynccontextmanager
async def webhooks_served(deps: Deps, app: KlaApplication | None = None
                          ) -> AsyncIterator[WhatsAppRuntime | None]:
    """One webhook server on ``[server] listen`` for every channel that takes posts, until the
    block ends: Telegram's updates at the path of ``[bot] webhook_url`` when it is set (and
    ``app`` runs), then Telegram is told the URL; WhatsApp's webhook when ``[whatsapp]`` is
    there, with its runtime (messages from before the restart handled first, in the
    background) and its outbox sending — by ``app``'s sender when there is one, else by a
    WhatsApp-only sender run here."""
    from kla_bot.channels.telegram.webhook import TelegramInbox, set_webhook, telegram_route
    from kla_bot.channels.whatsapp.outbox import serve_outbox

    bot = deps.settings.bot
    telegram = app is not None and bool(bot.webhook_url)
    routes: list[BaseRoute] = []
    if telegram:
        assert app is not None
        routes.append(telegram_route(app, secret=bot.webhook_secret, path=webhook_path(bot)))
    runtime = None
    if deps.settings.whatsapp is not None:
        runtime = WhatsAppRuntime(deps, deps.settings.whatsapp)
        routes.append(Mount("", app=runtime.app))  # last: the rest of the paths are its own
    server = WebhookServer(Starlette(routes=routes), deps.settings.server.host,
                           deps.settings.server.port)
    sender = None
    try:
        await server.start()
        if telegram:
            assert app is not None
            TelegramInbox.of(app).sweeper.start()  # updates a stopped worker left
            await set_webhook(app, url=bot.webhook_url, secret=bot.webhook_secret)
        if runtime is not None:
            await runtime.start()
            sender = serve_outbox(deps, runtime.client, app)
            if app is None and not isinstance(deps.clock, ManualClock):  # tests drain by hand
                sender.start()
        yield runtime
    finally:
        await server.stop()
        if telegram:
            assert app is not None
            await TelegramInbox.of(app).sweeper.stop()
        if sender is not None and app is None:
            await sender.stop()
        if runtime is not None:
            await runtime.stop()


@asynccontextmanager
async def led(deps: Deps) -> AsyncIterator[None]:
    """The scheduler leader of this worker, until the block ends. On PostgreSQL several
    workers may run: the first try happens here, before the start-up hooks, so a lone worker
    leads at once; the others keep trying (:mod:`kla_bot.leader`), and whoever takes over
    catches up on the reminders due now. On SQLite the one worker leads."""
    from handlers.remind import queue_due_now

    if not is_postgres(deps.settings.database.url):
        yield
        return
    leader = AdvisoryLeader(deps.settings.database.url, bot_identity(deps.settings),
                            on_elected=lambda: queue_due_now(deps))
    deps.leader = leader
    try:
        await leader.attempt()
        # Worth a line where several workers run (a polling bot is one process: it leads).
        level = logging.DEBUG if polls_telegram(deps.settings) else logging.INFO
        log.log(level, "scheduler: %s", "this worker leads" if leader.leading
                else "another worker leads; standing by")
        leader.start()
        yield
    finally:
        await leader.stop()


@asynccontextmanager
async def without_telegram(deps: Deps) -> AsyncIterator[AsyncIOScheduler]:
    """What the Telegram application does at start and stop, for a WhatsApp-only ``run``:
    every feature's start-up hook (stale temp files removed …), its jobs on APScheduler —
    the reminders at each configured local time, caught up now for a slot missed earlier
    today; the hari H tick — and at the end the stop hooks and the database closed."""
    from handlers import FEATURES
    from handlers.registry import job_zones

    for feature in FEATURES:
        if feature.on_start is not None:
            await feature.on_start(deps)
    jobs = AsyncIOScheduler(timezone=deps.settings.tz)
    zones = await job_zones(deps)
    for feature in FEATURES:
        for job in feature.jobs:
            for trigger in job.triggers(deps.settings, zones):
                when = trigger.when
                fires = (CronTrigger(hour=when.hour, minute=when.minute,
                                     timezone=trigger.zone or deps.settings.tz)
                         if isinstance(when, time)
                         else IntervalTrigger(seconds=when.total_seconds()))
                jobs.add_job(job.run_in, fires, args=[deps, trigger.zone], id=trigger.name,
                             misfire_grace_time=None, coalesce=True)
    try:
        if not isinstance(deps.clock, ManualClock):  # a test drives time itself
            jobs.start()
            for feature in FEATURES:
                for job in feature.jobs:
                    if job.catch_up:
                        await job.run_in(deps)
        yield jobs
    finally:
        if jobs.running:
            jobs.shutdown(wait=False)
        for feature in reversed(FEATURES):
            if feature.on_stop is not None:
                await feature.on_stop(deps)
        await deps.file_source.aclose()
        await deps.db.dispose()
