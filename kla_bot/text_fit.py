"""Telegram's size limits, and how a text built from data is made to fit them.

Telegram measures a message after parsing its HTML: the characters the reader sees, in UTF-16
code units (an emoji counts two), so ``&amp;`` is one and ``<b>`` nothing. A text over the limit
is refused for good (400 "message is too long"), so every text made from data goes through here:
a long text is split on line boundaries into several valid HTML messages, a list keeps the items
that fit and ends with "… dan 12 lainnya", a single long field (a title used as a label) is cut
with an ellipsis, and a button label is plain text (Telegram does not parse HTML there).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence

TEXT_LIMIT = 4096  # sendMessage, editMessageText
CAPTION_LIMIT = 1024  # sendDocument, sendPhoto
CALLBACK_DATA_BYTES = 64
CALLBACK_ANSWER_LIMIT = 200  # answerCallbackQuery's toast or alert
LABEL_WIDTH = 64  # longer button labels are cut by the phone anyway
LINE_FIELD_WIDTH = 160  # a title, name or agency inside a line of a list
ELLIPSIS = "…"

# Every "<" in our HTML starts a tag: the Translator escapes every value it inserts.
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*>")
_ONE_CHAR_ENTITIES = frozenset({"&amp;", "&lt;", "&gt;", "&quot;"})
_PIECE = re.compile(r"<[^>]*>|&#?[a-zA-Z0-9]+;|[^<&]|[<&]")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram counts in."""
    return len(text.encode("utf-16-le")) // 2


def visible(html_text: str) -> str:
    """What the reader sees of an HTML text: tags dropped, entities decoded."""
    return html.unescape(_TAG.sub("", html_text))


def visible_len(html_text: str) -> int:
    return utf16_len(visible(html_text))


def fits(html_text: str, limit: int = TEXT_LIMIT) -> bool:
    return visible_len(html_text) <= limit


def shorten(text: str, width: int) -> str:
    """A plain field of at most ``width`` characters, cut with an ellipsis when longer."""
    if len(text) <= width:
        return text
    return text[: max(0, width - 1)].rstrip() + ELLIPSIS


def label(html_text: str, width: int = LABEL_WIDTH) -> str:
    """A button label: the visible text (buttons show no HTML), at most ``width`` characters."""
    return shorten(" ".join(visible(html_text).split()), width)


def toast(html_text: str) -> str:
    """A callback answer: plain text within its 200-character limit."""
    return shorten(visible(html_text), CALLBACK_ANSWER_LIMIT)


def _open_tags(html_text: str) -> list[tuple[str, str]]:
    """The tags still open at the end of ``html_text``: (name, the opening tag as written)."""
    stack: list[tuple[str, str]] = []
    for match in _TAG.finditer(html_text):
        if match.group(1):
            if stack:
                stack.pop()
        else:
            stack.append((match.group(2), match.group(0)))
    return stack


def _piece_len(piece: str) -> int:
    if len(piece) == 1:  # most pieces: one character
        return 2 if ord(piece) > 0xFFFF else 1
    if piece in _ONE_CHAR_ENTITIES:
        return 1
    return 0 if piece[0] == "<" else utf16_len(html.unescape(piece))


def _cut_line(line: str, first_room: int, room: int) -> list[str]:
    """``line`` in pieces that cut no tag or entity, the first of at most ``first_room``
    visible units, the others of at most ``room`` (each cut at a space when one is in the
    second half of the piece)."""
    pieces: list[str] = []
    start, used, space, space_used = 0, 0, 0, 0
    for piece in _PIECE.finditer(line):
        text = piece.group(0)
        size = _piece_len(text)
        limit = room if pieces else first_room
        if used + size > limit:
            cut, carried = (space, used - space_used) if space else (piece.start(), 0)
            pieces.append(line[start:cut])
            start, used, space = cut, carried, 0
        used += size
        if text == " " and used > (room if pieces else first_room) // 2:
            space, space_used = piece.end(), used
    pieces.append(line[start:])
    return pieces


def split_text(html_text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """``html_text`` as messages within ``limit``, split between lines (inside a line only when
    one line alone is too long); a tag open across a split is closed and opened again, so every
    part is valid HTML on its own."""
    if fits(html_text, limit):
        return [html_text]
    parts: list[str] = []
    current: list[str] = []
    used = 0
    reopen = ""  # the tags a part must open again because the previous one closed them

    def add(line: str) -> None:
        nonlocal used
        used += visible_len(line) + (1 if current else 0)
        current.append(line if len(current) else reopen + line)

    def flush() -> None:
        nonlocal used, reopen
        if current:
            part, reopen = _close_part(current)
            parts.append(part)
            current.clear()
            used = 0

    pending = html_text.split("\n")[::-1]
    while pending:
        line = pending.pop()
        size = visible_len(line)
        if used + size + (1 if current else 0) <= limit:
            add(line)
        elif size > limit:  # too long for any message: fill this one, then go on in the next
            room = limit - used - 1 if current else limit
            if room < limit // 4:
                flush()
                room = limit
            *full, last = _cut_line(line, room, limit)
            for piece in full:
                add(piece)
                flush()
            pending.append(last)
        else:
            flush()
            pending.append(line)
    flush()
    return [p for p in parts if visible(p).strip()]


def _close_part(lines: list[str]) -> tuple[str, str]:
    """One part: its lines with the tags still open closed; and those tags, to open again."""
    text = "\n".join(lines).strip("\n")
    stack = _open_tags(text)
    closing = "".join(f"</{name}>" for name, _ in reversed(stack))
    return text + closing, "".join(raw for _, raw in stack)


def fit_list(head: Sequence[str], items: Sequence[str], tail: Sequence[str],
             more: Callable[[int], str], *, hidden: int = 0,
             limit: int = TEXT_LIMIT) -> tuple[str, int]:
    """``head``, as many ``items`` as fit, ``more(n)`` for the n left out (plus ``hidden``,
    already left out before), then ``tail``: one text within ``limit``. Returns the text and
    how many items it shows."""
    fixed = visible_len("\n".join([*head, *tail]))
    shown = 0
    for item in items:
        hidden_after = hidden + len(items) - shown - 1
        reserve = visible_len(more(hidden_after)) + 1 if hidden_after else 0
        if fixed + visible_len(item) + 1 + reserve > limit:
            break
        fixed += visible_len(item) + 1
        shown += 1
    left_out = hidden + len(items) - shown
    body = [*items[:shown], *([more(left_out)] if left_out else [])]
    return "\n".join([*head, *body, *tail]), shown
