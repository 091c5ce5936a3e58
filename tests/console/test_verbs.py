"""What a console line means."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import pytest

from kla_bot.console import verbs
from kla_bot.console.verbs import (
    LAST,
    Help,
    Invalid,
    Press,
    Quit,
    SendFile,
    SendText,
    ShareContact,
    SwitchUser,
    Wait,
    parse_line,
)


def test_plain_text_and_commands_are_sent_as_typed() -> None:
    assert parse_line("  /tugas  ") == SendText("/tugas")
    assert parse_line("halo bot") == SendText("halo bot")
    assert parse_line("   ") is None


@pytest.mark.parametrize(("line", "action"), [
    (":help", Help()),
    (":quit", Quit()),
    (":q", Quit()),
    (":contact", ShareContact()),
    (":as 0812-0000-0005", SwitchUser("0812-0000-0005")),
    (":as +62 812 0000 0005", SwitchUser("+62 812 0000 0005")),
    (":press 3", Press(number=3)),
    (":press [3]", Press(number=3)),
    (":press Setujui", Press(label="Setujui")),
    (":press Kirim berkas K3-17a", Press(label="Kirim berkas K3-17a")),
    (":wait 1d", Wait(delta=timedelta(days=1))),
    (":wait 2h", Wait(delta=timedelta(hours=2))),
    (":wait 1d2h30m", Wait(delta=timedelta(days=1, hours=2, minutes=30))),
    (":wait 08:00", Wait(until=time(8, 0))),
])
def test_verbs(line: str, action: verbs.Action) -> None:
    assert parse_line(line) == action


def test_file_with_and_without_caption() -> None:
    assert parse_line(":file bukti.pdf") == SendFile(Path("bukti.pdf"))
    assert parse_line(":file bukti.pdf K3-17a") == SendFile(Path("bukti.pdf"), "K3-17a")
    assert parse_line(':file "surat keputusan.pdf" SK terbaru') == SendFile(
        Path("surat keputusan.pdf"), "SK terbaru")


def test_replies_to_a_numbered_message_or_the_latest_one() -> None:
    assert parse_line(":reply 12 :file a.pdf") == SendFile(Path("a.pdf"), None, 12)
    assert parse_line(":reply #12 :file a.pdf K1-4a") == SendFile(Path("a.pdf"), "K1-4a", 12)
    assert parse_line(":reply 12 ok, besok") == SendText("ok, besok", reply_to=12)
    assert parse_line(":reply a.pdf") == SendFile(Path("a.pdf"), None, LAST)


@pytest.mark.parametrize(("line", "key"), [
    (":as", "console.usage_as"),
    (":file", "console.usage_file"),
    (":reply", "console.usage_reply"),
    (":reply 3", "console.usage_reply"),
    (":reply 3 :file", "console.usage_reply"),
    (":press", "console.usage_press"),
    (":wait", "console.usage_wait"),
    (":wait soon", "console.usage_wait"),
    (":wait 0d", "console.usage_wait"),
    (":wait 25:00", "console.usage_wait"),
    (':file "unclosed', "console.bad_quotes"),
    (":dance", "console.unknown_verb"),
])
def test_bad_lines_are_explained_not_sent(line: str, key: str) -> None:
    action = parse_line(line)
    assert isinstance(action, Invalid)
    assert action.key == key
