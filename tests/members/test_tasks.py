"""/tugas: by cluster, due dates in days (local time), states and reasons, buttons, paging."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from kla_bot.models import Task
from kla_bot.services import outbox
from tests.members.conftest import World


async def test_task_list_shows_everything_a_member_needs(world: World) -> None:
    user = world.user("Ani", 5001)
    await world.link("Ani", user)
    async with world.deps.db.transaction() as s:
        task = await s.get(Task, world.tasks["K3-12"])
        assert task is not None
        task.last_rejection_reason = "Dokumen belum ditandatangani"
    chat = world.chat(user)
    await world.do(chat.send("/tugas"))
    text = chat.last_text()
    assert "K3 · Kesehatan" in text
    assert ("K3-17a — Indikator 17: Tersedia Kawasan Tanpa Rokok dan Tidak Ada Iklan, Promosi, "
            "dan Sponsor Rokok") in text
    assert "Data dukung yang kurang: Perbup Kawasan Tanpa Rokok" in text
    assert "Poin: 2,5" in text and "Rabu, 14 Mei 2025 (9 hari lagi)" in text
    assert "Kamis, 8 Mei 2025 (3 hari lagi)" in text
    assert "Status: belum dikirim" in text
    assert "Alasan penolakan terakhir: Dokumen belum ditandatangani" in text
    assert "K1-4" not in text  # Budi's
    assert chat.buttons() == ["📎 Kirim berkas K3-12", "📎 Kirim berkas K3-17a"]
    assert chat.last().callback_data == [f"tk:send:{world.tasks['K3-12']}",
                                         f"tk:send:{world.tasks['K3-17a']}"]


async def test_due_is_counted_in_local_time_and_overdue_is_marked(world: World) -> None:
    user = world.user("Ani", 5001)
    await world.link("Ani", user)
    # 8 May 2025, 16:30 UTC = 9 May 00:30 WITA: K3-12 (due 8 May) is now one day late.
    world.clock.advance(timedelta(days=3, hours=15, minutes=30))
    chat = world.chat(user)
    await world.do(chat.send("/tasks"))
    assert "(⚠️ lewat 1 hari)" in chat.last_text()


async def test_english_list(world: World) -> None:
    user = world.user("Ani", 5001, language="en")
    await world.do(world.chat(user).send("/start"))
    await world.link("Ani", user)
    chat = world.chat(user)
    await world.do(chat.send("/tasks"))
    assert "Indicator 17: Smoke-free areas" in chat.last_text()
    assert "Due: Wednesday, 14 May 2025 (9 days left)" in chat.last_text()


async def test_member_without_tasks_and_stranger(world: World) -> None:
    user = world.user("Dewi", 5004)
    await world.link("Dewi", user)
    chat = world.chat(user)
    await world.do(chat.send("/tugas"))
    assert "Tidak ada tugas terbuka" in chat.last_text()
    stranger = world.chat(world.user("X", 5100))
    await world.do(stranger.send("/tugas"))
    assert "belum terdaftar" in stranger.last_text()


async def test_long_lists_are_paged_under_telegram_limit(world: World) -> None:
    user = world.user("Ani", 5001)
    await world.link("Ani", user)
    now = world.clock.now()
    async with world.deps.db.transaction() as s:
        for i in range(60):
            s.add(Task(cycle_id=world.deps.workspace.cycle_id, code=f"K3-X{i:02}",
                       code_key=f"K3-X{i:02}", indicator_number=12 + i % 6,
                       title="Dokumen pendukung yang cukup panjang " * 8,
                       points=Decimal("0.5"), assignee_id=world.members["Ani"],
                       due_date=date(2025, 5, 14), state="open", created_at=now,
                       updated_at=now, last_rejection_reason="Kurang stempel " * 10))
    chat = world.chat(user)
    await world.do(chat.send("/tugas"))
    seen: set[str] = set()
    first = chat.last()
    message = first
    for _ in range(20):
        assert len(message.plain) <= 4096
        seen.update(b.removeprefix("📎 Kirim berkas ") for b in message.buttons if "Kirim" in b)
        if "Berikutnya ▶" not in message.buttons:
            break
        await world.do(chat.press(message, "Berikutnya ▶"))
        message = chat.state.find_sent(chat.chat_id, first.message_id)
    assert len(seen) == 62
    assert "Halaman" in message.plain and "◀ Sebelumnya" in message.buttons


async def test_a_one_task_list_is_remembered_for_replies(world: World) -> None:
    user = world.user("Budi", 5003)
    await world.link("Budi", user)
    chat = world.chat(user)
    await world.do(chat.send("/tugas"))
    async with world.deps.db.transaction() as s:
        assert await outbox.tasks_of_message(s, channel="telegram", chat=str(chat.chat_id),
                                             message=str(chat.last().message_id)) == [
            world.tasks["K1-4"]]
