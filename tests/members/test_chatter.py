"""Plain words get a short, useful answer in a private chat and silence in a group unless the
bot is addressed; refusals speak the language chosen with /bahasa; forged button data with
huge ids is answered, never crashes."""

from __future__ import annotations

from tests.members.conftest import World


async def test_a_stranger_saying_hello_is_shown_how_to_register(world: World) -> None:
    stranger = world.chat(world.user("Eko", 5099))
    await world.do(stranger.send("Pak, saya mau daftar"))
    answer = stranger.last()
    assert "Saya asisten Gugus Tugas KLA" in answer.plain
    assert "belum terdaftar" in answer.plain and "Sekretariat" in answer.plain
    keyboard = stranger.reply_keyboard()
    assert keyboard is not None and keyboard.keyboard[0][0].request_contact


async def test_a_member_is_told_their_open_tasks_and_how_to_send(world: World) -> None:
    ani = world.user("Ani", 5001)
    await world.link("Ani", ani)
    chat = world.chat(ani)
    await world.do(chat.send("halo"))
    text = chat.last().plain
    assert "Bapak/Ibu Ani, tugas Bapak/Ibu yang masih terbuka: 2" in text and "/tugas" in text
    assert "/tinjau" not in text


async def test_a_coordinator_is_told_what_waits_for_review(world: World) -> None:
    citra = world.user("Citra", 5003)
    await world.link("Citra", citra)
    chat = world.chat(citra)
    await world.do(chat.send("selamat pagi"))
    text = chat.last().plain
    assert "Berkas yang menunggu tinjauan Bapak/Ibu: 0" in text and "/tinjau" in text
    assert "/status" in text


async def test_in_a_group_the_bot_speaks_only_when_addressed(world: World) -> None:
    ani = world.user("Ani", 5001)
    await world.link("Ani", ani)
    group = world.state.add_group("Gugus Tugas KLA")
    group.privacy_mode = False  # the bot sees every message, as an admin bot would
    in_group = world.state.chat(ani, group)
    mark = world.state.mark()
    await world.do(in_group.send("halo semua, rapat jam 10"))
    in_group.expect_no_messages_since(mark)
    await world.do(in_group.send(f"@{world.app.bot.username} halo"))
    text = in_group.last().plain
    assert "Saya asisten" in text and "percakapan pribadi" in text
    assert "masih terbuka" not in text  # nothing personal in the group
    await world.do(in_group.send("terima kasih", reply_to=in_group.last()))
    assert len(in_group.since(mark)) == 2


async def test_refusals_use_the_language_chosen_with_bahasa(world: World) -> None:
    ani = world.user("Ani", 5001, language="id")
    await world.link("Ani", ani)
    chat = world.chat(ani)
    await world.do(chat.send("/bahasa en"))
    await world.do(chat.send("/batal"))
    assert chat.last_text() == "There is nothing to cancel."
    await world.do(chat.send_document(b"%PDF-1.4 big", file_name="big.pdf",
                                      claimed_size=50 * 1024 * 1024))
    assert chat.last_text().startswith("This file is over 20 MB"), chat.last_text()
    await world.do(chat.press_data(chat.last(), "tk:send:999999"))
    assert chat.callback_answers()[-1].text == \
        "That task was not found. Type /tasks to see your tasks."


async def test_huge_ids_in_button_data_are_answered_as_stale(world: World) -> None:
    ani = world.user("Ani", 5001)
    await world.link("Ani", ani)
    chat = world.chat(ani)
    await world.do(chat.send("/tugas"))
    task_list = chat.last()
    forged = ["ev:pick:99999999999999999999", "tk:send:99999999999999999999",
              "tk:page:99999999999999999999", "rv:ok:99999999999999999999",
              "rv:why:1:99999999999999999999", "lang:99999999999999999999", "ev:pick:²",
              "zz:unknown", "tk:send:9223372036854775808"]
    for data in forged:
        await world.do(chat.press_data(task_list, data))
    answers = chat.callback_answers()
    assert len(answers) == len(forged)
    assert all("tidak berlaku" in (a.text or "") for a in answers), [a.text for a in answers]
    assert (await world.task("K3-17a")).state == "open"
