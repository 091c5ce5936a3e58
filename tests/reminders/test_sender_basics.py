"""The sender against a scripted Bot API double: delivery, 429, 5xx, 403 (fast, exact)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from handlers.application import build_application
from handlers.outbox_sender import MAX_ATTEMPTS, drain
from handlers.registry import KlaApplication
from kla_bot.clock import ManualClock
from kla_bot.deps import Deps
from kla_bot.models import Member, OutboxMessage, SentMessageTask
from kla_bot.services import outbox
from tests.reminders.fake_telegram import FakeTelegram
from tests.reminders.seed import add_member


@pytest.fixture
def fake() -> FakeTelegram:
    return FakeTelegram()


@pytest.fixture
async def app(deps: Deps, fake: FakeTelegram) -> AsyncIterator[KlaApplication]:
    application = build_application(deps, request=fake, rate_limit=False)
    await application.initialize()
    yield application
    await application.shutdown()


async def _brief(deps: Deps, member: Member, key: str = "b1") -> None:
    assert member.chat_id is not None
    payload = {"task_ids": [], "days_left": 11, "day": "2025-05-05",
               "verification_date": "2025-05-16", "projected": "685", "target": 701,
               "predicate": "Nindya", "needed": "16", "open": 3, "submitted": 0,
               "approved": 0, "overdue": 0}
    async with deps.db.transaction() as s:
        await outbox.enqueue(s, dedupe_key=key, kind="reminder.brief", chat_id=member.chat_id,
                             recipient_id=member.id, payload=payload, now=deps.clock.now())


async def _rows(deps: Deps) -> list[OutboxMessage]:
    async with deps.db.transaction() as s:
        return list(await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def _members(deps: Deps, *specs: tuple[str, str, int]) -> list[Member]:
    async with deps.db.transaction() as s:
        return [await add_member(s, deps.workspace, deps.clock.now(), name=name, role=role,
                                 chat_id=chat) for name, role, chat in specs]


async def test_delivers_in_id_order_and_marks_sent(deps: Deps, app: KlaApplication,
                                                   fake: FakeTelegram) -> None:
    ani, budi = await _members(deps, ("Ani", "coordinator", 1001), ("Budi", "member", 1002))
    await _brief(deps, ani, "a")
    await _brief(deps, budi, "b")
    assert await drain(app) == 2
    assert [m["chat_id"] for m in fake.sent] == [1001, 1002]
    assert "Ringkasan pagi" in fake.sent[0]["text"]
    rows = await _rows(deps)
    assert [(r.state, r.telegram_message_id) for r in rows] == [("sent", 101), ("sent", 102)]
    assert await drain(app) == 0


async def test_429_waits_retry_after_and_never_drops(deps: Deps, app: KlaApplication,
                                                     fake: FakeTelegram,
                                                     clock: ManualClock) -> None:
    (ani,) = await _members(deps, ("Ani", "member", 1001))
    await _brief(deps, ani)
    fake.fail(1001, 429, "Too Many Requests: retry after 7", retry_after=7)
    assert await drain(app) == 0
    (row,) = await _rows(deps)
    assert (row.state, row.attempts, row.not_before) == ("pending", 0,
                                                          clock.now() + timedelta(seconds=7))
    clock.advance(timedelta(seconds=6))
    assert await drain(app) == 0  # still paused
    clock.advance(timedelta(seconds=1))
    assert await drain(app) == 1
    assert len(fake.sent) == 1


async def test_5xx_retried_with_backoff_then_failed(deps: Deps, app: KlaApplication,
                                                    fake: FakeTelegram,
                                                    clock: ManualClock) -> None:
    ani, budi = await _members(deps, ("Ani", "member", 1001), ("Budi", "member", 1002))
    await _brief(deps, ani, "a")
    await _brief(deps, budi, "b")
    fake.fail(1001, 502, "Bad Gateway")
    assert await drain(app) == 1  # Budi is not held up by Ani's failure
    clock.advance(timedelta(seconds=1))
    assert await drain(app) == 1
    assert [m["chat_id"] for m in fake.sent] == [1002, 1001]
    for _ in range(MAX_ATTEMPTS):
        fake.fail(1002, 500, "Internal Server Error")
    await _brief(deps, budi, "b2")
    for _ in range(MAX_ATTEMPTS):
        await drain(app)
        clock.advance(timedelta(minutes=5))
    last = (await _rows(deps))[-1]
    assert (last.state, last.attempts) == ("failed", MAX_ATTEMPTS)
    assert "500" in (last.last_error or "") or "Internal" in (last.last_error or "")


async def test_403_marks_unreachable_and_tells_the_coordinator_once(
        deps: Deps, app: KlaApplication, fake: FakeTelegram) -> None:
    coord, budi = await _members(deps, ("Citra", "coordinator", 1001),
                                 ("Budi", "member", 1002))
    await _brief(deps, budi, "b1")
    await _brief(deps, budi, "b2")
    fake.fail(1002, 403, "Forbidden: bot was blocked by the user")
    assert await drain(app) == 1  # the notice to Citra
    assert [m["chat_id"] for m in fake.sent] == [1001]
    assert "Budi" in fake.sent[0]["text"] and "memblokir" in fake.sent[0]["text"]
    rows = await _rows(deps)
    assert [r.state for r in rows] == ["failed", "failed", "sent"]
    assert rows[2].dedupe_key == f"member.unreachable:{budi.id}:2025-05-05:{coord.id}"
    async with deps.db.transaction() as s:
        member = await s.get(Member, budi.id)
        assert member is not None and member.reachable is False
        assert member.unreachable_since == deps.clock.now()
    await _brief(deps, budi, "b3")
    assert await drain(app) == 0
    assert len(fake.sent) == 1


async def test_sent_message_maps_to_its_tasks(deps: Deps, app: KlaApplication,
                                              fake: FakeTelegram) -> None:
    from tests.reminders.seed import add_task

    (ani,) = await _members(deps, ("Ani", "member", 1001))
    async with deps.db.transaction() as s:
        task = await add_task(s, deps.workspace, deps.clock.now(), code="K3-17a", assignee=ani,
                              due=deps.settings.verification.date)
        await outbox.enqueue(s, dedupe_key="d", kind="reminder.digest", chat_id=1001,
                             recipient_id=ani.id, now=deps.clock.now(), payload={
                                 "task_ids": [task.id], "days_left": 11, "day": "2025-05-05",
                                 "verification_date": "2025-05-16", "more": 0,
                                 "tasks": [{"id": task.id, "code": "K3-17a", "title": "SK",
                                            "due": "2025-05-14", "points": "1.5"}]})
    assert await drain(app) == 1
    async with deps.db.transaction() as s:
        mapped = list(await s.scalars(select(SentMessageTask.task_id)))
    assert mapped == [task.id]
