"""The daily jobs in the JobQueue (local times), a job run, and a coordinator's /ingatkan."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.channels.telegram.jobs import schedule_jobs
from kla_bot.channels.telegram.sender import drain
from kla_bot.clock import ManualClock
from kla_bot.deps import Deps
from kla_bot.standin import BotApiStandin, deliver
from tests.conftest import WITA
from tests.reminders.helpers import (
    IGNORE_PTB_DEPRECATION,
    app,
    outbox_rows,
    stand,
    started_user,
)
from tests.reminders.seed import add_member, add_task

__all__ = ["app", "stand"]
pytestmark = IGNORE_PTB_DEPRECATION


async def _team(deps: Deps, stand: BotApiStandin) -> None:
    """Ani (K3) and Budi (K5) have open tasks; Citra coordinates K3; Dewi is the secretariat."""
    now, ws = deps.clock.now(), deps.workspace
    for chat, name in [(1001, "Ani"), (1002, "Budi"), (2001, "Citra"), (3001, "Dewi"),
                       (1003, "Eko")]:
        started_user(stand, chat, name)
    async with deps.db.transaction() as s:
        ani = await add_member(s, ws, now, name="Ani", chat_id=1001)
        budi = await add_member(s, ws, now, name="Budi", chat_id=1002, clusters=("K5",))
        await add_member(s, ws, now, name="Citra", role="coordinator", chat_id=2001)
        await add_member(s, ws, now, name="Dewi", role="secretariat", chat_id=3001,
                         clusters=())
        await add_member(s, ws, now, name="Eko", chat_id=1003)
        due = deps.settings.verification.date - timedelta(days=2)
        await add_task(s, ws, now, code="K3-17a", assignee=ani, due=due)
        await add_task(s, ws, now, code="K5-21", assignee=budi, due=due, cluster="K5")


async def test_daily_jobs_fire_at_local_times_on_every_day(deps: Deps,
                                                          app: KlaApplication) -> None:
    settings = deps.settings.replace(reminders={"daily_at": ["13:00", "08:00"]})
    deps.settings = settings
    await schedule_jobs(app)  # at start-up already; again, as after a restart: the stable names
    # replace, never add (with a ManualClock there was no catch-up, no sender loop)
    assert app.job_queue is not None
    jobs = sorted((j for j in app.job_queue.jobs() if j.name and j.name.startswith(
        "reminders:daily@")), key=lambda j: j.name or "")
    assert [j.name for j in jobs] == ["reminders:daily@08:00", "reminders:daily@13:00"]
    for job, at in zip(jobs, (time(8), time(13)), strict=True):
        assert job.next_t is not None
        assert job.next_t.astimezone(WITA).time() == at
        assert job.next_t - datetime.now(WITA) <= timedelta(days=1)
        # every day: countdown days fall on weekends too; the planner decides the rest
        assert "day_of_week='sun,mon,tue,wed,thu,fri,sat'" in str(job.job.trigger)
        assert job.job.coalesce is True


async def test_a_job_run_queues_what_the_planner_says(deps: Deps, app: KlaApplication,
                                                      stand: BotApiStandin,
                                                      clock: ManualClock) -> None:
    await _team(deps, stand)
    await schedule_jobs(app)
    assert app.job_queue is not None
    (job,) = app.job_queue.get_jobs_by_name("reminders:daily@08:00")
    clock.set(datetime(2025, 5, 10, 8, 0, tzinfo=WITA))  # Saturday: quiet
    await job.run(app)
    assert await outbox_rows(deps) == []
    clock.set(datetime(2025, 5, 9, 8, 0, tzinfo=WITA))  # Friday, H-7
    await job.run(app)
    await job.run(app)  # fired twice: nothing doubles
    assert await drain(app) == 4
    kinds = sorted((int(r.chat or 0), r.kind) for r in await outbox_rows(deps))
    assert kinds == [(1001, "reminder.digest"), (1002, "reminder.digest"),
                     (2001, "reminder.brief"), (3001, "reminder.brief")]
    assert stand.messages_to(1001)[0].plain.startswith("H-7 menuju verifikasi")


async def test_coordinator_reminds_their_cluster_now(deps: Deps, app: KlaApplication,
                                                     stand: BotApiStandin,
                                                     clock: ManualClock) -> None:
    await _team(deps, stand)
    clock.set(datetime(2025, 5, 10, 11, 0, tzinfo=WITA))  # even on a Saturday, when asked
    citra = stand.users[2001].private
    await deliver(app, citra.send("/ingatkan"))
    assert citra.last_text() == "Pengingat dikirim ke 1 anggota dengan tugas terbuka."
    assert await drain(app) == 1
    assert [m.chat_id for m in stand.sent if m.chat_id < 2000] == [1001]  # only K3's Ani
    await deliver(app, citra.send("/remind"))
    assert "1 anggota lain sudah menerima pengingat hari ini" in citra.last_text()
    dewi = stand.users[3001].private
    await deliver(app, dewi.send("/ingatkan"))  # the secretariat: every cluster
    assert await drain(app) == 1
    assert sorted(m.chat_id for m in stand.sent if m.chat_id < 2000) == [1001, 1002]
    assert stand.duplicates() == []


async def test_plain_members_may_not_remind(deps: Deps, app: KlaApplication,
                                            stand: BotApiStandin) -> None:
    await _team(deps, stand)
    eko = stand.users[1003].private
    await deliver(app, eko.send("/ingatkan"))
    assert "koordinator" in eko.last_text()
    assert await outbox_rows(deps) == []
