"""The sender through the in-process stand-in: order, 429, 5xx, 400, 403, task mapping, files."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, select

from handlers.registry import Rendered
from kla_bot.channels.telegram import sender as outbox_sender
from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.channels.telegram.sender import drain
from kla_bot.clock import ManualClock, local_today
from kla_bot.deps import Deps
from kla_bot.models import Evidence, Member, MessageTask, OutboxMessage
from kla_bot.services import outbox
from kla_bot.services.outbox_kinds import Brief, Digest, DigestTask, EvidenceSubmitted, OutboxKind
from kla_bot.standin import BotApiStandin
from tests.coordinators.chat import chat_world
from tests.coordinators.helpers import AHMAD, RINA, YUSUF
from tests.members.conftest import jpeg_bytes, pdf_bytes
from tests.reminders.helpers import IGNORE_PTB_DEPRECATION, outbox_rows, started_user
from tests.reminders.seed import add_member, add_task

pytestmark = IGNORE_PTB_DEPRECATION


async def _brief(deps: Deps, member: Member, key: str, *,
                 not_before: datetime | None = None) -> None:
    assert member.chat_id is not None
    payload = Brief(days_left=11, day=date(2025, 5, 5), verification_date=date(2025, 5, 16),
                    projected=Decimal(685), target=701, predicate="Nindya", needed=Decimal(16),
                    open=3, submitted=0, approved=0, overdue=0)
    async with deps.db.transaction() as s:
        await outbox.enqueue(s, dedupe_key=key, chat_id=member.chat_id,
                             recipient_id=member.id, payload=payload, now=deps.clock.now(),
                             day=local_today(deps.clock, deps.settings.tz),
                             tz=deps.settings.tz, not_before=not_before)


async def _members(deps: Deps, standin: BotApiStandin,
                   *specs: tuple[str, str, int]) -> list[Member]:
    for name, _, chat in specs:
        started_user(standin, chat, name)
    async with deps.db.transaction() as s:
        return [await add_member(s, deps.workspace, deps.clock.now(), name=name, role=role,
                                 chat_id=chat) for name, role, chat in specs]


async def test_delivers_in_id_order_and_marks_sent(bot: KlaApplication,
                                                   standin: BotApiStandin) -> None:
    deps = bot.bot_data.deps
    ani, budi = await _members(deps, standin, ("Ani", "coordinator", 1001),
                               ("Budi", "member", 1002))
    await _brief(deps, ani, "a")
    await _brief(deps, budi, "b")
    assert await drain(bot) == 2
    assert [m.chat_id for m in standin.sent] == [1001, 1002]
    assert "Ringkasan pagi" in standin.sent[0].plain
    rows = await outbox_rows(deps)
    assert [(r.state, r.telegram_message_id) for r in rows] == [
        ("sent", standin.sent[0].message_id), ("sent", standin.sent[1].message_id)]
    assert await drain(bot) == 0


async def test_an_idle_sender_only_reads(bot: KlaApplication, standin: BotApiStandin,
                                         clock: ManualClock) -> None:
    """Twice a second it asks whether anything is due: one read and no writing unit of work
    while nothing is (the brief not due yet, the sent one done); then it sends."""
    deps = bot.bot_data.deps
    ani, budi = await _members(deps, standin, ("Ani", "coordinator", 1001),
                               ("Budi", "member", 1002))
    await _brief(deps, ani, "a")
    assert await drain(bot) == 1
    await _brief(deps, budi, "b", not_before=clock.now() + timedelta(hours=1))
    statements: list[str] = []

    def seen(*args: Any) -> None:
        statements.append(str(args[2]).split()[0].upper())

    engine = deps.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert await drain(bot) == 0
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert statements == ["SELECT"]
    clock.advance(timedelta(hours=1))
    assert await drain(bot) == 1
    assert [m.chat_id for m in standin.sent] == [1001, 1002]


async def test_a_message_queued_in_this_worker_wakes_the_sender_at_once(
        bot: KlaApplication, standin: BotApiStandin, monkeypatch: pytest.MonkeyPatch) -> None:
    """The running sender looks at the outbox as soon as a unit of work that queued a
    message commits, not at its next poll (here: never, an hour away)."""
    monkeypatch.setattr("kla_bot.outbox_sender.IDLE_INTERVAL", 3600.0)
    deps = bot.bot_data.deps
    (ani,) = await _members(deps, standin, ("Ani", "coordinator", 1001))
    sender = outbox_sender.sender_of(bot)
    sent = asyncio.get_running_loop().create_future()
    unsubscribe = standin.subscribe(
        lambda event: event.kind == "sent" and not sent.done() and sent.set_result(event))
    sender.start()
    try:
        await asyncio.sleep(0)  # the loop's first (empty) look, then its idle wait
        await _brief(deps, ani, "a")
        event = await asyncio.wait_for(sent, timeout=30)
        assert event.chat_id == 1001
    finally:
        unsubscribe()
        await sender.stop()
    assert [(r.state) for r in await outbox_rows(deps)] == ["sent"]


async def test_429_waits_retry_after_and_never_drops(bot: KlaApplication,
                                                     standin: BotApiStandin,
                                                     clock: ManualClock) -> None:
    deps = bot.bot_data.deps
    ani, budi = await _members(deps, standin, ("Ani", "member", 1001), ("Budi", "member", 1002))
    await _brief(deps, ani, "a")
    await _brief(deps, budi, "b")
    standin.fail_next("sendMessage", status=429, retry_after=7, chat_id=1001)
    assert await drain(bot) == 0  # the whole sender waits: a flood wait is for the bot
    first, second = await outbox_rows(deps)
    assert (first.state, first.attempts) == ("pending", 0)
    assert first.not_before == clock.now() + timedelta(seconds=7)
    assert second.state == "pending"  # handed back, not stuck behind a lease
    clock.advance(timedelta(seconds=6))
    assert await drain(bot) == 0
    clock.advance(timedelta(seconds=1))
    assert await drain(bot) == 2
    assert [m.chat_id for m in standin.sent] == [1001, 1002]


async def test_5xx_retried_with_backoff_never_given_up(bot: KlaApplication,
                                                       standin: BotApiStandin,
                                                       clock: ManualClock) -> None:
    deps = bot.bot_data.deps
    ani, budi = await _members(deps, standin, ("Ani", "member", 1001), ("Budi", "member", 1002))
    await _brief(deps, ani, "a")
    await _brief(deps, budi, "b")
    standin.fail_next("sendMessage", status=502, chat_id=1001)
    assert await drain(bot) == 1  # Budi is not held up by one odd failure
    assert await drain(bot) == 0  # Ani's retry waits for its back-off
    clock.advance(timedelta(seconds=1))
    assert await drain(bot) == 1
    assert [m.chat_id for m in standin.sent] == [1002, 1001]
    standin.fail_next("sendMessage", status=500, chat_id=1002, times=30)
    await _brief(deps, budi, "b2")
    for _ in range(30):  # far more failures than the old give-up after 8
        await drain(bot)
        clock.advance(timedelta(minutes=5))
    last = (await outbox_rows(deps))[-1]
    assert (last.state, last.attempts) == ("pending", 30)
    assert "Internal Server Error" in (last.last_error or "")
    assert await drain(bot) == 1  # the API is back: delivered, once
    assert (await outbox_rows(deps))[-1].state == "sent"
    assert len(standin.sent) == 3


async def test_400_fails_at_once_with_its_cause(bot: KlaApplication, standin: BotApiStandin,
                                                caplog: pytest.LogCaptureFixture) -> None:
    deps = bot.bot_data.deps
    (ani,) = await _members(deps, standin, ("Ani", "member", 1001))
    await _brief(deps, ani, "a")
    standin.fail_next("sendMessage", status=400, description="Bad Request: message is too long")
    assert await drain(bot) == 0
    (row,) = await outbox_rows(deps)
    assert (row.state, row.last_error) == ("failed", "400 Message is too long")
    warned = [r for r in caplog.records if r.levelname == "WARNING"]
    assert any("message is too long" in r.getMessage().lower() for r in warned)
    assert all(ani.phone not in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(("fate", "reason"), [("block", "memblokir bot"),
                                              ("deactivate", "akun Telegram dihapus")])
async def test_403_marks_unreachable_and_tells_the_coordinator_once(
        bot: KlaApplication, standin: BotApiStandin, fate: str, reason: str) -> None:
    deps = bot.bot_data.deps
    coord, budi = await _members(deps, standin, ("Citra", "coordinator", 2001),
                                 ("Budi", "member", 1002))
    await _brief(deps, budi, "b1")
    await _brief(deps, budi, "b2")
    getattr(standin.users[1002], fate)()
    assert await drain(bot) == 1  # only the notice to Citra
    assert [m.chat_id for m in standin.sent] == [2001]
    assert "Budi" in standin.sent[0].plain and reason in standin.sent[0].plain
    rows = await outbox_rows(deps)
    assert [r.state for r in rows] == ["unreachable", "pending", "sent"]  # b2 is held
    assert rows[2].dedupe_key == f"member.unreachable:{budi.id}:2025-05-05:{coord.id}"
    async with deps.db.transaction() as s:
        member = await s.get(Member, budi.id)
        assert member is not None and member.reachable is False
        assert member.unreachable_since == deps.clock.now()
    await _brief(deps, budi, "b3")  # queued by someone unaware: held, never tried
    assert await drain(bot) == 0
    assert len(standin.sent) == 1
    assert len(standin.calls_to("sendMessage")) == 2
    assert [r.state for r in await outbox_rows(deps)] == [
        "unreachable", "pending", "sent", "pending"]


async def test_sent_message_maps_to_its_tasks(bot: KlaApplication,
                                              standin: BotApiStandin) -> None:
    deps = bot.bot_data.deps
    (ani,) = await _members(deps, standin, ("Ani", "member", 1001))
    async with deps.db.transaction() as s:
        task = await add_task(s, deps.workspace, deps.clock.now(), code="K3-17a",
                              assignee=ani, due=deps.settings.verification.date)
        await outbox.enqueue(s, dedupe_key="d", chat_id=1001,
                             recipient_id=ani.id, now=deps.clock.now(),
                             day=local_today(deps.clock, deps.settings.tz),
                             tz=deps.settings.tz, payload=Digest(
                                 task_ids=(task.id,), days_left=11, day=date(2025, 5, 5),
                                 verification_date=date(2025, 5, 16),
                                 tasks=(DigestTask(id=task.id, code="K3-17a", title="SK",
                                                   due=date(2025, 5, 14),
                                                   points=Decimal("1.5")),)))
    assert await drain(bot) == 1
    async with deps.db.transaction() as s:
        mapped = list(await s.execute(select(MessageTask.channel, MessageTask.chat,
                                             MessageTask.message, MessageTask.task_id)))
    assert mapped == [("telegram", "1001", str(standin.sent[0].message_id), task.id)]


async def test_evidence_is_attached_from_the_store(bot: KlaApplication, standin: BotApiStandin,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    deps = bot.bot_data.deps
    (citra,) = await _members(deps, standin, ("Citra", "coordinator", 2001))
    data = b"%PDF-1.4 evidence"
    sha = hashlib.sha256(data).hexdigest()
    path = deps.storage_dir / sha[:2] / sha
    path.parent.mkdir(parents=True)
    path.write_bytes(data)

    def render(payload: EvidenceSubmitted, t: Any) -> Rendered:  # the text: the task's title
        return Rendered(payload.task_title, buttons=[[("Terima", "rv:ok:1")]],
                        evidence_key=payload.storage_key, evidence_name="sk.pdf")

    monkeypatch.setattr(outbox_sender, "renderers",
                        lambda: {OutboxKind.EVIDENCE_SUBMITTED: render})
    async with deps.db.transaction() as s:
        for n, (key, text) in enumerate((("short", "Bukti baru"), ("long", "x" * 1500))):
            await outbox.enqueue(s, dedupe_key=key, chat_id=2001,
                                 recipient_id=citra.id, now=deps.clock.now(),
                                 payload=EvidenceSubmitted(
                                     evidence_id=n, task_code="K3-17a", task_title=text,
                                     indicator="17. KTR", cluster="K3", points=Decimal(1),
                                     member_name="Ani", agency="Dinkes", file_name="sk.pdf",
                                     bytes=len(data), sha256=sha, mime="application/pdf",
                                     storage_key=f"{sha[:2]}/{sha}"))
    assert await drain(bot) == 2
    short, long_text, long_file = standin.sent
    assert short.document is not None and short.caption == "Bukti baru"
    assert short.document.file_name == "sk.pdf" and short.callback_data == ["rv:ok:1"]
    assert long_text.text == "x" * 1500 and long_file.document is not None
    assert long_file.reply_to_message_id == long_text.message_id
    rows = await outbox_rows(deps)
    assert all(r.state == "sent" for r in rows)
    assert isinstance(rows[0], OutboxMessage)


async def test_upload_notices_and_review_cards_send_the_file_by_its_telegram_id(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    perda, photo = pdf_bytes(2, "perda"), jpeg_bytes()
    await cw.do(cw.chats[RINA].send_document(perda, file_name="Perda KTR.pdf",
                                             caption="K3-17a"))
    await cw.do(cw.chats[RINA].send_photo(photo, caption="K3-15a"))
    uploaded = standin.stats.uploaded_bytes
    mark = standin.mark()
    assert await cw.drain() == 4  # both files to both K3 coordinators
    assert standin.stats.uploaded_bytes == uploaded  # not one byte sent up again
    async with cw.world.deps.db.transaction() as s:
        doc, pic = list(await s.scalars(select(Evidence).order_by(Evidence.id)))
    for who in (AHMAD, YUSUF):
        notes = cw.chats[who].since(mark)
        sent_doc = next(m.document for m in notes if m.document is not None)
        assert sent_doc.blob.unique_id == doc.telegram_file_unique_id
        assert doc.telegram_file_kind == "document" and doc.telegram_file_id is not None
        sent_pic = next(m.photo for m in notes if m.photo is not None)
        assert pic.telegram_file_kind == "photo"
        assert sent_pic.blob.unique_id == pic.telegram_file_unique_id
    cards = [m for m in await cw.say(AHMAD, "/tinjau") if m.document or m.photo]
    assert len(cards) == 2 and standin.stats.uploaded_bytes == uploaded
    # A file id Telegram no longer accepts: the card falls back to the stored file.
    async with cw.world.deps.db.transaction() as s:
        row = await s.get(Evidence, doc.id)
        assert row is not None
        row.telegram_file_id = "BQACAgIAAxkBAAIBbogus"
    cards = [m for m in await cw.say(AHMAD, "/tinjau") if m.document or m.photo]
    assert len(cards) == 2 and standin.stats.uploaded_bytes == uploaded + len(perda)
    assert not standin.unexpected
