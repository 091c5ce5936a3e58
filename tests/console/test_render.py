"""Bot messages drawn for the terminal: styles, numbered buttons, files, plain pipe output."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from rich.text import Text
from telegram import Chat, InlineKeyboardButton, InlineKeyboardMarkup, Message, User

from kla_bot.console.render import (
    Attachment,
    header,
    inline_buttons,
    keyboard_buttons,
    message_lines,
    styled,
)
from kla_bot.console.screen import Screen, html_text
from kla_bot.i18n import Translator
from kla_bot.standin.html import parse_html
from kla_bot.standin.model import SentMessage

t = Translator("id")
BOT = User(1, "KLA Bot", is_bot=True)
CHAT = Chat(81200000008, Chat.PRIVATE)


def sent(html: str, *, message_id: int = 7, markup: dict[str, object] | None = None
         ) -> SentMessage:
    parsed = parse_html(html)
    inline = InlineKeyboardMarkup.de_json(markup, None) if markup and \
        "inline_keyboard" in markup else None
    message = Message(message_id, datetime(2025, 5, 5, tzinfo=UTC), CHAT, from_user=BOT,
                      text=parsed.plain, entities=parsed.entities, reply_markup=inline)
    return SentMessage(chat_id=CHAT.id, message_id=message_id, method="sendMessage",
                       message=message, text=html, caption=None, parse_mode="HTML",
                       reply_markup=markup, reply_to_message_id=None, params={})


def spans(text: Text) -> list[tuple[str, str]]:
    return [(text.plain[s.start:s.end], str(s.style)) for s in text.spans]


def test_entities_become_styles_even_after_emoji() -> None:
    parsed = parse_html("📊 <b>Status</b> · <code>K3-17a</code> <i>baru</i>")
    text = styled(parsed.plain, parsed.entities)
    assert text.plain == "📊 Status · K3-17a baru"
    assert spans(text) == [("Status", "bold"), ("K3-17a", "cyan"), ("baru", "italic")]


def test_catalog_html_is_styled_and_broken_html_shown_as_is() -> None:
    assert spans(html_text("<b>Demo</b> ok")) == [("Demo", "bold")]
    assert html_text("1 < 2").plain == "1 < 2"


def test_inline_buttons_are_numbered_row_by_row_from_a_start() -> None:
    markup = InlineKeyboardMarkup([
        [InlineKeyboardButton("✅ Setujui", callback_data="rv:a:1"),
         InlineKeyboardButton("❌ Tolak", callback_data="rv:r:1")],
        [InlineKeyboardButton("Lainnya", callback_data="rv:m:1")],
    ]).to_dict()
    rows = inline_buttons(sent("Tinjau", markup=markup), first_number=5)
    assert [[(b.number, b.label, b.callback_data) for b in row] for row in rows] == [
        [(5, "✅ Setujui", "rv:a:1"), (6, "❌ Tolak", "rv:r:1")], [(7, "Lainnya", "rv:m:1")]]
    assert all(b.message_id == 7 and b.inline for row in rows for b in row)


def test_reply_keyboard_buttons_know_a_contact_request() -> None:
    markup = {"keyboard": [[{"text": "📱 Bagikan kontak saya", "request_contact": True}]],
              "resize_keyboard": True}
    message = sent("Daftar dulu", markup=markup)
    assert message.reply_keyboard is not None
    (row,) = keyboard_buttons(message.reply_keyboard, message.message_id, first_number=1)
    assert [(b.number, b.label, b.request_contact, b.inline) for b in row] == [
        (1, "📱 Bagikan kontak saya", True, False)]


def test_a_message_in_a_pipe_is_plain_indented_text() -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("📎 Kirim berkas K3-17a",
                                                         callback_data="tk:s:4")]]).to_dict()
    message = sent("<b>Tugas Anda</b>\n\nK3-17a", markup=markup)
    lines = message_lines(t, message, inline_buttons(message, 1), [],
                          Attachment("photo", "chart.png", 62_464, None))
    out = io.StringIO()
    screen = Screen(out, t, interactive=False)
    screen.bot_message(header("KLA Bot", 7, edited=True, t=t), lines)
    assert out.getvalue().splitlines() == [
        "KLA Bot  #7 (diubah)",
        "  📎 Foto: chart.png (61 KB), disimpan di -",
        "  Tugas Anda",
        "",
        "  K3-17a",
        "    [1] 📎 Kirim berkas K3-17a",
    ]
    assert "\x1b[" not in out.getvalue()


def test_a_terminal_gets_a_coloured_bubble() -> None:
    out = io.StringIO()
    screen = Screen(out, t, interactive=True, width=60)
    message = sent("<b>Halo</b>")
    screen.bot_message(header("KLA Bot", 7, edited=False, t=t),
                       message_lines(t, message, [], [], None))
    assert "\x1b[" in out.getvalue() and "Halo" in out.getvalue() and "╭" in out.getvalue()


def test_echo_only_in_a_pipe() -> None:
    piped, tty = io.StringIO(), io.StringIO()
    Screen(piped, t, interactive=False).echo("Budi Santoso", "/tugas")
    Screen(tty, t, interactive=True).echo("Budi Santoso", "/tugas")
    assert piped.getvalue() == "\nBudi Santoso › /tugas\n"
    assert tty.getvalue() == ""


def test_sizes_are_written_the_way_the_chat_writes_them() -> None:
    t = Translator("id")
    attachment = Attachment("document", "perda.pdf", 5 * 1024 * 1024 + 200_000, None)
    note = message_lines(t, sent("x"), [], [], attachment)[0].plain
    assert note == "📎 Berkas: perda.pdf (5,2 MB), disimpan di -"
