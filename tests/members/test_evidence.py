"""Evidence from the chat: every way a file finds its task, and every refusal."""

from __future__ import annotations

import asyncio
import hashlib
import re

from sqlalchemy import select

from kla_bot.models import AuditEvent, Member, OutboxMessage, PendingChoice
from kla_bot.services.status import build_status
from tests.members.conftest import World, jpeg_bytes, pdf_bytes


async def registered(world: World, name: str, user_id: int):  # type: ignore[no-untyped-def]
    user = world.user(name, user_id)
    await world.link(name, user)
    return world.chat(user)


async def test_pdf_replying_to_a_task_message_lands_on_that_task(world: World) -> None:
    citra = await registered(world, "Citra", 5003)
    ani = await registered(world, "Ani", 5001)
    await world.do(ani.send("/tugas"))
    await world.do(ani.press(ani.last(), "📎 Kirim berkas K3-17a"))
    prompt = ani.last()
    assert "Silakan kirim berkas data dukung untuk K3-17a" in prompt.plain
    await world.do(ani.send("/batal"))  # the reply alone must be enough
    data = pdf_bytes(text="perbup ktr")
    await world.do(ani.send_document(data, file_name="../Perbup KTR<final>.pdf",
                                     reply_to=prompt.message_id))
    receipt = ani.last_text()
    sha = hashlib.sha256(data).hexdigest()
    assert "Berkas masuk untuk K3-17a" in receipt and sha[:12] in receipt
    assert "Perbup KTR_final_.pdf" in receipt and "menunggu tinjauan" in receipt
    assert (await world.task("K3-17a")).state == "submitted"
    async with world.deps.db.transaction() as s:
        status = await build_status(s, world.deps.workspace, world.deps.settings,
                                    world.clock.now())
    lines = status.to_json()["evidence"]
    assert [(e["task"], e["sha256"], e["bytes"]) for e in lines] == [("K3-17a", sha, len(data))]
    assert world.stored_files() == [
        world.deps.storage_dir / sha[:2] / sha]
    assert (world.deps.storage_dir / sha[:2] / sha).read_bytes() == data
    # the coordinator of K3 is notified through the outbox, with the documented payload
    row = await world.scalar(select(OutboxMessage))
    assert row.kind == "evidence.submitted"
    assert await world.scalar(
        select(Member.chat_id).where(Member.id == row.recipient_id)) == citra.chat_id
    assert row.payload["task_ids"] == [world.tasks["K3-17a"]]
    assert row.payload["sha256"] == sha and row.payload["cluster"] == "K3"
    assert row.payload["storage_key"] == f"{sha[:2]}/{sha}"
    audit = await world.scalar(select(AuditEvent).where(AuditEvent.action == "evidence.uploaded"))
    assert audit.details["sha256"] == sha


async def test_caption_code_in_any_case(world: World) -> None:
    ani = await registered(world, "Ani", 5001)
    await world.do(ani.send_document(pdf_bytes(), file_name="x.pdf", caption="ini untuk k3-12."))
    assert "Berkas masuk untuk K3-12" in ani.last_text()
    assert (await world.task("K3-12")).state == "submitted"


async def test_send_button_then_file_and_photo(world: World) -> None:
    ani = await registered(world, "Ani", 5001)
    await world.do(ani.send("/tugas"))
    await world.do(ani.press(ani.last(), "📎 Kirim berkas K3-12"))
    await world.do(ani.send_photo(jpeg_bytes()))
    assert "Berkas masuk untuk K3-12" in ani.last_text()
    await world.do(ani.send_document(pdf_bytes(2), file_name="b.pdf"))
    assert "Berkas masuk untuk K3-12" in ani.last_text()
    evidence = await world.evidence()
    assert [e.mime for e in evidence] == ["image/jpeg", "application/pdf"]
    assert evidence[0].original_name.startswith("K3-12-") and evidence[0].original_name.endswith(
        ".jpg")


async def test_one_open_task_is_confirmed_never_guessed(world: World) -> None:
    budi = await registered(world, "Budi", 5002)
    await world.do(budi.send_document(pdf_bytes(), file_name="akta.pdf"))
    question = budi.last()
    assert "Apakah berkas ini data dukung untuk tugas K1-4" in question.plain
    assert await world.evidence() == []
    await world.do(budi.press(question, "✅ Ya, untuk K1-4"))
    assert "Berkas masuk untuk K1-4" in budi.last_text()
    assert len(await world.evidence()) == 1
    assert await world.count(PendingChoice) == 0


async def test_several_tasks_ask_which_one(world: World) -> None:
    ani = await registered(world, "Ani", 5001)
    await world.do(ani.send_document(pdf_bytes(), file_name="a.pdf"))
    question = ani.last()
    assert "untuk tugas yang mana" in question.plain
    assert question.callback_data[:2] == [f"ev:pick:{world.tasks['K3-12']}",
                                          f"ev:pick:{world.tasks['K3-17a']}"]
    assert await world.evidence() == []
    await world.do(ani.press(question, 1))
    assert "Berkas masuk untuk K3-17a" in ani.last_text()
    # a stale press afterwards changes nothing
    await world.do(ani.press_data(question, f"ev:pick:{world.tasks['K3-12']}"))
    assert "Tidak ada berkas yang menunggu" in ani.callback_answers()[-1].text
    assert len(await world.evidence()) == 1


async def test_cancel_drops_the_waiting_file(world: World) -> None:
    ani = await registered(world, "Ani", 5001)
    await world.do(ani.send_document(pdf_bytes(), file_name="a.pdf"))
    await world.do(ani.send("/batal"))
    assert "Dibatalkan" in ani.last_text() and "1" in ani.last_text()
    await world.do(ani.send("/batal"))
    assert "Tidak ada yang perlu dibatalkan" in ani.last_text()
    assert await world.evidence() == []


async def test_album_with_caption_on_one_part_keeps_every_file(world: World) -> None:
    ani = await registered(world, "Ani", 5001)
    photos = [jpeg_bytes((i * 40, 10, 10)) for i in range(3)]
    parts = [ani.send_photo(photos[0], media_group_id="g1"),
             ani.send_photo(photos[1], media_group_id="g1", caption="K3-17a"),
             ani.send_photo(photos[2], media_group_id="g1")]
    await asyncio.gather(*(world.do(u) for u in parts))
    evidence = await world.evidence()
    assert len(evidence) == 3
    assert {e.task_id for e in evidence} == {world.tasks["K3-17a"]}
    assert {e.sha256 for e in evidence} == {hashlib.sha256(p).hexdigest() for p in photos}


async def test_album_without_caption_is_asked_once(world: World) -> None:
    ani = await registered(world, "Ani", 5001)
    for i in range(3):
        await world.do(ani.send_document(pdf_bytes(i + 1), file_name=f"{i}.pdf",
                                         media_group_id="g2"))
    questions = [m for m in ani.messages() if "yang mana" in m.plain]
    assert len(questions) == 1
    await world.do(ani.press(questions[0], 0))
    assert len(await world.evidence()) == 3


async def test_refusals_by_content(world: World) -> None:
    ani = await registered(world, "Ani", 5001)
    cases = [
        (b"MZ\x90\x00" + b"\x00" * 4000, "jenis berkas ini tidak diterima"),  # .exe as .pdf
        (b"%PDF-1.4\n1 0 obj garbage", "pdf ini tidak bisa dibuka"),
        (b"", "kosong"),
        (jpeg_bytes()[:400], "tidak utuh"),
        (b"#!/bin/sh\nrm -rf /\n", "jenis berkas ini tidak diterima"),
    ]
    for data, expected in cases:
        await world.do(ani.send_document(data, file_name="bukti.pdf", caption="K3-12"))
        assert expected in ani.last_text().lower(), ani.last_text()
        if "tidak diterima" in expected:
            assert "PDF, JPG, PNG" in ani.last_text()
    assert await world.evidence() == []
    assert world.stored_files() == []
    assert list((world.deps.storage_dir / "tmp").iterdir()) == []
    assert (await world.task("K3-12")).state == "open"


async def test_too_large_is_refused_without_any_download(world: World) -> None:
    ani = await registered(world, "Ani", 5001)
    update = ani.send_document(pdf_bytes(), file_name="besar.pdf", caption="K3-12",
                               claimed_size=25 * 1024 * 1024)
    await world.do(update)
    assert "lebih dari 20 MB" in ani.last_text() and "Kompres" in ani.last_text()
    assert world.state.get_file_count(update.message.document.file_id) == 0
    assert world.state.calls_to("getFile") == []


async def test_same_file_twice_is_stored_once(world: World) -> None:
    ani = await registered(world, "Ani", 5001)
    data = pdf_bytes(3)
    await world.do(ani.send_document(data, file_name="a.pdf", caption="K3-12"))
    await world.do(ani.send_document(data, file_name="copy.pdf", caption="K3-12"))
    assert "sudah pernah masuk" in ani.last_text() and "a.pdf" in ani.last_text()
    assert len(await world.evidence()) == 1
    assert len(world.stored_files()) == 1
    assert await world.count(AuditEvent) == 1


async def test_two_members_upload_at_the_same_time(world: World) -> None:
    ani = await registered(world, "Ani", 5001)
    budi = await registered(world, "Budi", 5002)
    a, b = pdf_bytes(4), pdf_bytes(5)
    await asyncio.gather(
        world.do(ani.send_document(a, file_name="a.pdf", caption="K3-17a")),
        world.do(budi.send_document(b, file_name="b.pdf", caption="K1-4")))
    evidence = await world.evidence()
    assert sorted((e.task_id, e.sha256) for e in evidence) == sorted([
        (world.tasks["K3-17a"], hashlib.sha256(a).hexdigest()),
        (world.tasks["K1-4"], hashlib.sha256(b).hexdigest())])
    assert "Berkas masuk untuk K3-17a" in ani.last_text()
    assert "Berkas masuk untuk K1-4" in budi.last_text()


async def test_strangers_and_other_peoples_tasks_are_refused(world: World) -> None:
    stranger = world.chat(world.user("X", 5100))
    await world.do(stranger.send_document(pdf_bytes(), file_name="a.pdf", caption="K3-12"))
    assert "belum terdaftar" in stranger.last_text()
    budi = await registered(world, "Budi", 5002)
    await world.do(budi.send_document(pdf_bytes(), file_name="a.pdf", caption="K3-12"))
    assert "bukan tugas Bapak/Ibu" in budi.last_text()
    await world.do(budi.press_data(budi.last(), f"ev:pick:{world.tasks['K3-12']}"))
    assert "bukan tugas Bapak/Ibu" in budi.callback_answers()[-1].text
    await world.do(budi.press_data(budi.last(), f"tk:send:{world.tasks['K3-12']}"))
    assert "bukan tugas Bapak/Ibu" in budi.callback_answers()[-1].text
    assert await world.evidence() == []


async def test_approved_task_takes_no_more_evidence(world: World) -> None:
    ani = await registered(world, "Ani", 5001)
    async with world.deps.db.transaction() as s:
        from kla_bot.models import Task

        task = await s.get(Task, world.tasks["K3-12"])
        assert task is not None
        task.state = "approved"
    await world.do(ani.send_document(pdf_bytes(), file_name="a.pdf", caption="K3-12"))
    assert "sudah disetujui" in ani.last_text()
    assert await world.evidence() == []


async def test_download_failure_midway_keeps_nothing(world: World) -> None:
    ani = await registered(world, "Ani", 5001)

    class Broken:
        async def stream(self, file_path: str):  # type: ignore[no-untyped-def]
            yield b"%PDF-1.4\n" + b"x" * 70000
            raise ConnectionError("network gone")

        async def aclose(self) -> None:
            """Nothing to close."""

    world.deps.file_source = Broken()
    await world.do(ani.send_document(pdf_bytes(), file_name="a.pdf", caption="K3-12"))
    assert "kirim sekali lagi" in ani.last_text()
    assert await world.evidence() == [] and world.stored_files() == []
    assert list((world.deps.storage_dir / "tmp").iterdir()) == []


async def test_group_files_only_when_addressed_to_the_bot(world: World) -> None:
    ani_user = world.user("Ani", 5001)
    await world.link("Ani", ani_user)
    group = world.state.add_group("Gugus Tugas KLA")
    in_group = world.state.chat(ani_user, group)
    mark = world.state.mark()
    await world.do(in_group.send_document(pdf_bytes(), file_name="a.pdf"))
    in_group.expect_no_messages_since(mark)
    in_group.expect_no_messages_since(mark)
    ani_user.started = True  # she registered in her private chat with the bot
    await world.do(in_group.send("/tugas@kla_test_bot"))
    note = in_group.last()  # the task list is personal: it went to the private chat
    assert note.plain == "Jawaban dikirim lewat pesan pribadi."
    assert "K3-12" in world.chat(ani_user).last().plain
    mark = world.state.mark()
    await world.do(in_group.send_document(pdf_bytes(), file_name="a.pdf", caption="K3-12",
                                          reply_to=note.message_id))
    # The receipt names her task and file: it goes to her private chat; the group hears only
    # that the task got a file.
    assert "Berkas masuk untuk K3-12" in world.chat(ani_user).last_text()
    assert [m.plain for m in in_group.since(mark)] == ["📥 Berkas masuk untuk K3-12."]
    assert len(await world.evidence()) == 1


async def test_in_a_group_which_task_is_asked_privately(world: World) -> None:
    ani_user = world.user("Ani", 5001)
    await world.link("Ani", ani_user)
    ani_user.started = True
    group = world.state.add_group("Gugus Tugas KLA")
    in_group = world.state.chat(ani_user, group)
    await world.do(in_group.send("/bantuan@kla_test_bot"))
    help_message = in_group.last()
    mark = world.state.mark()
    # Privacy mode shows the bot a file in a group only as a reply to the bot's own message.
    assert await world.do(in_group.send_document(pdf_bytes(), file_name="a.pdf",
                                                 reply_to=help_message.message_id))
    in_group.expect_no_messages_since(mark)  # her task list never reaches the group
    question = world.chat(ani_user).last()
    assert "K3-12" in " ".join(question.buttons)
    await world.do(world.chat(ani_user).press(question, 0))
    assert "Berkas masuk untuk" in world.chat(ani_user).last_text()
    in_group.expect_no_messages_since(mark)


async def test_a_stranger_in_a_group_is_asked_to_open_a_private_chat(world: World) -> None:
    stranger = world.user("Tamu", 5999)
    group = world.state.add_group("Gugus Tugas KLA")
    in_group = world.state.chat(stranger, group)
    await world.do(in_group.send("/bantuan@kla_test_bot"))
    help_message = in_group.last()
    assert await world.do(in_group.send_document(pdf_bytes(), file_name="a.pdf", caption="K3-12",
                                                 reply_to=help_message.message_id))
    assert "percakapan pribadi" in in_group.last_text()
    assert not re.search(r"K3-12 |\+62|08\d", in_group.last_text())
    assert await world.evidence() == []
