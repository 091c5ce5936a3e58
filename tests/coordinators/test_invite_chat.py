"""/undang (/invite): a coordinator makes a one-time /start code for a member of their clusters."""

from __future__ import annotations

import re

from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.standin import BotApiStandin
from tests.coordinators.chat import chat_world
from tests.coordinators.helpers import AHMAD, BUDI, DEWI, RINA, SITI, audit_actions


async def test_a_coordinator_invites_a_member_who_then_registers_once(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin, register=(SITI, AHMAD, RINA))
    answer = (await cw.say(AHMAD, "/undang 0812-0000-0004"))[-1].plain
    assert "Budi Santoso" in answer and f"https://t.me/{standin.bot_username}?start=" in answer
    code = re.search(r"start=(\w+)", answer)
    assert code is not None
    welcome = "\n".join(m.plain for m in await cw.say(BUDI, f"/start {code.group(1)}"))
    assert "Budi Santoso" in welcome and "sudah terdaftar" in welcome
    assert (await cw.world.member(BUDI)).telegram_user_id == cw.chats[BUDI].chat_id
    # The code works once: a second use is refused and links nobody else.
    again = (await cw.say(DEWI, f"/start {code.group(1)}"))[-1].plain
    assert "tidak berlaku atau sudah dipakai" in again
    assert (await cw.world.member(DEWI)).telegram_user_id is None
    assert "invite.created" in [a[1] for a in await audit_actions(cw.world.deps)]


async def test_invites_are_refused_outside_ones_clusters_and_to_members(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin, register=(SITI, AHMAD, RINA))
    assert "bukan anggota klaster yang Bapak/Ibu koordinasikan" in \
        (await cw.say(AHMAD, "/undang 0812-0000-0005"))[-1].plain
    assert "belum terdaftar" in (await cw.say(AHMAD, "/undang 0812-9999-9999"))[-1].plain
    # Without a phone: invitations for his clusters' unregistered members only (K3: Budi and
    # Yusuf; not Dewi, of K1).
    everyone = "\n".join(m.plain for m in await cw.say(AHMAD, "/undang"))
    assert "Bapak/Ibu Budi Santoso" in everyone and "Bapak/Ibu Yusuf Maulana" in everyone
    assert "Dewi" not in everyone
    assert "hanya untuk koordinator" in (await cw.say(RINA, "/undang 0812-0000-0004"))[-1].plain
    assert "hanya untuk koordinator" in (await cw.say(RINA, "/undang"))[-1].plain
    # The secretariat may invite anyone.
    assert "Dewi Lestari" in (await cw.say(SITI, "/invite 0812-0000-0005"))[-1].plain
    assert [a[1] for a in await audit_actions(cw.world.deps)].count("invite.created") == 3
