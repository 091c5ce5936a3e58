"""What the bot answers, whatever the app, and what a channel must do to deliver it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from kla_bot.conversation.inputs import IncomingFile, Place


@dataclass(frozen=True)
class Choice:
    """One button: the label people read (catalog HTML, drawn as plain text) and the data
    that comes back when it is pressed (``word:word:123``, at most 64 bytes)."""

    label: str
    data: str


@dataclass
class SentFile:
    """Filled in by the channel once an attachment went out: the id Telegram gave the file,
    to send the same bytes again without uploading them (a cached chart)."""

    telegram_file_id: str | None = None


@dataclass(frozen=True)
class Attachment:
    """A file sent with a reply (the reply's text is its caption when it fits): a file on
    disk (``path``: an export part), bytes made now (``data``: a chart, shown as a photo when
    ``photo``) or bytes fetched only when needed (``load``: evidence from the store, which
    may be remote; FileNotFoundError when it lacks the file). ``telegram_file_id``/
    ``telegram_kind``: what Telegram gave for an upload, so it is sent again without
    uploading the bytes."""

    name: str
    path: Path | None = None
    data: bytes | None = None
    photo: bool = False
    load: Callable[[], Awaitable[bytes]] | None = None
    sent: SentFile | None = None
    telegram_file_id: str | None = None
    telegram_kind: str | None = None


@dataclass(frozen=True)
class Reply:
    """A text (catalog HTML) with choices in rows. ``ask_contact`` is the label of the
    channel's "share my number" button (Telegram), ``clear_keyboard`` removes such a button;
    ``reply_to`` quotes a message (in groups, so people see whom the bot answers)."""

    text: str
    choices: tuple[tuple[Choice, ...], ...] = ()
    ask_contact: str | None = None
    clear_keyboard: bool = False
    reply_to: str | None = None
    attachment: Attachment | None = None


def rows(pairs: list[list[tuple[str, str]]]) -> tuple[tuple[Choice, ...], ...]:
    """Choices from (label, data) rows, the shape renderers and handlers build."""
    return tuple(tuple(Choice(text, data) for text, data in row) for row in pairs if row)


class ChannelRefused(Exception):
    """The channel cannot deliver to this person (blocked the bot, never started it, not a
    WhatsApp user): the conversation treats it like a blocked member."""


class Port(Protocol):
    """What a channel does for the conversation."""

    channel: str

    async def send(self, place: Place, reply: Reply) -> str:
        """Deliver ``reply``; return the id of the (last) message sent, as text."""

    async def edit(self, place: Place, message_ref: str, reply: Reply) -> str:
        """Replace a message the bot sent (a channel without editing sends a new one);
        return the id of the message now showing it."""

    async def remove_choices(self, place: Place, message_ref: str) -> None:
        """Take the buttons off a message the bot sent, where the channel can (best effort)."""

    async def answer_press(self, text: str | None = None, *, alert: bool = False) -> None:
        """Acknowledge the button press being handled (Telegram's spinner), with an
        optional short note; channels without that send ``text`` as a message when alert."""

    def download(self, file: IncomingFile) -> AsyncIterator[bytes]:
        """Stream a file's bytes from the channel (size checks are the caller's)."""

    def invite_link(self, code: str) -> str:
        """A link that opens a chat with the bot and hands it a one-time invite code."""

    @property
    def bot_name(self) -> str:
        """How people find the bot on this channel (Telegram's @username, a WhatsApp number)."""
