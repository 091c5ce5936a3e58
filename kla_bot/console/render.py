"""What the bot sent, drawn as a chat: styled text, numbered buttons, files and photos.

The renderer works on the ``telegram.Message`` objects the stand-in returns, so it sees what a
Telegram client would see: plain text plus entities (bold, italic, code, links), inline
keyboards, reply keyboards, documents and photos.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.text import Text
from telegram import Message, MessageEntity, ReplyKeyboardMarkup

from kla_bot.i18n import Translator
from kla_bot.standin.model import SentMessage

_STYLES = {
    MessageEntity.BOLD: "bold",
    MessageEntity.ITALIC: "italic",
    MessageEntity.UNDERLINE: "underline",
    MessageEntity.STRIKETHROUGH: "strike",
    MessageEntity.CODE: "cyan",
    MessageEntity.PRE: "cyan",
    MessageEntity.SPOILER: "reverse",
    MessageEntity.BLOCKQUOTE: "italic dim",
    MessageEntity.EXPANDABLE_BLOCKQUOTE: "italic dim",
    MessageEntity.TEXT_LINK: "underline blue",
    MessageEntity.URL: "underline blue",
}


@dataclass(frozen=True)
class Button:
    """A button shown on screen under a number: inline (callback data) or a reply keyboard."""

    number: int
    label: str
    message_id: int
    callback_data: str | None = None
    request_contact: bool = False

    @property
    def inline(self) -> bool:
        return self.callback_data is not None


@dataclass(frozen=True)
class Attachment:
    """A file the bot sent, as saved by the console (path) with what Telegram would show."""

    kind: str  # "document" or "photo"
    name: str
    size: int
    saved_to: Path | None


def styled(text: str, entities: Sequence[MessageEntity]) -> Text:
    """``text`` with Telegram entities turned into terminal styles (UTF-16 offsets honoured)."""
    result = Text(text)
    index = _utf16_index(text)
    for entity in entities:
        style = _STYLES.get(entity.type)
        if style is None:
            continue
        start = index.get(entity.offset)
        end = index.get(entity.offset + entity.length)
        if start is not None and end is not None:
            result.stylize(style, start, end)
    return result


def _utf16_index(text: str) -> dict[int, int]:
    """UTF-16 offset → Python string index, for every character boundary."""
    index: dict[int, int] = {}
    units = 0
    for position, char in enumerate(text):
        index[units] = position
        units += 2 if ord(char) > 0xFFFF else 1
    index[units] = len(text)
    return index


def message_text(message: Message) -> Text:
    """The text or caption of ``message``, styled."""
    if message.text is not None:
        return styled(message.text, message.entities)
    return styled(message.caption or "", message.caption_entities)


def inline_buttons(sent: SentMessage, first_number: int) -> list[list[Button]]:
    """The inline keyboard of a bot message, numbered from ``first_number``, row by row."""
    markup = sent.inline_keyboard
    if markup is None:
        return []
    rows: list[list[Button]] = []
    number = first_number
    for row in markup.inline_keyboard:
        rows.append([])
        for button in row:
            data = button.callback_data if isinstance(button.callback_data, str) else ""
            rows[-1].append(Button(number, button.text, sent.message_id, callback_data=data))
            number += 1
    return rows


def keyboard_buttons(markup: ReplyKeyboardMarkup, message_id: int,
                     first_number: int) -> list[list[Button]]:
    """A reply keyboard, numbered from ``first_number``, row by row."""
    rows: list[list[Button]] = []
    number = first_number
    for row in markup.keyboard:
        rows.append([])
        for button in row:
            rows[-1].append(Button(number, button.text, message_id,
                                   request_contact=bool(button.request_contact)))
            number += 1
    return rows


def _button_line(row: Sequence[Button], keyboard: bool) -> Text:
    line = Text("  ")
    for button in row:
        line.append(f"[{button.number}] ", style="bold magenta")
        line.append(f"‹{button.label}›" if keyboard else button.label,
                    style="magenta" if keyboard else "bold")
        line.append("   ")
    line.rstrip()
    return line


def message_lines(t: Translator, sent: SentMessage, inline: Sequence[Sequence[Button]],
                  keyboard: Sequence[Sequence[Button]],
                  attachment: Attachment | None) -> list[Text]:
    """The body of one bot message: text, attachment note, buttons, keyboard."""
    lines: list[Text] = []
    if attachment is not None:
        key = "console.photo" if attachment.kind == "photo" else "console.document"
        note = t(key, name=attachment.name, size=t.size(attachment.size),
                 path=str(attachment.saved_to or "-"))
        lines.append(Text("📎 ", style="yellow") + Text(note, style="yellow"))
    body = message_text(sent.message)
    if body.plain:
        lines.extend(body.split("\n"))
    lines.extend(_button_line(row, keyboard=False) for row in inline)
    if keyboard:
        lines.append(Text(t("console.keyboard"), style="dim"))
        lines.extend(_button_line(row, keyboard=True) for row in keyboard)
    return lines


def header(bot_name: str, number: int, edited: bool, t: Translator) -> Text:
    """``KLA Bot  #3`` (or ``#3 (edited)``)."""
    head = Text(bot_name, style="bold green")
    head.append(f"  #{number}", style="dim")
    if edited:
        head.append(" " + t("console.edited"), style="dim")
    return head


def as_panel(head: Text, lines: Sequence[Text]) -> RenderableType:
    """A chat bubble for a colour terminal."""
    return Panel(Group(*lines), title=head, title_align="left", border_style="green",
                 expand=False)


def as_plain(head: Text, lines: Sequence[Text]) -> list[Text]:
    """The same message for a pipe: a header line and indented body lines (no wrapping)."""
    return [head, *(Text("  ") + line if line.plain.strip() else Text("") for line in lines)]
