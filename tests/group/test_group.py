"""The task-force group against the Telegram stand-in: linking it (privacy mode on, and a bot
that reads everything), the morning progress post edited in place during the day and a new
one the next day, evidence by reply in the group with a private receipt, strangers told once,
``/status`` in the group, approval news (never a rejection)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.clock import ManualClock
from kla_bot.models import TaskForceGroup
from kla_bot.services.reminders import queue_due
from kla_bot.standin import BotApiStandin, StandinGroup
from tests.coordinators.chat import ChatWorld, chat_world
from tests.coordinators.helpers import (
    AHMAD,
    BUDI,
    NAMES,
    RINA,
    SITI,
    YUSUF,
    audit_actions,
    notify_coordinators,
    outbox_rows,
    pdf_bytes,
    put_evidence,
)
from tests.group.conftest import TYPED_REASON, group_texts
from tests.members.conftest import pdf_bytes as real_pdf


async def _linked(cw: ChatWorld, *, admin: bool = True) -> StandinGroup:
    group = cw.state.add_group("Gugus Tugas KLA Banjar")
    group.bot_admin = admin
    await cw.do(cw.state.chat(cw.chats[SITI].user, group).send("/hubungkan"))
    return group


async def _morning(cw: ChatWorld) -> None:
    deps = cw.world.deps
    async with deps.db.transaction() as s:
        await queue_due(s, deps.workspace, deps.settings, deps.clock.now())
    await cw.drain()


async def _approve(cw: ChatWorld, code: str = "K3-17a", who: int = RINA) -> None:
    ev = await put_evidence(cw.world, code, who, pdf_bytes(code), f"{code}.pdf")
    await notify_coordinators(cw.world, ev)
    await cw.drain()
    await cw.press(AHMAD, cw.last(AHMAD), "✅ Setujui")
    await cw.drain()


async def test_link_with_privacy_mode_on_says_exactly_what_to_change(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    group = await _linked(cw, admin=False)
    answer = standin.chat(cw.chats[SITI].user, group).last().plain
    assert "Grup Gugus Tugas KLA Banjar terhubung" in answer
    assert "/setprivacy" in answer and "admin" in answer and "@kla_test_bot" in answer
    async with cw.world.deps.db.transaction() as s:
        row = await s.scalar(select(TaskForceGroup))
    assert row is not None and row.chat == str(group.id) and row.regency_id is not None
    assert any(action == "group.link" for _, action, _ in await audit_actions(cw.world.deps))
    # Once the bot is made admin, linking again confirms it reads what it needs.
    group.bot_admin = True
    await cw.do(standin.chat(cw.chats[SITI].user, group).send("/hubungkan"))
    again = standin.chat(cw.chats[SITI].user, group).last().plain
    assert "sudah terhubung" in again and "dapat membaca pesan" in again
    assert "/setprivacy" not in again


async def test_link_when_privacy_mode_is_off(bot: KlaApplication,
                                             standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    standin.set_privacy_mode(False)
    group = await _linked(cw, admin=False)
    answer = standin.chat(cw.chats[SITI].user, group).last().plain
    assert "terhubung" in answer and "dapat membaca pesan" in answer
    assert "/setprivacy" not in answer


async def test_only_the_secretariat_links_and_unlinks(bot: KlaApplication,
                                                      standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    group = standin.add_group("Gugus Tugas KLA Banjar")
    ahmad = standin.chat(cw.chats[AHMAD].user, group)
    await cw.do(ahmad.send("/hubungkan"))
    assert "hanya sekretariat" in ahmad.last().plain
    private = await cw.say(SITI, "/hubungkan")
    assert "di dalam grup" in private[-1].plain
    async with cw.world.deps.db.transaction() as s:
        assert await s.scalar(select(TaskForceGroup)) is None
    await cw.do(standin.chat(cw.chats[SITI].user, group).send("/link"))
    await cw.do(ahmad.send("/putuskan"))
    assert "hanya sekretariat" in ahmad.last().plain
    done = await cw.say(SITI, "/putuskan")
    assert "tidak lagi terhubung" in done[-1].plain
    async with cw.world.deps.db.transaction() as s:
        assert await s.scalar(select(TaskForceGroup)) is None
    actions = [action for _, action, _ in await audit_actions(cw.world.deps)]
    assert actions.count("group.link") == 1 and actions.count("group.unlink") == 1


async def test_morning_post_is_edited_in_place_and_a_new_one_comes_next_day(
        bot: KlaApplication, standin: BotApiStandin, clock: ManualClock) -> None:
    cw = await chat_world(bot, standin)
    group = await _linked(cw)
    reader = standin.chat(cw.chats[BUDI].user, group)
    before = len(reader.messages())
    await _morning(cw)
    posts = reader.messages()[before:]
    assert len(posts) == 1
    post = posts[0]
    assert "H-11" in post.plain and "Per klaster" in post.plain and "K3 ▱▱▱▱▱▱▱▱▱▱" in post.plain
    assert "Belum ada tugas yang disetujui sejak kemarin" in post.plain
    await _morning(cw)  # a second firing (or a restart) the same morning posts nothing
    assert len(reader.messages()) == before + 1

    clock.advance(timedelta(hours=1))
    await _approve(cw)
    after = reader.messages()[before:]
    # The post was edited in place; the only new message is the approval news.
    assert after[0].message_id == post.message_id and post.history
    assert "Disetujui sejak kemarin: K3-17a" in post.plain and "Diperbarui" in post.plain
    assert "WITA" in post.plain.split("Diperbarui")[1]  # the zone's name, never "UTC+8"
    assert [m.plain for m in after[1:]] == [
        "✅ K3-17a disetujui — terima kasih, Rina Marlina!"]

    clock.advance(timedelta(days=1))  # Tuesday 10:00
    await _morning(cw)
    after = reader.messages()[before:]
    assert len(after) == 3 and after[2].message_id != post.message_id
    assert "H-10" in after[2].plain and "K3-17a" in after[2].plain  # approved yesterday
    assert len(await outbox_rows(cw.world.deps, "group.progress")) == 3


async def test_evidence_by_reply_in_the_group_gets_a_private_receipt(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    group = await _linked(cw, admin=False)  # privacy mode on: replies to the bot still work
    await _morning(cw)
    rina = standin.chat(cw.chats[RINA].user, group)
    post = rina.last()
    mark = standin.mark()
    await cw.do(rina.send_document(real_pdf(text="perda ktr"), file_name="Perda KTR.pdf",
                                   caption="K3-17a", reply_to=post.message_id))
    receipt = cw.chats[RINA].since(mark)
    assert receipt and "Berkas masuk untuk K3-17a" in receipt[-1].plain
    assert "Perda KTR.pdf" in receipt[-1].plain
    assert [m.plain for m in rina.since(mark)] == ["📥 Berkas masuk untuk K3-17a."]


async def test_a_reply_to_the_groups_file_note_files_under_its_task(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    group = await _linked(cw, admin=False)
    rina = standin.chat(cw.chats[RINA].user, group)
    await cw.do(rina.send("/tugas"))  # answered privately; the group hears where it went
    await cw.do(rina.send_document(real_pdf(text="perda"), file_name="Perda.pdf",
                                   caption="K3-17a", reply_to=rina.last().message_id))
    note = rina.last()
    assert note.plain == "📥 Berkas masuk untuk K3-17a."
    mark = standin.mark()
    await cw.do(rina.send_document(real_pdf(text="lampiran"), file_name="Lampiran.pdf",
                                   reply_to=note.message_id))
    assert [m.plain for m in rina.since(mark)] == ["📥 Berkas masuk untuk K3-17a."]
    receipt = cw.chats[RINA].since(mark)[-1].plain
    assert "Berkas masuk untuk K3-17a" in receipt and "Lampiran.pdf" in receipt


async def test_strangers_in_the_group_are_told_how_to_register_once(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin, register=(SITI, AHMAD, RINA))
    group = await _linked(cw)
    # Yusuf pressed Start once but never registered: told privately, once.
    cw.chats[YUSUF].user.started = True
    yusuf = standin.chat(cw.chats[YUSUF].user, group)
    mark = standin.mark()
    for text in ("/tugas", "/status K3", "/tugas"):
        await cw.do(yusuf.send(text))
    await cw.do(yusuf.send_document(pdf_bytes("x"), file_name="x.pdf", caption="K3-17a"))
    private = [m.plain for m in cw.chats[YUSUF].since(mark)]
    assert len(private) == 1 and "belum terdaftar" in private[0] and "/start" in private[0]
    assert yusuf.since(mark) == []
    # Budi never opened the bot: one short word in the group, once.
    budi = standin.chat(cw.chats[BUDI].user, group)
    mark = standin.mark()
    await cw.do(budi.send("/tugas"))
    await cw.do(budi.send("/anggota"))
    said = [m.plain for m in budi.since(mark)]
    assert len(said) == 1 and "Buka percakapan pribadi dengan @kla_test_bot" in said[0]


async def test_status_in_the_group_is_the_summary_only(bot: KlaApplication,
                                                       standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    await put_evidence(cw.world, "K3-17a", RINA, pdf_bytes("perda"), "Perda KTR.pdf")
    group = await _linked(cw)
    ahmad = standin.chat(cw.chats[AHMAD].user, group)
    mark = standin.mark()
    await cw.do(ahmad.send("/status"))
    shown = ahmad.since(mark)
    assert len(shown) == 1
    assert "Per klaster" in shown[0].plain and "Poin disetujui" in shown[0].plain
    assert not any(name in shown[0].plain for name in NAMES.values())
    assert cw.chats[AHMAD].since(mark) == []  # nothing personal went anywhere
    # A cluster's detail names people: it goes privately, as before.
    mark = standin.mark()
    await cw.do(ahmad.send("/status K3"))
    assert [m.plain for m in ahmad.since(mark)] == ["Jawaban dikirim lewat pesan pribadi."]
    assert "Rina Marlina" in cw.chats[AHMAD].since(mark)[0].plain
    # In a group that is not linked, /status stays private too.
    other = standin.add_group("Grup lain")
    elsewhere = standin.chat(cw.chats[AHMAD].user, other)
    await cw.do(elsewhere.send("/status"))
    assert [m.plain for m in elsewhere.messages()] == ["Jawaban dikirim lewat pesan pribadi."]


async def test_rejections_are_never_announced(bot: KlaApplication,
                                              standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    group = await _linked(cw)
    await _morning(cw)
    reader = standin.chat(cw.chats[BUDI].user, group)
    before = [(m.message_id, m.body) for m in reader.messages()]
    ev = await put_evidence(cw.world, "K3-17a", RINA, pdf_bytes("x"), "x.pdf")
    await notify_coordinators(cw.world, ev)
    await cw.drain()
    prompt = (await cw.press(AHMAD, cw.last(AHMAD), "❌ Tolak"))[-1]
    await cw.say(AHMAD, TYPED_REASON, reply_to=prompt)
    await cw.drain()
    assert [(m.message_id, m.body) for m in reader.messages()] == before
    assert TYPED_REASON in cw.chats[RINA].last().plain  # the member hears why, privately
    assert await outbox_rows(cw.world.deps, "group.approval") == []


async def test_approval_news_can_be_turned_off(bot: KlaApplication,
                                               standin: BotApiStandin) -> None:
    deps = bot.bot_data.deps
    deps.settings = deps.settings.replace(group={"announce_approvals": False})
    cw = await chat_world(bot, standin)
    group = await _linked(cw)
    await _morning(cw)
    await _approve(cw)
    texts = [m.plain for m in standin.chat(cw.chats[BUDI].user, group).messages()]
    assert not any("terima kasih" in text for text in texts)
    assert any("Disetujui sejak kemarin: K3-17a" in text for text in texts)  # the post, edited
    assert group_texts(standin)


async def test_linking_another_group_replaces_the_first(bot: KlaApplication,
                                                        standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    await _linked(cw)
    second = standin.add_group("Gugus Tugas KLA Banjar (baru)")
    siti = standin.chat(cw.chats[SITI].user, second)
    await cw.do(siti.send("/hubungkan"))
    assert "menggantikan grup sebelumnya" in siti.last().plain
    async with cw.world.deps.db.transaction() as s:
        rows = list(await s.scalars(select(TaskForceGroup)))
    assert [r.chat for r in rows] == [str(second.id)]
    link = [d for _, action, d in await audit_actions(cw.world.deps) if action == "group.link"]
    assert link[-1]["replaces"] != str(second.id)
