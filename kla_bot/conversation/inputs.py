"""What a person sent, whatever the app: text, command, file, button press, contact."""

from __future__ import annotations

from dataclasses import dataclass

from kla_bot.domain import Channel, Who
from kla_bot.services.intake import IncomingFile

__all__ = ["Channel", "ContactIn", "Inbound", "IncomingFile", "Place", "Who"]


@dataclass(frozen=True)
class Place:
    """Where a message is read: a private chat or a group, on one channel. ``id`` is the
    channel's own (a Telegram chat id as text, a WhatsApp sender's address)."""

    channel: Channel
    id: str
    private: bool = True


@dataclass(frozen=True)
class ContactIn:
    """A shared contact card: its phone, and (Telegram) whose account it is, if it says."""

    phone: str
    user_id: str | None


@dataclass(frozen=True)
class Inbound:
    """One input. Exactly one of ``command``, ``press``, ``file``, ``contact`` or ``text`` says
    what it is (a file's caption is in ``text``). ``reply_to`` is the id of the message it
    answers (as text), ``reply_to_bot`` whether that message was the bot's."""

    who: Who
    place: Place
    first_name: str = ""
    language_code: str | None = None
    text: str | None = None
    command: str | None = None
    args: tuple[str, ...] = ()
    press: str | None = None
    file: IncomingFile | None = None
    contact: ContactIn | None = None
    reply_to: str | None = None
    reply_to_bot: bool = False
    reply_to_choices: tuple[str, ...] = ()  # the data of the replied-to message's buttons
    mentions_bot: bool = False  # names the bot (Telegram's @username)
    message_ref: str | None = None

    @property
    def private(self) -> bool:
        return self.place.private

    @property
    def addressed(self) -> bool:
        """Meant for the bot: any private message; in a group a reply to it or its name."""
        return self.place.private or self.reply_to_bot or self.mentions_bot
