"""``bot.py invite PHONE`` prints a code that registers the member once."""

from __future__ import annotations

import argparse

import pytest

from kla_bot.cli_invite import run_invite
from kla_bot.cli_text import error_text
from kla_bot.errors import UserError
from kla_bot.i18n import translator
from tests.members.conftest import World


async def test_invite_prints_a_working_code(world: World,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    no_token = world.deps.settings.replace(bot={"token": ""})  # the link: tests/test_cli.py
    assert await run_invite(argparse.Namespace(phone="0812 0000 0002"), no_token) == 0
    out = capsys.readouterr().out
    first, second = out.splitlines()
    assert first.startswith("kode undangan untuk Budi")
    code = first.split(": ")[1]
    assert second.startswith(f"anggota mengetik /start {code} di chat dengan bot")
    assert "KLA_BOT_TOKEN" in second
    chat = world.chat(world.user("Budi", 5002))
    await world.do(chat.send(f"/start {code}"))
    assert any("Budi (Disdukcapil)" in t for t in chat.texts())


async def test_invite_for_unknown_phone_is_a_user_error(world: World) -> None:
    with pytest.raises(UserError) as caught:
        await run_invite(argparse.Namespace(phone="0813 9999 9999"), world.deps.settings)
    assert error_text(translator("id"), caught.value) == \
        "tidak ada anggota dengan nomor telepon '0813 9999 9999'"
