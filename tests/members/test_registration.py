"""Joining: /start, sharing one's own contact, invite codes, and every refusal."""

from __future__ import annotations

from sqlalchemy import select

from kla_bot.models import AuditEvent, Member
from kla_bot.services import registration
from tests.members.conftest import ANI_PHONE, BUDI_PHONE, World


async def test_start_greets_a_stranger_with_a_share_contact_button(world: World) -> None:
    chat = world.chat(world.user("Ani", 5001))
    await world.do(chat.send("/start"))
    assert "Selamat datang, Ani" in chat.texts()[0]
    keyboard = chat.reply_keyboard()
    assert keyboard is not None
    button = keyboard.keyboard[0][0]
    assert button.request_contact and "Bagikan kontak saya" in button.text


async def test_own_contact_registers_and_shows_tasks(world: World) -> None:
    chat = world.chat(world.user("Ani", 5001))
    await world.do(chat.send("/start"))
    await world.do(chat.share_contact("6281200000001"))  # Telegram sends it without "+"
    texts = chat.texts()
    assert any("Ani (Dinas Kesehatan)" in t and "sudah terdaftar" in t for t in texts)
    assert "K3-17a" in texts[-1] and "K3-12" in texts[-1]
    assert chat.reply_keyboard() is None  # the share button is gone
    member = await world.scalar(select(Member).where(Member.phone == ANI_PHONE))
    assert member.telegram_user_id == 5001 and member.chat_id == 5001
    event = await world.scalar(select(AuditEvent).where(AuditEvent.action == "member.registered"))
    assert event.subject_id == str(member.id) and event.details == {"via": "contact"}


async def test_someone_elses_contact_is_refused(world: World) -> None:
    chat = world.chat(world.user("Mallory", 5009))
    await world.do(chat.share_contact(ANI_PHONE, user_id=5001, first_name="Ani"))
    assert "kontak orang lain" in chat.last_text()
    assert "Sekretariat" in chat.last_text()
    member = await world.scalar(select(Member).where(Member.phone == ANI_PHONE))
    assert member.telegram_user_id is None
    assert await world.count(AuditEvent) == 0


async def test_a_contact_without_user_id_is_refused(world: World) -> None:
    chat = world.chat(world.user("Ani", 5001))
    await world.do(chat.share_contact(ANI_PHONE, user_id=None))
    assert "kontak orang lain" in chat.last_text()


async def test_unknown_number_is_refused(world: World) -> None:
    chat = world.chat(world.user("Eko", 5010))
    await world.do(chat.share_contact("+6281399999999"))
    assert "belum terdaftar" in chat.last_text() and "Sekretariat" in chat.last_text()


async def test_number_linked_to_another_account_is_refused(world: World) -> None:
    first = world.chat(world.user("Ani", 5001))
    await world.do(first.share_contact(ANI_PHONE))
    second = world.chat(world.user("Ani baru", 5002))
    await world.do(second.share_contact(ANI_PHONE))
    assert "akun Telegram lain" in second.last_text()
    member = await world.scalar(select(Member).where(Member.phone == ANI_PHONE))
    assert member.telegram_user_id == 5001


async def test_registered_member_is_recognised_on_start(world: World) -> None:
    user = world.user("Budi", 5003)
    await world.link("Budi", user)
    chat = world.chat(user)
    await world.do(chat.send("/start"))
    assert any("terdaftar sebagai Budi (Disdukcapil)" in t for t in chat.texts())
    assert "K1-4" in chat.last_text()
    assert chat.reply_keyboard() is None


async def test_invite_code_registers_once(world: World) -> None:
    async with world.deps.db.transaction() as s:
        code, name = await registration.create_invite(
            s, world.deps.workspace, phone="0812-0000-0002", created_by=None,
            now=world.clock.now())
    assert name == "Budi"
    chat = world.chat(world.user("Budi", 5003))
    await world.do(chat.send(f"/start {code.lower()}"))
    assert any("Budi (Disdukcapil)" in t for t in chat.texts())
    other = world.chat(world.user("Someone", 5004))
    await world.do(other.send(f"/start {code}"))
    assert "tidak berlaku" in other.last_text()
    member = await world.scalar(select(Member).where(Member.phone == BUDI_PHONE))
    assert member.telegram_user_id == 5003
    event = await world.scalar(select(AuditEvent).where(AuditEvent.action == "member.registered"))
    assert event.details == {"via": "invite"}


async def test_bad_invite_code_is_refused(world: World) -> None:
    chat = world.chat(world.user("X", 5005))
    await world.do(chat.send("/start NOPE123"))
    assert "tidak berlaku" in chat.last_text()


async def test_english_user_gets_english(world: World) -> None:
    chat = world.chat(world.user("Ani", 5001, language="en"))
    await world.do(chat.send("/start"))
    await world.do(chat.share_contact(ANI_PHONE))
    assert any("You are now registered" in t for t in chat.texts())
    assert "Your tasks" in chat.last_text()
