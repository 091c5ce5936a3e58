"""What the bot answers, whatever the app, and what a channel must do to deliver it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from kla_bot.conversation.inputs import IncomingFile, Place


@dataclass(frozen=True)
class Choice:
    """One button: the label people read (catalog HTML, drawn as plain text) and the data
    that comes back when it is pressed (``word:word:123``, at most 64 bytes)."""

    label: str
    data: str


@dataclass(frozen=True)
class Reply:
    """A text (catalog HTML) with choices in rows. ``ask_contact`` offers the channel's
    "share my number" button (Telegram); ``clear_keyboard`` removes such a button."""

    text: str
    choices: tuple[tuple[Choice, ...], ...] = ()
    ask_contact: bool = False
    clear_keyboard: bool = False


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

    async def answer_press(self, text: str | None = None, *, alert: bool = False) -> None:
        """Acknowledge the button press being handled (Telegram's spinner), with an
        optional short note; channels without that send ``text`` as a message when alert."""

    def download(self, file: IncomingFile) -> AsyncIterator[bytes]:
        """Stream a file's bytes from the channel (size checks are the caller's)."""

    @property
    def bot_name(self) -> str:
        """How people find the bot on this channel (Telegram's @username, a WhatsApp number)."""
