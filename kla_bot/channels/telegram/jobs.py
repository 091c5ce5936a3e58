"""The features' jobs on python-telegram-bot's JobQueue (when Telegram runs; a WhatsApp-only
bot runs the same jobs on APScheduler directly, :mod:`kla_bot.channels.serving`)."""

from __future__ import annotations

from datetime import time
from typing import Any
from zoneinfo import ZoneInfo

from handlers import FEATURES
from handlers.registry import Job, job_zones
from kla_bot.channels.telegram.context import KlaApplication

# A late firing still runs (the job decides what is due now); missed firings run once.
JOB_OPTIONS: dict[str, Any] = {"misfire_grace_time": None, "coalesce": True}


async def schedule_jobs(app: KlaApplication) -> None:
    """Every feature's jobs, each trigger under its stable name: scheduling again (a restart,
    a test) replaces them, never adds."""
    queue = app.job_queue
    if queue is None:
        raise RuntimeError("the job queue is missing: install python-telegram-bot[job-queue]")
    deps = app.bot_data.deps
    zones = await job_zones(deps)
    for feature in FEATURES:
        for job in feature.jobs:
            for trigger in job.triggers(deps.settings, zones):
                for old in queue.get_jobs_by_name(trigger.name):
                    old.schedule_removal()
                callback = _runner(job, trigger.zone)
                when = trigger.when
                if isinstance(when, time):
                    # Every day of the week: the job decides whether a day is one to act on.
                    zone = ZoneInfo(trigger.zone or deps.settings.verification.timezone)
                    queue.run_daily(callback, time=when.replace(tzinfo=zone),
                                    days=tuple(range(7)), name=trigger.name,
                                    job_kwargs=JOB_OPTIONS)
                else:
                    queue.run_repeating(callback, interval=when, first=when, name=trigger.name,
                                        job_kwargs=JOB_OPTIONS)


def _runner(job: Job, zone: str | None) -> Any:
    async def run(context: Any) -> None:
        await job.run_in(context.application.bot_data.deps, zone)

    return run


async def catch_up(app: KlaApplication) -> None:
    """At start: run the jobs that catch up on a slot missed earlier today (every regency)."""
    deps = app.bot_data.deps
    for feature in FEATURES:
        for job in feature.jobs:
            if job.catch_up:
                await job.run_in(deps)
