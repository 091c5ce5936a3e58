"""The review loop in chat, against the stand-in: accept and reject round trips with the
member's messages, the double press, forged and stale buttons, /tinjau."""

from __future__ import annotations

from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.standin import BotApiStandin
from tests.coordinators.chat import ChatWorld, chat_world
from tests.coordinators.helpers import (
    AHMAD,
    BUDI,
    DEWI,
    RINA,
    SITI,
    YUSUF,
    notify_coordinators,
    outbox_rows,
    pdf_bytes,
    put_evidence,
    task_row,
)


async def _submitted(cw: ChatWorld, code: str = "K3-17a", who: int = RINA,
                     name: str = "Perda KTR 2024.pdf") -> int:
    ev = await put_evidence(cw.world, code, who, pdf_bytes(name), name)
    await notify_coordinators(cw.world, ev)
    await cw.drain()
    return ev


async def test_accept_round_trip_and_the_second_press(bot: KlaApplication,
                                                      standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    await _submitted(cw)
    note = cw.last(AHMAD)
    assert note.document is not None and note.document.file_name == "Perda KTR 2024.pdf"
    assert "K3-17a" in note.plain and "Rina Marlina" in note.plain
    assert note.buttons == ["✅ Setujui", "❌ Tolak"]
    accept_data = note.callback_data[0]
    yusuf_card = cw.last(YUSUF)
    yusuf_reject = yusuf_card.callback_data[1]
    answer = await cw.press(AHMAD, note, "✅ Setujui")
    assert "disetujui" in answer[-1].plain and "Anggota akan diberi tahu" in answer[-1].plain
    assert note.buttons == []  # decided: the buttons are taken off the notification
    assert (await task_row(cw.world.deps, "K3-17a")).state == "approved"
    await cw.drain()
    told = cw.last(RINA).plain
    assert "K3-17a" in told and "disetujui oleh dr. Ahmad Fauzi" in told
    # Yusuf (also K3) had his own copy of the notification: its buttons are gone too, and a
    # press that was on its way when they went is told who decided.
    assert yusuf_card.buttons == []
    mark = cw.state.mark()
    await cw.do(cw.chats[YUSUF].press_data(yusuf_card, yusuf_reject))
    late = cw.chats[YUSUF].since(mark)
    assert ("sudah disetujui oleh dr. Ahmad Fauzi pada Senin, 5 Mei 2025 pukul 09.00 WITA."
            in late[-1].plain), late[-1].plain
    # A double tap that reached the bot before the buttons disappeared changes nothing.
    mark = cw.state.mark()
    await cw.do(cw.chats[AHMAD].press_data(note, accept_data))
    assert "sudah disetujui" in cw.chats[AHMAD].since(mark)[-1].plain
    assert len(await outbox_rows(cw.world.deps, "review.accepted")) == 1
    assert await outbox_rows(cw.world.deps, "review.rejected") == []


async def test_reject_with_a_typed_reason_reaches_the_member_with_a_resend_button(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    await _submitted(cw)
    asked = await cw.press(AHMAD, cw.last(AHMAD), "❌ Tolak")
    prompt = asked[-1]
    assert "Mengapa" in prompt.plain and len(prompt.buttons) == 4
    assert (await task_row(cw.world.deps, "K3-17a")).state == "submitted"  # not yet
    done = await cw.say(AHMAD, "Belum ada tanda tangan kepala dinas", reply_to=prompt)
    assert "ditolak" in done[-1].plain and "Belum ada tanda tangan" in done[-1].plain
    task = await task_row(cw.world.deps, "K3-17a")
    assert task.state == "open" and task.last_rejection_reason == \
        "Belum ada tanda tangan kepala dinas"
    await cw.drain()
    told = cw.last(RINA)
    assert "ditolak oleh dr. Ahmad Fauzi" in told.plain
    assert "Alasan: Belum ada tanda tangan kepala dinas" in told.plain
    assert told.buttons == ["📤 Kirim ulang"] and told.callback_data == [f"tk:send:{task.id}"]


async def test_reject_with_a_common_reason_button(bot: KlaApplication,
                                                  standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    await _submitted(cw)
    ahmad_card = cw.last(AHMAD)
    ahmad_accept = ahmad_card.callback_data[0]
    prompt = (await cw.press(YUSUF, cw.last(YUSUF), "❌ Tolak"))[-1]
    done = await cw.press(YUSUF, prompt, "Bukan dokumen yang diminta")
    assert "ditolak" in done[-1].plain
    assert (await task_row(cw.world.deps, "K3-17a")).last_rejection_reason == \
        "Bukan dokumen yang diminta"
    # Ahmad's copy lost its buttons; a press already on its way learns Yusuf rejected it.
    assert ahmad_card.buttons == [] and prompt.buttons == []
    mark = cw.state.mark()
    await cw.do(cw.chats[AHMAD].press_data(ahmad_card, ahmad_accept))
    late = cw.chats[AHMAD].since(mark)
    assert "sudah ditolak oleh Yusuf Maulana" in late[-1].plain


async def test_forged_and_stale_buttons_change_nothing(bot: KlaApplication,
                                                       standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    ev = await _submitted(cw)
    k1 = await put_evidence(cw.world, "K1-4a", DEWI, pdf_bytes("akta"), "akta.pdf")
    note = cw.last(AHMAD)
    toasts = [await cw.press_data(AHMAD, note, data) for data in
              ("rv:ok:987654", f"rv:ok:{k1}", f"rv:why:{ev}:1", "rv:ok:abc", "rv:drop:1",
               f"rv:why:{ev}:9")]
    assert "tidak berlaku" in (toasts[0] or "")
    assert "K1 bukan klaster" in (toasts[1] or "")
    assert "tidak sedang ditunggu" in (toasts[2] or "")
    assert all("tidak berlaku" in (t or "") for t in toasts[3:])
    # A member pressing a forged accept (on any bot message of theirs) is refused too.
    refusal = (await cw.say(RINA, "/tinjau"))[-1]
    assert "hanya untuk koordinator" in refusal.plain
    assert "hanya untuk koordinator" in (await cw.press_data(RINA, refusal, f"rv:ok:{ev}") or "")
    assert (await task_row(cw.world.deps, "K3-17a")).state == "submitted"
    assert (await task_row(cw.world.deps, "K1-4a")).state == "submitted"
    assert await outbox_rows(cw.world.deps, "review.accepted") == []


async def test_tinjau_lists_waiting_files_oldest_first_with_buttons(
        bot: KlaApplication, standin: BotApiStandin, clock) -> None:
    from datetime import timedelta

    cw = await chat_world(bot, standin)
    await put_evidence(cw.world, "K3-17a", RINA, pdf_bytes("a"), "perda.pdf")
    clock.advance(timedelta(minutes=5))
    await put_evidence(cw.world, "K3-15a", RINA, pdf_bytes("b"), "sk puskesmas.pdf")
    await put_evidence(cw.world, "K1-4a", DEWI, pdf_bytes("c"), "akta.pdf")
    answers = await cw.say(AHMAD, "/tinjau")
    assert "2 berkas menunggu" in answers[0].plain
    files = answers[1:]
    assert [m.document.file_name for m in files if m.document] == ["perda.pdf",
                                                                   "sk puskesmas.pdf"]
    assert all(m.buttons == ["✅ Setujui", "❌ Tolak"] for m in files)
    done = await cw.press(AHMAD, files[1], "✅ Setujui")
    assert "k3-15a" in done[-1].plain  # the code as imported
    assert "1 berkas menunggu" in (await cw.say(AHMAD, "/review"))[0].plain
    nothing = await cw.say(YUSUF, "/tinjau")
    assert "perda.pdf" in str(nothing[-1])


async def test_a_coordinator_registering_after_an_upload_is_told_what_waits(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin, register=(SITI, RINA, BUDI))
    await _submitted(cw)  # Ahmad (K3) is not registered yet: nobody could be notified
    assert cw.chats[AHMAD].messages() == []
    mark = cw.state.mark()
    await cw.do(cw.chats[AHMAD].share_contact("+6281200000002"))
    welcome = [m.plain for m in cw.chats[AHMAD].since(mark)]
    assert "📥 1 berkas menunggu tinjauan Bapak/Ibu. Ketik /tinjau untuk melihatnya." in welcome
    # A plain member registering is not told about reviews.
    mark = cw.state.mark()
    await cw.do(cw.chats[DEWI].share_contact("+6281200000005"))
    assert not any("tinjau" in m.plain for m in cw.chats[DEWI].since(mark))
