"""Hari H on every channel: the checklist, /cari (approved files only, with the index line),
/butuh (an urgent call repeated every 10 minutes until the file arrives, then stopped and
told), and the report the morning after — with the clock walked through the last days."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from handlers.hari_h import tick_now
from kla_bot.models import AuditEvent, Member, MemberCluster, OutboxMessage, UrgentRequest
from tests.both.conftest import SARI_PHONE, Town
from tests.both.driver import Phone
from tests.members.conftest import pdf_bytes

PDF = "application/pdf"
WITA = ZoneInfo("Asia/Makassar")
HARI_H_MORNING = datetime(2025, 5, 16, 9, 0, tzinfo=WITA)


async def secretariat(town: Town) -> Phone:
    """Sari of the secretariat (all clusters), registered."""
    world = town
    now = world.clock.now()
    async with world.deps.db.transaction() as s:
        s.add(Member(regency_id=world.deps.workspace.regency_id, name="Sari", phone=SARI_PHONE,
                     agency="Sekretariat GT KLA", role="secretariat", created_at=now,
                     updated_at=now, clusters=[MemberCluster(cluster_code="K3")]))
    return await town.member("Sari")


async def approved(town: Town, ani: Phone, citra: Phone, code: str, name: str) -> None:
    """Ani sends a file for ``code``, Citra approves it from her card."""
    await ani.send_file(pdf_bytes(text=code), name=name, mime=PDF, caption=code)
    await town.deliver()
    await citra.press(citra.last_with(code), "Setujui")
    await town.deliver()


async def calls_to(town: Town, member: str) -> int:
    async with town.deps.db.transaction() as s:
        return int(await s.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.kind == "harih.call",
            OutboxMessage.recipient_id == town.members[member])) or 0)


async def test_the_checklist_shows_ready_waiting_and_missing_per_indicator(town: Town) -> None:
    citra = await town.member("Citra")
    ani = await town.member("Ani")
    await approved(town, ani, citra, "K3-17a", "ktr.pdf")
    await ani.send_file(pdf_bytes(), name="persalinan.pdf", mime=PDF, caption="K3-12")
    text = "\n".join(s.text for s in await citra.say("/harih"))
    assert "K3: ✅ 1 siap tampil · 🟡 1 menunggu tinjauan · ⬜ 0 belum ada" in text
    assert "17. " in text and "✅ K3-17a" in text and "🟡 K3-12" in text
    assert "K1-4" not in text  # Citra oversees K3 only
    assert "mode hari H mulai" in text  # H-11: not yet on, says when


async def test_find_sends_only_approved_files_with_the_index_line(town: Town) -> None:
    citra = await town.member("Citra")
    ani = await town.member("Ani")
    await approved(town, ani, citra, "K3-17a", "ktr.pdf")
    await ani.send_file(pdf_bytes(), name="persalinan.pdf", mime=PDF, caption="K3-12")

    for query in ("/cari 17", "/cari k3-17a", "/cari rokok", "/find K3-17A"):
        answers = await citra.say(query)
        sent = [s for s in answers if s.file_name]
        assert [s.file_name for s in sent] == ["ktr.pdf"], query
        line = sent[0].text
        assert line.startswith("Indikator 17 — ") or line.startswith("Indicator 17 — ")
        assert "K3-17a Perbup Kawasan Tanpa Rokok" in line and "Citra" in line
        assert "Mei 2025" in line or "May 2025" in line

    waiting = await citra.say("/cari K3-12")
    assert not any(s.file_name for s in waiting)  # waiting for review: never shown
    assert "K3-12 (menunggu tinjauan)" in waiting[-1].text
    assert "Tidak ada tugas" in (await citra.say("/cari akta"))[-1].text  # K1: not hers
    assert "Tulis apa yang dicari" in (await citra.say("/cari"))[-1].text


async def test_several_matches_come_as_choices(town: Town) -> None:
    sari = await secretariat(town)
    answers = await sari.say("/cari data")  # K3-12 and K1-4 both say "Data"
    choice = answers[-1]
    assert "2 tugas" in choice.text
    assert any("K1-4" in c for c in choice.choices) and any("K3-12" in c for c in choice.choices)
    picked = await sari.press(choice, "K1-4")
    assert "K1-4 (terbuka)" in picked[-1].text and "/butuh" in picked[-1].text


async def test_a_member_may_not_find_or_call(town: Town) -> None:
    ani = await town.member("Ani")
    citra = await town.member("Citra")
    assert "koordinator" in (await ani.say("/cari 17"))[-1].text.lower()
    assert "sekretariat" in (await citra.say("/butuh K3-12"))[-1].text.lower()
    assert await calls_to(town, "Ani") == 0


async def test_need_it_now_repeats_every_ten_minutes_until_the_file_arrives(
        town: Town) -> None:
    world = town
    world.clock.set(HARI_H_MORNING)
    citra = await town.member("Citra")
    ani = await town.member("Ani")
    sari = await secretariat(town)

    answer = (await sari.say("/butuh k3-12"))[-1]
    assert "K3-12" in answer.text and "Ani" in answer.text and "10 menit" in answer.text
    await town.deliver()
    call = ani.last_with("Dibutuhkan SEKARANG")
    assert "K3-12" in call.text and "Sari" in call.text
    chase = citra.last_with("sedang mengejarnya")
    assert "K3-12" in chase.text and "Ani" in chase.text
    assert "sudah diminta" in (await sari.say("/butuh K3-12"))[-1].text  # no second call

    for minutes, calls in [(5, 1), (5, 2), (9, 2), (1, 3)]:
        world.clock.advance(timedelta(minutes=minutes))
        await tick_now(world.deps)
        await town.deliver()
        assert await calls_to(town, "Ani") == calls, (minutes, calls)
    again = ani.last_with("Masih ditunggu")
    assert "panggilan ke-3" in again.text

    world.clock.advance(timedelta(minutes=1))  # 21 minutes after the call
    receipt = await ani.send_file(pdf_bytes(text="persalinan"), name="persalinan.pdf",
                                  mime=PDF, reply_to=again)
    assert "Berkas masuk untuk K3-12" in receipt[-1].text
    await town.deliver()
    assert "K3-12" in citra.last().text  # the review card is there at once

    world.clock.advance(timedelta(minutes=1))
    assert (await tick_now(world.deps)).answered == 1
    await town.deliver()
    told = sari.last_with("masuk dari Ani")
    assert "K3-12" in told.text and "21 menit" in told.text and "persalinan.pdf" in told.text
    for _ in range(3):  # the repeats have stopped
        world.clock.advance(timedelta(minutes=10))
        await tick_now(world.deps)
    assert await calls_to(town, "Ani") == 3
    async with world.deps.db.transaction() as s:
        request = await s.scalar(select(UrgentRequest))
        assert request is not None and request.state == "answered"
        assert request.answered_by_id == world.members["Ani"] and request.sends == 3
        assert request.answered_at is not None
        assert request.answered_at - request.requested_at == timedelta(minutes=21)


async def test_someone_else_taking_it_answers_the_call(town: Town) -> None:
    """The coordinator takes the task over: the next call goes to her, her file answers it."""
    world = town
    world.clock.set(HARI_H_MORNING)
    citra = await town.member("Citra")
    await town.member("Ani")
    sari = await secretariat(town)
    await sari.say("/butuh K3-12")
    await citra.say("/tugaskan K3-12 0812-0000-0003")
    world.clock.advance(timedelta(minutes=10))
    await tick_now(world.deps)
    assert (await calls_to(town, "Ani"), await calls_to(town, "Citra")) == (1, 1)
    world.clock.advance(timedelta(minutes=4))
    receipt = await citra.send_file(pdf_bytes(), name="dari-citra.pdf", mime=PDF,
                                    caption="K3-12")
    assert "Berkas masuk untuk K3-12" in receipt[-1].text
    await tick_now(world.deps)
    await town.deliver()
    assert "masuk dari Citra setelah 14 menit" in sari.last().text


async def test_the_calendar_walk_and_the_report_the_morning_after(town: Town) -> None:
    """H-3 … the morning after: calls repeat only in hari H mode (from local midnight of
    H-1 to the end of hari H); the report comes at the first reminder time after it."""
    world = town
    world.clock.set(datetime(2025, 5, 13, 9, 0, tzinfo=WITA))  # H-3
    citra = await town.member("Citra")
    ani = await town.member("Ani")
    sari = await secretariat(town)
    await approved(town, ani, citra, "K3-17a", "ktr.pdf")
    await sari.say("/butuh K1-4")  # Budi never answers
    assert await calls_to(town, "Budi") == 1
    world.clock.advance(timedelta(minutes=30))
    await tick_now(world.deps)
    assert await calls_to(town, "Budi") == 1  # H-3: not hari H mode, no repeats

    world.clock.set(datetime(2025, 5, 14, 23, 55, tzinfo=WITA))  # H-2, late
    await tick_now(world.deps)
    assert await calls_to(town, "Budi") == 1
    world.clock.set(datetime(2025, 5, 15, 0, 0, tzinfo=WITA))  # H-1 begins: the mode is on
    await tick_now(world.deps)
    assert await calls_to(town, "Budi") == 2  # at midnight too: urgent ignores quiet hours
    assert "Mode hari H aktif" in (await sari.say("/harih"))[0].text

    world.clock.set(HARI_H_MORNING)
    await sari.say("/cari 17")
    await sari.say("/cari K3-12")
    await tick_now(world.deps)
    assert await calls_to(town, "Budi") == 3

    world.clock.set(datetime(2025, 5, 17, 0, 0, tzinfo=WITA))  # hari H is over
    await tick_now(world.deps)
    assert await calls_to(town, "Budi") == 3
    world.clock.set(datetime(2025, 5, 17, 7, 59, tzinfo=WITA))
    assert (await tick_now(world.deps)).reports == 0
    world.clock.set(datetime(2025, 5, 17, 8, 0, tzinfo=WITA))
    assert (await tick_now(world.deps)).reports == 1
    assert (await tick_now(world.deps)).reports == 0  # once
    await town.deliver()
    report = sari.last_with("Laporan hari H").text
    assert "Dicari: 2 kali, 1 di antaranya langsung ada berkasnya." in report
    assert "Diminta mendesak: 1 tugas, 0 terjawab." in report
    assert "K1-4: tidak terjawab" in report
    assert "Masih belum disetujui: 2 tugas (K1-4, K3-12)" in report


async def test_the_secretariat_switches_the_mode_by_hand(town: Town) -> None:
    world = town
    sari = await secretariat(town)
    citra = await town.member("Citra")
    assert "mode hari H mulai" in (await sari.say("/harih"))[0].text  # H-11
    assert "aktif" in (await sari.say("/harih mulai"))[-1].text
    assert "Mode hari H aktif" in (await citra.say("/harih"))[0].text
    assert "sekretariat" in (await citra.say("/harih selesai"))[-1].text.lower()
    assert "dimatikan" in (await sari.say("/harih selesai"))[-1].text
    assert "mode hari H mulai" in (await citra.say("/harih"))[0].text
    await sari.say("/harih mulai")  # a drill on H-11 ends with hari H at the latest
    world.clock.set(datetime(2025, 5, 16, 23, 59, tzinfo=WITA))
    assert "Mode hari H aktif" in (await citra.say("/harih"))[0].text
    world.clock.set(datetime(2025, 5, 17, 0, 0, tzinfo=WITA))
    assert "Mode hari H aktif" not in (await citra.say("/harih"))[0].text
    async with world.deps.db.transaction() as s:
        actions = list(await s.scalars(select(AuditEvent.action).where(
            AuditEvent.action.like("harih.o%")).order_by(AuditEvent.id)))
    assert actions == ["harih.on", "harih.off", "harih.on"]


async def test_a_call_that_cannot_be_made_is_refused_politely(town: Town) -> None:
    citra = await town.member("Citra")
    ani = await town.member("Ani")
    sari = await secretariat(town)
    await approved(town, ani, citra, "K3-17a", "ktr.pdf")
    await ani.send_file(pdf_bytes(), name="persalinan.pdf", mime=PDF, caption="K3-12")
    assert "Tulis kode tugasnya" in (await sari.say("/butuh"))[-1].text
    assert "Tidak ada tugas dengan kode “K9-99”" in (await sari.say("/butuh K9-99"))[-1].text
    assert "/cari K3-17a" in (await sari.say("/butuh K3-17a"))[-1].text  # already approved
    assert "/tinjau" in (await sari.say("/butuh K3-12"))[-1].text  # waiting for review
    async with town.deps.db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(UrgentRequest)) == 0
