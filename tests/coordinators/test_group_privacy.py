"""In a group everyone reads what the bot posts: no phone number and no list of people ever
appears there. Commands whose answer names people are answered in the asker's private chat,
and the group hears only where the answer went (or to open a private chat first)."""

from __future__ import annotations

import re

from handlers import FEATURES
from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.standin import BotApiStandin
from tests.coordinators.chat import chat_world
from tests.coordinators.helpers import (
    AHMAD,
    BUDI,
    NAMES,
    RINA,
    SITI,
    YUSUF,
    pdf_bytes,
    put_evidence,
)

PHONE = re.compile(r"(\+?62|\b0)\s?8\d{2}[\d\s.-]{5,}")
COMMANDS = ("/anggota", "/members", "/undang 0812-0000-0003", "/tugas", "/status",
            "/status K3", "/tinjau", "/tugaskan K3-15a 0812-0000-0004", "/laporan",
            "/ingatkan", "/bantuan", "/bahasa", "/batal", "/start", "/help")


async def test_nothing_personal_is_posted_in_a_group(bot: KlaApplication,
                                                     standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin, register=(SITI, AHMAD, RINA, BUDI))
    await put_evidence(cw.world, "K3-17a", RINA, pdf_bytes("perda"), "Perda KTR.pdf")
    group = standin.add_group("Gugus Tugas KLA Banjar")
    name = bot.bot.username
    for who in (SITI, AHMAD, RINA, YUSUF):
        member = standin.chat(cw.chats[who].user, group)
        for command in COMMANDS:
            await cw.do(member.send(command))
            await cw.do(member.send(f"{command.split()[0]}@{name} {' '.join(command.split()[1:])}"))
    posted = [m.plain for m in standin.chat(cw.chats[SITI].user, group).messages()]
    assert posted
    for text in posted:
        assert PHONE.search(text) is None, text
        assert not any(person in text for person in NAMES.values()), text
    # The answers went to the askers' private chats: the roster with phone numbers, the files.
    ahmad = cw.chats[AHMAD].texts()
    assert any("+6281200000006" in text for text in ahmad)  # Yusuf is not registered yet
    assert any(m.document is not None and m.document.file_name == "Perda KTR.pdf"
               for m in cw.chats[AHMAD].messages())
    assert "Jawaban dikirim lewat pesan pribadi." in posted
    # Yusuf never registered: the group tells him to open a private chat, nothing more.
    assert any("Buka percakapan pribadi" in text for text in posted)


async def test_a_member_the_bot_cannot_write_to_is_asked_to_open_a_private_chat(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    cw.chats[BUDI].user.block()
    group = standin.add_group("Gugus Tugas KLA Banjar")
    budi = standin.chat(cw.chats[BUDI].user, group)
    await cw.do(budi.send("/tugas"))
    assert "Buka percakapan pribadi" in budi.last().plain
    assert "K4-19a" not in budi.last().plain


def test_every_command_that_names_people_is_private() -> None:
    private = {c.name for f in FEATURES for c in f.commands if c.private}
    assert private == {"anggota", "undang", "tugas", "status", "tinjau", "tugaskan", "laporan",
                       "start", "ubah", "batalkan", "tambah", "pindah", "cuti", "cari"}


async def test_help_marks_the_private_commands(bot: KlaApplication,
                                               standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    text = (await cw.say(AHMAD, "/bantuan"))[-1].plain
    assert "/anggota (/members) — " in text
    anggota = next(line for line in text.splitlines() if line.startswith("/anggota"))
    assert anggota.endswith("🔒")
    assert "dijawab" in text or "pesan pribadi" in text
