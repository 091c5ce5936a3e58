"""/undang without a phone: the secretariat gets a ready-to-forward invitation per unregistered
member, each with their own deep link (the bot's username from the API), and a workbook of
them all; asking again gives the same codes; a long list is packed, never dropped."""

from __future__ import annotations

import io
import re

import openpyxl

from handlers.invitations import ONE_BY_ONE
from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.models import Member
from kla_bot.standin import BotApiStandin, SentMessage
from tests.coordinators.chat import chat_world
from tests.coordinators.helpers import AHMAD, SITI, audit_actions

LINK = re.compile(r"https://t\.me/(\w+)\?start=(\w+)")


def _rows(sent: SentMessage) -> list[tuple[object, ...]]:
    assert sent.document is not None and sent.document.file_name == "undangan.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(sent.document.read_bytes()))
    return [tuple(r) for r in book.worksheets[0].iter_rows(values_only=True)]


async def test_the_secretariat_gets_one_invitation_per_unregistered_member_and_a_workbook(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin, register=(SITI, AHMAD))
    sent = await cw.say(SITI, "/undang")
    assert "4 anggota belum terdaftar" in sent[0].plain
    invitations = sent[1:-1]
    names = ["Budi Santoso", "Dewi Lestari", "Rina Marlina", "Yusuf Maulana"]
    assert len(invitations) == len(names)
    codes = []
    for name, message in zip(names, invitations, strict=True):
        assert message.plain.startswith(
            f"Bapak/Ibu {name}, silakan buka tautan ini untuk mulai: https://t.me/"), \
            message.plain
        found = LINK.search(message.plain)
        assert found is not None and found.group(1) == standin.bot_username
        assert f"/start {found.group(2)}" in message.plain  # typed by hand, if need be
        codes.append(found.group(2))
    assert len(set(codes)) == len(codes)
    rows = _rows(sent[-1])
    assert rows[0] == ("Nama", "No. HP", "Instansi", "Klaster", "Kode", "Tautan", "Pesan")
    assert [r[0] for r in rows[1:]] == names
    assert [r[4] for r in rows[1:]] == codes
    assert all(r[5] == f"https://t.me/{standin.bot_username}?start={r[4]}" for r in rows[1:])
    assert str(rows[1][6]).startswith("Bapak/Ibu Budi Santoso, silakan buka tautan ini")
    # Each link registers its own member.
    welcome = "\n".join(m.plain for m in await cw.say(4, f"/start {codes[0]}"))
    assert "Budi Santoso" in welcome and "sudah terdaftar" in welcome
    # Asked again: the same codes for those still unregistered, none for Budi now.
    again = await cw.say(SITI, "/invite")
    assert "3 anggota belum terdaftar" in again[0].plain
    assert [LINK.search(m.plain).group(2) for m in again[1:-1]] == codes[1:]  # type: ignore[union-attr]
    actions = [a[1] for a in await audit_actions(cw.world.deps)]
    assert actions.count("invite.created") == 4 and actions.count("invite.listed") == 2


async def test_a_long_list_comes_a_few_to_a_message_and_whole_in_the_workbook(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin, register=(SITI,))
    deps = cw.world.deps
    now = deps.clock.now()
    async with deps.db.transaction() as s:
        for n in range(40):
            s.add(Member(regency_id=deps.workspace.regency_id, name=f"Anggota {n:02d}",
                         phone=f"+62813000001{n:02d}", agency="Kecamatan", role="member",
                         reachable=True, created_at=now, updated_at=now))
    sent = await cw.say(SITI, "/undang")
    assert "45 anggota belum terdaftar" in sent[0].plain
    assert "beberapa sekaligus" in sent[0].plain
    body = sent[1:-1]
    assert 1 < len(body) < ONE_BY_ONE
    assert sum(m.plain.count("silakan buka tautan ini") for m in body) == 45
    assert len(_rows(sent[-1])) == 46


async def test_nobody_left_to_invite(bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    sent = await cw.say(SITI, "/undang")
    assert len(sent) == 1 and "Semua anggota sudah terdaftar" in sent[0].plain
