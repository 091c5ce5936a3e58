"""What people see of a file's facts, against the stand-in: the member's receipt notes a date
outside the task's period (2024: the year before the verification of 16 May 2025) or a poor
image, kindly, and the file is accepted all the same; the reviewer's card (the notice and
/tinjau) shows type, pages, the date found with the period check, quality flags and the same
file sent for another task."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from handlers.review import card
from kla_bot.i18n import translator
from kla_bot.models import OutboxMessage, Task
from kla_bot.services.outbox_kinds import EvidenceSubmitted
from tests import factmakers as fm
from tests.members.conftest import World
from tests.members.test_evidence import registered

OUTSIDE = "di luar periode 2024 — tetap kami terima; pastikan ini berkas yang tepat."


async def cards(world: World) -> list[str]:
    """The reviewer's card of every upload notice, as the coordinator reads it."""
    async with world.deps.db.transaction() as s:
        rows = list(await s.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "evidence.submitted").order_by(OutboxMessage.id)))
    return [card(EvidenceSubmitted.from_json(row.payload), translator("id")) for row in rows]


async def test_a_photo_taken_outside_the_period_is_accepted_with_a_kind_note(
        world: World) -> None:
    await registered(world, "Citra", 5003)
    ani = await registered(world, "Ani", 5001)
    await world.do(ani.send_photo(fm.jpeg(taken="2021:03:03 10:15:00"), caption="K3-17a"))
    receipt = ani.last_text()
    assert "Berkas masuk untuk K3-17a" in receipt
    assert f"Catatan: foto ini diambil 3 Maret 2021, {OUTSIDE}" in receipt
    assert (await world.task("K3-17a")).state == "submitted"
    [evidence] = await world.evidence()
    assert evidence.facts is not None and evidence.facts["dates"] == [
        {"source": "exif", "date": "2021-03-03"}]
    [shown] = await cards(world)
    assert "🔎 Gambar · ⚠️ foto diambil 3 Maret 2021 — di luar periode 2024" in shown


async def test_a_photo_taken_inside_the_period_gets_no_note(world: World) -> None:
    await registered(world, "Citra", 5003)  # the K3 coordinator gets the cards
    ani = await registered(world, "Ani", 5001)
    await world.do(ani.send_photo(fm.jpeg(taken="2024:08:17 09:00:00"), caption="K3-17a"))
    receipt = ani.last_text()
    assert "Berkas masuk untuk K3-17a" in receipt and "Catatan" not in receipt
    [shown] = await cards(world)
    assert "foto diambil 17 Agustus 2024 — dalam periode 2024" in shown


async def test_pdf_creation_date_outside_and_inside(world: World) -> None:
    await registered(world, "Citra", 5003)  # the K3 coordinator gets the cards
    ani = await registered(world, "Ani", 5001)
    await world.do(ani.send_document(fm.dated_pdf(created="D:20210303101500+07'00'", pages=3),
                                     file_name="laporan.pdf", caption="K3-17a"))
    assert f"Catatan: PDF ini dibuat 3 Maret 2021, {OUTSIDE}" in ani.last_text()
    await world.do(ani.send_document(fm.dated_pdf(created="D:20240615"),
                                     file_name="data.pdf", caption="K3-12"))
    assert "Catatan" not in ani.last_text()
    first, second = await cards(world)
    assert "🔎 PDF · 3 halaman · ⚠️ PDF dibuat 3 Maret 2021 — di luar periode 2024" in first
    assert "🔎 PDF · 1 halaman · PDF dibuat 15 Juni 2024 — dalam periode 2024" in second


async def test_a_date_on_the_first_page_counts_and_can_vouch_for_a_late_scan(
        world: World) -> None:
    """A 2024 decree scanned in 2025: the date written on it is inside the period."""
    await registered(world, "Citra", 5003)  # the K3 coordinator gets the cards
    ani = await registered(world, "Ani", 5001)
    decree = fm.dated_pdf("Ditetapkan di Cibinong pada tanggal 3 Maret 2024",
                          created="D:20250210")
    await world.do(ani.send_document(decree, file_name="perbup.pdf", caption="K3-17a"))
    assert "Catatan" not in ani.last_text()
    old = fm.dated_pdf("Ditetapkan tanggal 12 Januari 2022")
    await world.do(ani.send_document(old, file_name="lama.pdf", caption="K3-12"))
    assert ("Catatan: tanggal di halaman pertama berkas ini 12 Januari 2022, "
            f"{OUTSIDE}") in ani.last_text()
    first, second = await cards(world)
    assert "tertulis tanggal 3 Maret 2024 — dalam periode 2024" in first
    assert "⚠️ tertulis tanggal 12 Januari 2022 — di luar periode 2024" in second


async def test_office_file_created_outside_the_period(world: World) -> None:
    await registered(world, "Citra", 5003)  # the K3 coordinator gets the cards
    ani = await registered(world, "Ani", 5001)
    await world.do(ani.send_document(fm.dated_office("xlsx", "2021-03-03T10:15:00Z"),
                                     file_name="rekap.xlsx", caption="K3-12"))
    assert f"Catatan: dokumen ini dibuat 3 Maret 2021, {OUTSIDE}" in ani.last_text()
    [shown] = await cards(world)
    assert "🔎 Dokumen Office · ⚠️ dokumen dibuat 3 Maret 2021 — di luar periode 2024" in shown


async def test_blurred_dark_and_tiny_images_are_accepted_and_flagged(world: World) -> None:
    await registered(world, "Citra", 5003)  # the K3 coordinator gets the cards
    ani = await registered(world, "Ani", 5001)
    budi = await registered(world, "Budi", 5002)
    await world.do(ani.send_photo(fm.jpeg(fm.blurred()), caption="K3-17a"))
    assert "Catatan: gambar ini tampak buram — tetap kami terima" in ani.last_text()
    await world.do(ani.send_document(fm.jpeg(fm.dark()), file_name="gelap.jpg", caption="K3-12"))
    assert "Catatan: gambar ini tampak sangat gelap — tetap kami terima" in ani.last_text()
    await world.do(budi.send_photo(fm.jpeg(fm.page((300, 400))), caption="K1-4"))
    assert "Catatan: gambar ini tampak sangat kecil — tetap kami terima" in budi.last_text()
    assert [(await world.task(code)).state for code in ("K3-17a", "K3-12", "K1-4")] == [
        "submitted"] * 3
    blurred, darker = await cards(world)  # Budi's K1 has no coordinator to tell
    assert "⚠️ Gambar tampak buram: periksa apakah masih terbaca." in blurred
    assert "⚠️ Gambar tampak sangat gelap: periksa apakah masih terbaca." in darker


async def test_the_same_file_for_another_task_shows_on_the_card_and_in_tinjau(
        world: World) -> None:
    citra = await registered(world, "Citra", 5003)
    ani = await registered(world, "Ani", 5001)
    data = fm.jpeg(taken="2024:05:01 08:00:00")
    await world.do(ani.send_photo(data, caption="K3-17a"))
    await world.do(ani.send_photo(data, caption="K3-12"))
    assert "Berkas masuk untuk K3-12" in ani.last_text()  # a new task: taken, not refused
    first, second = await cards(world)
    assert "♻️ Berkas yang sama juga dikirim untuk K3-17a." in second
    assert "juga dikirim" not in first  # the card went out before the second upload
    await world.do(citra.send("/tinjau"))
    listed = [m.plain for m in citra.messages() if "🔎" in m.plain]
    assert len(listed) == 2
    assert "♻️ Berkas yang sama juga dikirim untuk K3-12." in listed[0]
    assert "♻️ Berkas yang sama juga dikirim untuk K3-17a." in listed[1]
    assert all("foto diambil 1 Mei 2024 — dalam periode 2024" in text for text in listed)


async def test_a_task_with_its_own_period_is_checked_against_it(world: World) -> None:
    async with world.deps.db.transaction() as s:
        task = await s.get(Task, world.tasks["K3-17a"])
        assert task is not None
        task.period_start, task.period_end = date(2024, 1, 1), date(2024, 6, 30)
    await registered(world, "Citra", 5003)  # the K3 coordinator gets the cards
    ani = await registered(world, "Ani", 5001)
    await world.do(ani.send_photo(fm.jpeg(taken="2024:08:17 09:00:00"), caption="K3-17a"))
    assert ("Catatan: foto ini diambil 17 Agustus 2024, di luar periode 1 Januari 2024 s.d. "
            "30 Juni 2024") in ani.last_text()


async def test_a_nonsense_creation_date_is_no_date(world: World) -> None:
    await registered(world, "Citra", 5003)  # the K3 coordinator gets the cards
    ani = await registered(world, "Ani", 5001)
    await world.do(ani.send_document(fm.dated_pdf(created="D:99999999"), file_name="x.pdf",
                                     caption="K3-17a"))
    assert "Berkas masuk untuk K3-17a" in ani.last_text() and "Catatan" not in ani.last_text()
    [shown] = await cards(world)
    assert "🔎 PDF · 1 halaman · tanggal tidak ditemukan" in shown


async def test_facts_that_cannot_be_read_change_nothing(world: World, monkeypatch) -> None:
    """The sandbox gave up on the file (time, memory, a parser's crash): filed like any
    other, no note, no facts line on the card."""
    from kla_bot.services import intake_record

    monkeypatch.setattr(intake_record, "read_facts_safely", lambda path, mime: None)
    await registered(world, "Citra", 5003)
    ani = await registered(world, "Ani", 5001)
    await world.do(ani.send_photo(fm.jpeg(fm.blurred(), taken="2021:03:03 10:15:00"),
                                  caption="K3-17a"))
    assert "Berkas masuk untuk K3-17a" in ani.last_text() and "Catatan" not in ani.last_text()
    assert (await world.task("K3-17a")).state == "submitted"
    [evidence] = await world.evidence()
    assert evidence.facts is None
    [shown] = await cards(world)
    assert "🔎" not in shown and "Berkas:" in shown
