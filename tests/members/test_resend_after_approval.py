"""A file sent in the "send evidence" window of a task that was approved meanwhile is not
dropped: it is placed by the normal rules among the member's other open tasks."""

from __future__ import annotations

from sqlalchemy import select

from kla_bot.models import Evidence, Member
from kla_bot.services import review
from tests.members.conftest import World, pdf_bytes


async def _approve_first_file(world: World) -> None:
    """Citra, the K3 coordinator, approves the file waiting for K3-17a."""
    async with world.deps.db.transaction() as s:
        citra = await s.get(Member, world.members["Citra"])
        evidence = await s.scalar(select(Evidence.id))
        assert citra is not None and evidence is not None
        decision = await review.accept(s, world.deps.workspace, citra, evidence,
                                       world.clock.now())
        assert decision.outcome == "accepted"


async def test_a_file_for_a_task_approved_meanwhile_is_asked_about_not_dropped(
        world: World) -> None:
    ani = world.user("Ani", 5001)
    await world.link("Ani", ani)
    chat = world.chat(ani)
    await world.do(chat.send_document(pdf_bytes(text="perbup"), file_name="perbup.pdf",
                                      caption="K3-17a"))
    await world.do(chat.send("/tugas"))
    await world.do(chat.press(chat.last(), "📎 Kirim berkas K3-17a"))
    await _approve_first_file(world)
    await world.do(chat.send_document(pdf_bytes(text="persalinan"), file_name="data.pdf"))
    question = chat.last()
    assert "sudah disetujui" not in question.plain
    assert "K3-12" in question.plain and question.buttons  # her one other open task
    await world.do(chat.press(question, 0))
    assert (await world.task("K3-12")).state == "submitted"
    # The window of the approved task is over: the next file is asked about too.
    await world.do(chat.send_document(pdf_bytes(text="lagi"), file_name="lagi.pdf"))
    assert "sudah disetujui" not in chat.last().plain


async def test_with_no_other_open_task_the_member_hears_it_was_approved(world: World) -> None:
    ani = world.user("Ani", 5001)
    await world.link("Ani", ani)
    chat = world.chat(ani)
    await world.do(chat.send_document(pdf_bytes(text="data"), file_name="data.pdf",
                                      caption="K3-12"))
    await world.do(chat.send_document(pdf_bytes(text="perbup"), file_name="perbup.pdf",
                                      caption="K3-17a"))
    await world.do(chat.send("/tugas"))
    await world.do(chat.press(chat.last(), "📎 Kirim berkas K3-17a"))
    async with world.deps.db.transaction() as s:
        citra = await s.get(Member, world.members["Citra"])
        assert citra is not None
        for evidence in list(await s.scalars(select(Evidence.id))):
            await review.accept(s, world.deps.workspace, citra, evidence, world.clock.now())
    await world.do(chat.send_document(pdf_bytes(text="lagi"), file_name="lagi.pdf"))
    assert "K3-17a sudah disetujui" in chat.last().plain
