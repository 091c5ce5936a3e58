"""The rejection reason as coordinators really type it: right after pressing Tolak, with or
without Telegram's reply gesture, or by a button; only soon after; and never at the cost of
their own file waiting for "which task?". Once decided, no button about the file is left."""

from __future__ import annotations

from datetime import timedelta

from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.clock import ManualClock
from kla_bot.standin import BotApiStandin, SentMessage
from tests.coordinators.chat import ChatWorld, chat_world
from tests.coordinators.helpers import (
    AHMAD,
    RINA,
    YUSUF,
    notify_coordinators,
    put_evidence,
    task_row,
)
from tests.coordinators.helpers import pdf_bytes as fake_pdf
from tests.members.conftest import pdf_bytes

REJECT = 1  # the card's buttons: accept, reject (labels are being renamed; data is stable)


async def _card(cw: ChatWorld) -> tuple[SentMessage, SentMessage]:
    """Rina's file is submitted; Ahmad's and Yusuf's notification cards."""
    ev = await put_evidence(cw.world, "K3-17a", RINA, fake_pdf("perda"), "Perda KTR.pdf")
    await notify_coordinators(cw.world, ev)
    await cw.drain()
    return cw.last(AHMAD), cw.last(YUSUF)


async def _tolak(cw: ChatWorld, who: int, card: SentMessage) -> SentMessage:
    mark = cw.state.mark()
    await cw.do(cw.chats[who].press_data(card, card.callback_data[REJECT]))
    return cw.chats[who].since(mark)[-1]


async def test_the_next_plain_text_after_tolak_is_the_reason(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    ahmad_card, yusuf_card = await _card(cw)
    prompt = await _tolak(cw, AHMAD, ahmad_card)
    assert len(prompt.buttons) == 4 and "dalam 15 menit" in prompt.plain
    done = await cw.say(AHMAD, "Belum ditandatangani kepala dinas")  # no reply gesture
    assert "ditolak" in done[-1].plain and "Belum ditandatangani" in done[-1].plain
    task = await task_row(cw.world.deps, "K3-17a")
    assert task.state == "open" and task.last_rejection_reason == \
        "Belum ditandatangani kepala dinas"
    # Every button of that review is gone: Ahmad's card and prompt, and Yusuf's card.
    assert ahmad_card.buttons == [] and prompt.buttons == [] and yusuf_card.buttons == []
    # The reason was taken once: the next text is plain chat again.
    again = await cw.say(AHMAD, "terima kasih")
    assert "ditolak" not in again[-1].plain and "Saya asisten" in again[-1].plain


async def test_a_reply_to_the_prompt_and_a_reason_button_clear_every_button(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    ahmad_card, yusuf_card = await _card(cw)
    prompt = await _tolak(cw, YUSUF, yusuf_card)
    done = await cw.say(YUSUF, "Salah berkas", reply_to=prompt)
    assert "ditolak" in done[-1].plain
    assert yusuf_card.buttons == [] and prompt.buttons == [] and ahmad_card.buttons == []
    # Another file, rejected with a common reason from the prompt's buttons.
    ev = await put_evidence(cw.world, "K3-15a", RINA, fake_pdf("sk"), "SK.pdf")
    await notify_coordinators(cw.world, ev)
    await cw.drain()
    card = cw.last(AHMAD)
    prompt = await _tolak(cw, AHMAD, card)
    await cw.do(cw.chats[AHMAD].press(prompt, 0))
    assert (await task_row(cw.world.deps, "K3-15a")).state == "open"
    assert card.buttons == [] and prompt.buttons == [] and cw.last(YUSUF).buttons == []


async def test_text_after_the_window_is_not_taken(bot: KlaApplication, standin: BotApiStandin,
                                                  clock: ManualClock) -> None:
    cw = await chat_world(bot, standin)
    ahmad_card, _ = await _card(cw)
    await _tolak(cw, AHMAD, ahmad_card)
    clock.advance(timedelta(minutes=16))
    answer = await cw.say(AHMAD, "halo")
    assert "ditolak" not in answer[-1].plain
    assert (await task_row(cw.world.deps, "K3-17a")).state == "submitted"


async def test_text_in_another_chat_is_not_the_reason(bot: KlaApplication,
                                                      standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    ahmad_card, _ = await _card(cw)
    await _tolak(cw, AHMAD, ahmad_card)
    group = standin.add_group("Gugus Tugas KLA")
    group.privacy_mode = False  # the bot reads everything there, as an admin bot would
    in_group = standin.chat(cw.chats[AHMAD].user, group)
    await cw.do(in_group.send(f"@{bot.bot.username} rapat jam 10"))
    assert (await task_row(cw.world.deps, "K3-17a")).state == "submitted"


async def test_the_coordinators_own_file_choice_survives_a_rejection(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    ahmad_card, _ = await _card(cw)
    ahmad = cw.chats[AHMAD]
    # Ahmad sends a file of his own with no hint: he is asked to confirm his one open task.
    await cw.do(ahmad.send_document(pdf_bytes(text="gizi"), file_name="gizi balita.pdf"))
    question = ahmad.last()
    assert "K3-13a" in question.plain and question.buttons
    await _tolak(cw, AHMAD, ahmad_card)
    await cw.say(AHMAD, "Bukan perda yang diundangkan")
    assert (await task_row(cw.world.deps, "K3-17a")).state == "open"
    # His own file still waits for his answer, and goes where he says.
    await cw.do(ahmad.press(question, 0))
    assert "K3-13a" in ahmad.last().plain
    assert (await task_row(cw.world.deps, "K3-13a")).state == "submitted"


async def test_batal_after_tolak_pressed_by_mistake(bot: KlaApplication,
                                                    standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    ahmad_card, _ = await _card(cw)
    await _tolak(cw, AHMAD, ahmad_card)
    assert "Dibatalkan" in (await cw.say(AHMAD, "/batal"))[-1].plain
    await cw.say(AHMAD, "maaf, salah tekan")
    assert (await task_row(cw.world.deps, "K3-17a")).state == "submitted"
