"""A WhatsApp-only ``run`` still does what the Telegram application's start-up hooks do: the
daily reminder schedule (APScheduler, one job per configured local time) and the catch-up of a
reminder due now."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from kla_bot.channels.serving import without_telegram
from kla_bot.deps import Deps
from kla_bot.models import OutboxMessage
from tests.conftest import WITA
from tests.reminders.seed import add_member, add_task

MONDAY_8 = datetime(2025, 5, 5, 8, 0, tzinfo=WITA)


class StoppedClock:
    """The wall clock's kind (the bot acts by itself), stopped at one moment."""

    def now(self) -> datetime:
        return MONDAY_8


async def test_without_telegram_schedules_and_catches_up_the_reminders(deps: Deps) -> None:
    async with deps.db.transaction() as s:
        ani = await add_member(s, deps.workspace, MONDAY_8, name="Ani", chat_id=1001)
        await add_task(s, deps.workspace, MONDAY_8, code="K3-12", assignee=ani,
                       due=date(2025, 5, 14))
    deps.clock = StoppedClock()
    async with without_telegram(deps) as jobs:
        assert jobs.running
        scheduled = {job.id: job.trigger for job in jobs.get_jobs()}
        assert set(scheduled) == {f"reminders:daily@{t:%H:%M}"
                                  for t in deps.settings.reminder_times} | {"hari_h:tick"}
        async with deps.db.transaction() as s:
            kinds = [row.kind for row in await s.scalars(select(OutboxMessage))]
        assert kinds == ["reminder.digest"]
    assert not jobs.running
