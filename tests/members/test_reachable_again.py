"""A member who blocked the bot and comes back: /start, sharing the contact, any message, a
file or a button press makes them reachable again (audited), and what was held goes out once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, select
from telegram import Update

from kla_bot.channels.telegram.sender import drain
from kla_bot.comebacks import FRESH_FOR, Comebacks
from kla_bot.models import AuditEvent, Member, OutboxMessage
from kla_bot.services import outbox
from kla_bot.services.outbox_kinds import ReviewAccepted
from kla_bot.standin import ChatDriver
from tests.members.conftest import ANI_PHONE, World, pdf_bytes

RESULT = ReviewAccepted(evidence_id=1, task_code="K3-17a",
                        task_title="Perbup Kawasan Tanpa Rokok", file_name="perbup.pdf",
                        reviewer="Citra", points=Decimal("2.5"))


async def _blocked_ani(world: World) -> tuple[ChatDriver, Member]:
    """Ani is registered, has a button from the bot, then blocks it; two review results are
    queued for her: the first bounces off the block, the second is held."""
    user = world.user("Ani", 5001)
    chat = world.chat(user)
    await world.do(chat.send("/start"))
    await world.do(chat.share_contact("6281200000001"))
    user.block()
    member = await world.scalar(select(Member).where(Member.phone == ANI_PHONE))
    async with world.deps.db.transaction() as s:
        for n in (1, 2):
            await outbox.enqueue(s, dedupe_key=f"result:{n}", chat_id=5001,
                                 recipient_id=member.id,
                                 payload=replace(RESULT, file_name=f"perbup-{n}.pdf"),
                                 now=world.clock.now())
    assert await drain(world.app) == 0
    assert [r.state for r in await _rows(world)] == ["unreachable", "pending"]
    assert (await world.scalar(select(Member).where(Member.id == member.id))).reachable is False
    return chat, member


async def _rows(world: World) -> list[OutboxMessage]:
    async with world.deps.db.transaction() as s:
        return list(await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _with_button(chat: ChatDriver) -> object:
    return next(m for m in reversed(chat.messages()) if m.buttons)


COMEBACKS: dict[str, Callable[[ChatDriver], Update]] = {
    "command": lambda chat: chat.send("/start"),
    "contact": lambda chat: chat.share_contact("6281200000001"),
    "message": lambda chat: chat.send("halo, saya sudah kembali"),
    "file": lambda chat: chat.send_document(pdf_bytes(), file_name="perbup.pdf",
                                            caption="K3-17a"),
    "button": lambda chat: chat.press(_with_button(chat), 0),
}


@pytest.mark.parametrize("via", list(COMEBACKS))
async def test_any_update_from_the_private_chat_makes_them_reachable(world: World,
                                                                     via: str) -> None:
    chat, member = await _blocked_ani(world)
    world.state.users[5001].unblock()  # Telegram's "Restart" / "Unblock"
    assert await world.do(COMEBACKS[via](chat))
    ani = await world.scalar(select(Member).where(Member.id == member.id))
    assert ani.reachable is True and ani.unreachable_since is None
    event = await world.scalar(select(AuditEvent).where(
        AuditEvent.action == "member.reachable_again"))
    assert event.subject_id == str(member.id)
    assert event.details == {"via": via, "resumed": 1}
    mark = world.state.mark()
    assert await drain(world.app) == 2  # the bounced result and the held one, once each
    results = [m.plain for m in chat.since(mark) if "perbup-" in m.plain]
    assert len(results) == 2 and "perbup-1.pdf" in results[0] and "perbup-2.pdf" in results[1]
    assert [r.state for r in await _rows(world)] == ["sent", "sent"]
    assert await drain(world.app) == 0


async def test_a_reachable_member_costs_no_write_and_no_audit(world: World) -> None:
    chat = world.chat(world.user("Ani", 5001))
    await world.do(chat.send("/start"))
    await world.do(chat.share_contact("6281200000001"))
    await world.do(chat.send("/tugas"))
    assert await world.scalar(select(AuditEvent).where(
        AuditEvent.action == "member.reachable_again")) is None


async def test_a_message_in_a_group_does_not_count(world: World) -> None:
    _, member = await _blocked_ani(world)
    group = world.state.add_group("Gugus Tugas KLA")
    await world.do(world.state.chat(world.state.users[5001], group).send("/tugas"))
    ani = await world.scalar(select(Member).where(Member.id == member.id))
    assert ani.reachable is False
    assert await drain(world.app) == 0


class Ticks:
    """The worker's own (monotonic) seconds, moved by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def _marked_by_another_worker(world: World, member_id: int) -> None:
    async with world.deps.db.transaction() as s:
        ani = await s.get(Member, member_id)
        assert ani is not None
        ani.reachable, ani.unreachable_since = False, world.clock.now()


async def test_a_mark_by_another_worker_is_noticed_at_the_next_read_with_the_comeback(
        world: World) -> None:
    """Another worker marks Ani unreachable just after this one read its list; she writes
    here meanwhile. At the next read (any update, FRESH_FOR later) that earlier message
    makes her reachable: the comeback is late by at most FRESH_FOR, never lost."""
    ticks = Ticks()
    world.deps.__dict__["comebacks"] = Comebacks(world.deps.db, now=ticks)
    ani = world.chat(world.user("Ani", 5001))
    await world.do(ani.send("/start"))
    await world.do(ani.share_contact("6281200000001"))  # the list was read: nobody is marked
    member_id = world.members["Ani"]
    await _marked_by_another_worker(world, member_id)
    world.clock.advance(timedelta(minutes=1))
    ticks.now = FRESH_FOR - 1
    await world.do(ani.send("halo, saya sudah kembali"))
    assert (await world.scalar(select(Member).where(Member.id == member_id))).reachable is False
    ticks.now = FRESH_FOR + 1  # Budi writes: the list is read again
    await world.do(world.chat(world.user("Budi", 5002)).send("/start"))
    again = await world.scalar(select(Member).where(Member.id == member_id))
    assert again.reachable is True and again.unreachable_since is None
    event = await world.scalar(select(AuditEvent).where(
        AuditEvent.action == "member.reachable_again"))
    assert event.subject_id == str(member_id) and event.details["via"] == "message"


async def test_a_message_from_before_the_mark_does_not_undo_it(world: World) -> None:
    ticks = Ticks()
    world.deps.__dict__["comebacks"] = Comebacks(world.deps.db, now=ticks)
    ani = world.chat(world.user("Ani", 5001))
    await world.do(ani.send("/start"))
    await world.do(ani.share_contact("6281200000001"))
    world.clock.advance(timedelta(minutes=1))
    member_id = world.members["Ani"]
    await _marked_by_another_worker(world, member_id)  # after her last message: a real block
    ticks.now = FRESH_FOR + 1
    await world.do(world.chat(world.user("Budi", 5002)).send("/start"))
    assert (await world.scalar(select(Member).where(Member.id == member_id))).reachable is False
    assert await world.scalar(select(AuditEvent).where(
        AuditEvent.action == "member.reachable_again")) is None


async def test_updates_from_reachable_members_read_the_list_once(world: World) -> None:
    ticks = Ticks()
    world.deps.__dict__["comebacks"] = Comebacks(world.deps.db, now=ticks)
    chats = [world.chat(world.user(f"Anggota {n}", 6000 + n)) for n in range(5)]
    reads: list[str] = []

    def note(*args: object) -> None:  # the list's read, or the one-member check of before
        statement = " ".join(str(args[2]).split()).upper()
        if "MEMBERS.REACHABLE IS" in statement:
            reads.append(statement)

    event.listen(world.deps.db.engine.sync_engine, "before_cursor_execute", note)
    try:
        for _ in range(3):
            for chat in chats:
                await world.do(chat.send("halo"))
        assert len(reads) == 1, reads  # one read of the list served 15 updates
        ticks.now = FRESH_FOR + 1
        await world.do(chats[0].send("halo"))
        assert len(reads) == 2
    finally:
        event.remove(world.deps.db.engine.sync_engine, "before_cursor_execute", note)
