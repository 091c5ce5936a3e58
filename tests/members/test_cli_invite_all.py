"""``bot.py invite --all --out undangan.xlsx``: the workbook of every unregistered member's
code, link and message, as ``/undang`` sends it."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import openpyxl
import pytest

from kla_bot.cli import build_parser
from kla_bot.cli_invite import run_invite
from kla_bot.config import Settings
from kla_bot.errors import UserError
from tests.members.conftest import World


def _rows(path: Path) -> list[tuple[object, ...]]:
    book = openpyxl.load_workbook(io.BytesIO(path.read_bytes()))
    return [tuple(r) for r in book.worksheets[0].iter_rows(values_only=True)]


def _leftovers(folder: Path) -> list[Path]:
    return list(folder.glob("*.part"))


async def _fake_get_me(settings: Settings, code: str) -> tuple[str, str]:
    return "kla_banjar_bot", f"https://t.me/kla_banjar_bot?start={code}"


async def test_invite_all_writes_every_unregistered_member_with_their_link(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(["invite", "--all", "--out", str(tmp_path / "undangan")])
    settings = world.deps.settings.replace(bot={"token": "123:ABC"})
    assert await run_invite(args, settings, deep_link=_fake_get_me) == 0
    out = tmp_path / "undangan.xlsx"
    assert "4 undangan ditulis ke" in capsys.readouterr().out
    rows = _rows(out)
    assert rows[0] == ("Nama", "No. HP", "Instansi", "Klaster", "Kode", "Tautan", "Pesan")
    assert [r[0] for r in rows[1:]] == ["Ani", "Budi", "Citra", "Dewi"]
    for row in rows[1:]:
        assert row[5] == f"https://t.me/kla_banjar_bot?start={row[4]}"
        assert str(row[6]).startswith(f"Bapak/Ibu {row[0]}, silakan buka tautan ini untuk "
                                      f"mulai: {row[5]}")
    # The codes work: Budi's registers Budi.
    budi = next(r for r in rows if r[0] == "Budi")
    chat = world.chat(world.user("Budi", 5002))
    await world.do(chat.send(f"/start {budi[4]}"))
    assert any("Budi (Disdukcapil)" in t for t in chat.texts())
    # Again: the same codes for the three still unregistered.
    assert await run_invite(args, settings, deep_link=_fake_get_me) == 0
    assert [r[4] for r in _rows(out)[1:]] == [r[4] for r in rows[1:] if r[0] != "Budi"]
    assert _leftovers(tmp_path) == []


async def test_invite_all_without_a_token_gives_the_start_command(
        world: World, tmp_path: Path) -> None:
    args = argparse.Namespace(phone=None, all=True, out=tmp_path / "u.xlsx")
    assert await run_invite(args, world.deps.settings.replace(bot={"token": ""})) == 0
    assert all(str(r[5]) == f"/start {r[4]}" for r in _rows(tmp_path / "u.xlsx")[1:])


@pytest.mark.parametrize("argv", [["invite", "--all"], ["invite", "--out", "u.xlsx"],
                                  ["invite", "0812", "--all", "--out", "u.xlsx"],
                                  ["invite"]])
async def test_invite_all_needs_its_out_and_no_phone(world: World, argv: list[str]) -> None:
    with pytest.raises(UserError) as caught:
        await run_invite(build_parser().parse_args(argv), world.deps.settings)
    assert caught.value.exit_status == 2
