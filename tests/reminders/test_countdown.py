"""A whole countdown, H-11 to hari H, across a weekend and two holidays: who gets what, when."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time

import pytest

from handlers.remind import queue_due_now
from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.channels.telegram.sender import drain
from kla_bot.clock import ManualClock
from kla_bot.deps import Deps
from kla_bot.models import Task
from kla_bot.standin import BotApiStandin
from tests.conftest import WITA
from tests.reminders.helpers import (
    IGNORE_PTB_DEPRECATION,
    app,
    local,
    outbox_rows,
    stand,
    started_user,
)
from tests.reminders.seed import add_member, add_task

__all__ = ["app", "stand"]
pytestmark = IGNORE_PTB_DEPRECATION

ANI, BUDI, EKO, CITRA, DEWI = 1001, 1002, 1003, 2001, 3001


async def _cast(deps: Deps, stand: BotApiStandin) -> dict[str, int]:
    """Ani has two open tasks; Budi's is submitted, Eko's approved, Fajar never registered."""
    now = deps.clock.now()
    ws = deps.workspace
    for chat, name in [(ANI, "Ani"), (BUDI, "Budi"), (EKO, "Eko"), (CITRA, "Citra"),
                       (DEWI, "Dewi")]:
        started_user(stand, chat, name)
    async with deps.db.transaction() as s:
        ani = await add_member(s, ws, now, name="Ani", chat_id=ANI)
        budi = await add_member(s, ws, now, name="Budi", chat_id=BUDI, clusters=("K5",))
        eko = await add_member(s, ws, now, name="Eko", chat_id=EKO)
        fajar = await add_member(s, ws, now, name="Fajar", chat_id=None)
        await add_member(s, ws, now, name="Citra", role="coordinator", chat_id=CITRA)
        await add_member(s, ws, now, name="Dewi", role="secretariat", chat_id=DEWI,
                         clusters=())
        late = await add_task(s, ws, now, code="K3-12", assignee=ani, due=date(2025, 5, 7),
                              points="2")
        last = await add_task(s, ws, now, code="K3-17a", assignee=ani,
                              due=date(2025, 5, 14), points="1.5",
                              title="SK Forum Anak <desa>")
        await add_task(s, ws, now, code="K5-21", assignee=budi, due=date(2025, 5, 9),
                       cluster="K5", state="submitted")
        await add_task(s, ws, now, code="K3-13", assignee=eko, due=date(2025, 5, 9),
                       state="approved")
        await add_task(s, ws, now, code="K3-14", assignee=fajar, due=date(2025, 5, 9))
    return {"late": late.id, "last": last.id}


def _day(d: int, hh: int = 8, mm: int = 0) -> datetime:
    return datetime(2025, 5, d, hh, mm, tzinfo=WITA)


async def test_a_whole_countdown(deps: Deps, app: KlaApplication, stand: BotApiStandin,
                                 clock: ManualClock) -> None:
    ids = await _cast(deps, stand)
    received: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for d in range(5, 17):
        clock.set(_day(d, 7, 59))
        assert await queue_due_now(app.bot_data.deps) == {}
        assert await drain(app) == 0, f"nothing before 08:00 on {d} May"
        clock.set(_day(d))
        await queue_due_now(app.bot_data.deps)
        await drain(app)
        clock.set(_day(d, 8, 30))  # a second firing (a restart, a second worker) adds nothing
        await queue_due_now(app.bot_data.deps)
        assert await drain(app) == 0
        if d == 14:  # Ani sends the evidence of K3-17a on Wednesday afternoon
            async with deps.db.transaction() as s:
                task = await s.get(Task, ids["last"])
                assert task is not None
                task.state = "submitted"
    for row in await outbox_rows(deps):
        assert row.state == "sent"
        assert local(row.sent_at, deps).endswith("08:00")
        received[row.sent_at.astimezone(WITA).day if row.sent_at else 0].append(
            (int(row.chat or 0), row.kind))

    routine = [(ANI, "reminder.digest"), (CITRA, "reminder.brief"), (DEWI, "reminder.brief")]
    escalated = [(CITRA, "reminder.escalation")]
    expected = {
        5: routine, 6: routine, 7: routine,             # K3-12 is due on the 7th
        8: routine + escalated, 9: routine + escalated,  # 9 May = H-7, a Friday
        # 10-11 May: weekend; 12 May: holiday, not a countdown day → quiet
        13: routine + escalated,                         # holiday, but H-3
        14: routine + escalated, 15: routine + escalated,
        16: routine + escalated + [(CITRA, "reminder.lastcall"), (DEWI, "reminder.lastcall")],
    }
    assert {d: sorted(v) for d, v in received.items()} == {
        d: sorted(v) for d, v in expected.items()}

    to_ani = stand.messages_to(ANI)
    assert [m.plain.splitlines()[0] for m in to_ani] == [
        f"H-{n} menuju verifikasi Jumat, 16 Mei 2025" for n in (11, 10, 9, 8, 7, 3, 2, 1)
    ] + ["Hari H: verifikasi hari ini, Jumat, 16 Mei 2025"]
    first = to_ani[0]
    assert "K3-12" in first.plain and "tenggat 7 Mei (2 hari lagi) · 2 poin" in first.plain
    assert "SK Forum Anak <desa>" in first.plain and "1,5 poin" in first.plain
    assert first.callback_data == [f"tk:send:{ids['late']}", f"tk:send:{ids['last']}"]
    assert "⚠️ tenggat 7 Mei (lewat 1 hari)" in to_ani[3].plain  # 8 May
    # From the 15th on, K3-17a is submitted: only K3-12 is listed, with a single button.
    assert "K3-17a" not in to_ani[-1].plain and to_ani[-1].callback_data == [
        f"tk:send:{ids['late']}"]
    assert "balas pesan ini" in to_ani[-1].plain

    escalations = [m.plain for m in stand.messages_to(CITRA)
                   if "Tugas lewat tenggat di klaster" in m.plain]
    assert "K3-12" in escalations[0] and "Ani" in escalations[0] and "lewat 1 hari" in (
        escalations[0])
    assert "K3-17a" in escalations[-1]  # overdue since the 14th, waiting for review
    lastcall = [m.plain for m in stand.messages_to(DEWI) if "kesempatan terakhir" in m.plain]
    assert len(lastcall) == 1 and "2 tugas terbuka" in lastcall[0]  # K3-12 and Fajar's K3-14
    assert stand.messages_to(BUDI) == [] and stand.messages_to(EKO) == []
    assert stand.duplicates() == []


async def test_nothing_after_the_verification_day(deps: Deps, app: KlaApplication,
                                                  stand: BotApiStandin,
                                                  clock: ManualClock) -> None:
    await _cast(deps, stand)
    clock.set(_day(19))
    assert await queue_due_now(app.bot_data.deps) == {}
    assert await drain(app) == 0


@pytest.mark.parametrize(("back_at", "expect_digest"), [
    (time(10, 30), True),    # down at 08:00, back mid-morning: sent now
    (time(16, 59), True),
    (time(17, 0), False),    # the working day is over: not sent any more
    (time(7, 0), False),     # before the time: wait for it
])
async def test_catch_up_of_a_missed_digest(deps: Deps, app: KlaApplication,
                                           stand: BotApiStandin, clock: ManualClock,
                                           back_at: time, expect_digest: bool) -> None:
    await _cast(deps, stand)
    clock.set(datetime.combine(date(2025, 5, 6), back_at, tzinfo=WITA))
    await queue_due_now(app.bot_data.deps)
    await drain(app)
    assert bool(stand.messages_to(ANI)) is expect_digest
    clock.set(_day(7, 8, 5))  # the next morning brings that day's digest, never yesterday's
    await queue_due_now(app.bot_data.deps)
    await drain(app)
    assert len(stand.messages_to(ANI)) == (2 if expect_digest else 1)
