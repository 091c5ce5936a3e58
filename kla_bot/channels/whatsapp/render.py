"""A neutral reply in WhatsApp's terms: its own text markup, reply buttons or list messages.

Catalog texts are Telegram HTML (``<b>``, ``<code>``, escaped values); WhatsApp shows its own
markup (``*bold*``, ``_italic_``, ``` `code` ```) and would print tags as they are. Choices
become up to three reply buttons when every label fits a button (20 characters), otherwise
list messages of at most ten rows each (a longer list goes in several messages: WhatsApp has
no paging, and a list that needs state to page would break when a message is redelivered).
A text longer than an interactive body goes first as plain text, then the choices follow
under a short prompt.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from kla_bot.conversation.replies import Choice, Reply
from kla_bot.i18n import Translator
from kla_bot.text_fit import shorten

TEXT_LIMIT = 4096  # a text message's body
INTERACTIVE_BODY = 1024  # an interactive (buttons or list) message's body
MAX_BUTTONS = 3
BUTTON_TITLE = 20
LIST_ROWS = 10
ROW_TITLE = 24
ROW_DESCRIPTION = 72
LIST_BUTTON = 20

_MARKS = {"b": "*", "strong": "*", "i": "_", "em": "_", "s": "~", "code": "`", "pre": "```"}
_TAG = re.compile(r"<(/?)([a-zA-Z]+)[^>]*>")


def wa_text(html_text: str) -> str:
    """Catalog HTML as WhatsApp text: tags become WhatsApp's marks, entities are decoded.
    A mark only works against a word, so spaces inside a marked span are moved outside."""
    out: list[str] = []
    pos = 0
    for match in _TAG.finditer(html_text):
        out.append(html.unescape(html_text[pos:match.start()]))
        pos = match.end()
        mark = _MARKS.get(match.group(2).lower())
        if mark:
            out.append(("\x00" if match.group(1) else "\x01") + mark)
    out.append(html.unescape(html_text[pos:]))
    text = "".join(out)
    # Opening mark followed by spaces: spaces first. Spaces then a closing mark: mark first.
    text = re.sub("\x01([*_~`]+)(\\s+)", "\\2\x01\\1", text)
    text = re.sub("(\\s+)\x00([*_~`]+)", "\x00\\2\\1", text)
    text = re.sub("\x01([*_~`]+)\x00\\1", "", text)  # an empty span shows nothing
    return text.replace("\x00", "").replace("\x01", "")


@dataclass(frozen=True)
class Row:
    title: str
    description: str
    id: str


@dataclass(frozen=True)
class Outgoing:
    """One WhatsApp message: text only, text with reply buttons, or text with a list."""

    text: str
    buttons: tuple[tuple[str, str], ...] = ()  # (title, id)
    rows: tuple[Row, ...] = ()
    list_button: str = ""


def _plain(label: str) -> str:
    return " ".join(wa_text(label).replace("*", "").replace("`", "").split())


def _split(text: str, limit: int) -> list[str]:
    """Cut on line boundaries (a single longer line is cut hard)."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current or not parts:
        parts.append(current)
    return parts


def outgoing(reply: Reply, t: Translator) -> list[Outgoing]:
    """The WhatsApp messages that show ``reply``, in order."""
    text = wa_text(reply.text).strip() or "…"
    choices = [choice for row in reply.choices for choice in row]
    if not choices:
        return [Outgoing(part) for part in _split(text, TEXT_LIMIT)]
    messages: list[Outgoing] = []
    if len(text) > INTERACTIVE_BODY:
        messages += [Outgoing(part) for part in _split(text, TEXT_LIMIT)]
        text = t("whatsapp.choose")
    labels = [_plain(choice.label) for choice in choices]
    if len(choices) <= MAX_BUTTONS and all(len(label) <= BUTTON_TITLE for label in labels):
        return [*messages, Outgoing(text, buttons=tuple(
            (label, choice.data) for label, choice in zip(labels, choices, strict=True)))]
    pages = [choices[i:i + LIST_ROWS] for i in range(0, len(choices), LIST_ROWS)]
    for number, page in enumerate(pages):
        body = text if number == 0 else t("whatsapp.more_choices", page=number + 1,
                                          pages=len(pages))
        messages.append(Outgoing(body, rows=tuple(_row(c) for c in page),
                                 list_button=shorten(_plain(t("whatsapp.list_button")),
                                                     LIST_BUTTON)))
    return messages


def _row(choice: Choice) -> Row:
    label = _plain(choice.label)
    if len(label) <= ROW_TITLE:
        return Row(label, "", choice.data)
    return Row(shorten(label, ROW_TITLE), shorten(label, ROW_DESCRIPTION), choice.data)
