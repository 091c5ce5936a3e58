"""The conversation, once, on every channel: registration, tasks, evidence by reply, caption
and choice, review, status, the morning digest and a file replying to it. A behaviour that
differs by channel is tested in its channel's folder; here only what a member sees the same
way everywhere."""

from __future__ import annotations

from handlers.remind import queue_due_now
from kla_bot.models import Evidence
from kla_bot.services.outbox_kinds import OutboxKind
from tests.both.conftest import Town
from tests.members.conftest import jpeg_bytes, pdf_bytes

PDF = "application/pdf"


async def test_registering_greets_by_name_and_lists_the_tasks(town: Town) -> None:
    ani = town.phone("Ani")
    answers = await ani.register()
    assert any("Ani (Dinas Kesehatan)" in s.text and "terdaftar" in s.text for s in answers)
    assert "K3-17a" in answers[-1].text and "K3-12" in answers[-1].text


async def test_tasks_come_with_a_send_choice_each(town: Town) -> None:
    ani = await town.member("Ani")
    listing = (await ani.say("/tugas"))[-1]
    assert "K3-17a" in listing.text and "Perbup Kawasan Tanpa Rokok" in listing.text
    assert any("K3-17a" in c for c in listing.choices)
    assert any("K3-12" in c for c in listing.choices)


async def test_evidence_replying_to_the_prompt_lands_on_its_task(town: Town) -> None:
    ani = await town.member("Ani")
    listing = (await ani.say("/tugas"))[-1]
    prompt = (await ani.press(listing, "K3-17a"))[-1]
    assert "K3-17a" in prompt.text
    receipt = await ani.send_file(pdf_bytes(text="perbup"), name="Perbup KTR.pdf", mime=PDF,
                                  reply_to=prompt)
    assert "Berkas masuk untuk K3-17a" in receipt[-1].text
    assert (await town.task("K3-17a")).state == "submitted"


async def test_evidence_with_a_task_code_in_the_caption(town: Town) -> None:
    ani = await town.member("Ani")
    receipt = await ani.send_file(pdf_bytes(), name="data.pdf", mime=PDF, caption="ini k3-12")
    assert "Berkas masuk untuk K3-12" in receipt[-1].text
    assert (await town.task("K3-12")).state == "submitted"


async def test_evidence_without_a_hint_asks_which_task(town: Town) -> None:
    ani = await town.member("Ani")
    question = (await ani.send_file(jpeg_bytes(), name="foto.jpg", mime="image/jpeg"))[-1]
    assert any("K3-12" in c for c in question.choices)
    assert await town.count(Evidence) == 0  # nothing recorded before the choice
    receipt = await ani.press(question, "K3-12")
    assert "Berkas masuk untuk K3-12" in receipt[-1].text
    assert (await town.task("K3-12")).state == "submitted"


async def test_a_coordinator_reviews_and_the_member_hears(town: Town) -> None:
    citra = await town.member("Citra")
    ani = await town.member("Ani")
    await ani.send_file(pdf_bytes(), name="ktr.pdf", mime=PDF, caption="K3-17a")
    await town.deliver()
    card = citra.last_with("K3-17a")
    answer = await citra.press(card, "Setujui")
    assert "disetujui" in answer[-1].text
    assert (await town.task("K3-17a")).state == "approved"
    await town.deliver()
    assert "disetujui oleh Citra" in ani.last_with("K3-17a").text


async def test_status_for_a_coordinator(town: Town) -> None:
    citra = await town.member("Citra")
    answers = await citra.say("/status")
    text = "\n".join(s.text for s in answers)
    assert "K3" in text and "H-" in text


async def test_a_stranger_is_told_how_to_join(town: Town) -> None:
    answers = await town.phone("Dewi").say("/tugas")
    assert any("Sekretariat" in s.text or "daftar" in s.text for s in answers)


async def test_the_morning_digest_and_a_file_replying_to_it(town: Town) -> None:
    ani = await town.member("Ani")
    await ani.send_file(pdf_bytes(), name="ktr.pdf", mime=PDF, caption="K3-17a")
    queued = await queue_due_now(town.deps)  # Monday 09:00 WITA: the 08:00 slot is due
    assert queued[OutboxKind.DIGEST].queued == 1
    assert await town.deliver() == 1
    digest = ani.last()
    assert digest.text.startswith("H-11 menuju verifikasi")
    assert "K3-12" in digest.text and "K3-17a" not in digest.text  # sent: no longer open
    assert digest.choices == ("📎 Kirim K3-12",)
    receipt = await ani.send_file(jpeg_bytes(), name="persalinan.jpg", mime="image/jpeg",
                                  reply_to=digest)
    assert "Berkas masuk untuk K3-12" in receipt[-1].text
    assert (await queue_due_now(town.deps))[OutboxKind.DIGEST].queued == 0  # once a day
