"""Telegram's HTML parse mode: text as the user sees it, plus message entities."""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import MessageEntity

_ENTITY_TYPES = {
    "b": MessageEntity.BOLD,
    "strong": MessageEntity.BOLD,
    "i": MessageEntity.ITALIC,
    "em": MessageEntity.ITALIC,
    "u": MessageEntity.UNDERLINE,
    "ins": MessageEntity.UNDERLINE,
    "s": MessageEntity.STRIKETHROUGH,
    "strike": MessageEntity.STRIKETHROUGH,
    "del": MessageEntity.STRIKETHROUGH,
    "code": MessageEntity.CODE,
    "pre": MessageEntity.PRE,
    "a": MessageEntity.TEXT_LINK,
    "tg-spoiler": MessageEntity.SPOILER,
    "span": MessageEntity.SPOILER,
    "blockquote": MessageEntity.BLOCKQUOTE,
    "tg-emoji": MessageEntity.CUSTOM_EMOJI,
}
_TAG = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)"
    r"((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>\"']+))?)*)\s*/?>"
)
_ATTR = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>\"']+)))?")
_CHARREF = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML (Bot API: "can't parse entities")."""


@dataclass(frozen=True)
class Parsed:
    """Plain text and the entities Telegram would report for it."""

    plain: str
    entities: tuple[MessageEntity, ...]


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Bot API entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _unescape(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        ref = match.group(1)
        if ref.startswith("#x"):
            return chr(int(ref[2:], 16))
        if ref.startswith("#"):
            return chr(int(ref[1:]))
        return _NAMED[ref]

    return _CHARREF.sub(one, text)


def parse_html(text: str) -> Parsed:
    """Parse like the Bot API: supported tags only, every tag closed, bare ``<`` refused."""
    out: list[str] = []
    offset = 0  # UTF-16 units written so far
    stack: list[tuple[str, int, dict[str, str]]] = []
    entities: list[MessageEntity] = []
    pos = 0
    while pos < len(text):
        lt = text.find("<", pos)
        chunk = _unescape(text[pos : lt if lt >= 0 else len(text)])
        out.append(chunk)
        offset += utf16_len(chunk)
        if lt < 0:
            break
        byte_offset = len(text[:lt].encode())
        match = _TAG.match(text, lt)
        if match is None:
            raise EntityParseError(f"Unexpected end of name token at byte offset {byte_offset}")
        closing, name, raw_attrs = match.group(1) == "/", match.group(2).lower(), match.group(3)
        if name not in _ENTITY_TYPES:
            kind = "end" if closing else "start"
            raise EntityParseError(f'Unsupported {kind} tag "{name}" at byte offset {byte_offset}')
        if closing:
            if not stack or stack[-1][0] != name:
                raise EntityParseError(
                    f'Unmatched end tag at byte offset {byte_offset}, expected "</'
                    f'{stack[-1][0] if stack else ""}>", found "</{name}>"'
                )
            tag, start, attrs = stack.pop()
            if offset > start:
                entities.append(_entity(tag, start, offset - start, attrs))
        else:
            attrs = {
                a.group(1).lower(): _unescape(a.group(2) or a.group(3) or a.group(4) or "")
                for a in _ATTR.finditer(raw_attrs)
            }
            if name == "a" and "href" not in attrs:
                raise EntityParseError(f'Tag "a" must have attribute "href" at {byte_offset}')
            if name == "span" and attrs.get("class") != "tg-spoiler":
                raise EntityParseError(f'Tag "span" must have class "tg-spoiler" at {byte_offset}')
            stack.append((name, offset, attrs))
        pos = match.end()
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e.offset, -e.length))
    return Parsed("".join(out), tuple(entities))


def _entity(tag: str, offset: int, length: int, attrs: dict[str, str]) -> MessageEntity:
    kind = _ENTITY_TYPES[tag]
    if tag == "a":
        return MessageEntity(kind, offset, length, url=attrs["href"])
    if tag == "blockquote" and "expandable" in attrs:
        return MessageEntity(MessageEntity.EXPANDABLE_BLOCKQUOTE, offset, length)
    if tag == "tg-emoji":
        return MessageEntity(kind, offset, length, custom_emoji_id=attrs.get("emoji-id"))
    return MessageEntity(kind, offset, length)


def strip_html(text: str) -> str:
    """The text with tags removed and entities unescaped; lenient (never raises)."""
    try:
        return parse_html(text).plain
    except EntityParseError:
        return _unescape(re.sub(r"<[^>]*>", "", text))
