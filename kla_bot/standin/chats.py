"""Users, groups and the per-chat records of the stand-in (messages, the bot's sends, queries)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from telegram import Chat, Message, User

from kla_bot.standin.model import SentMessage

if TYPE_CHECKING:
    from kla_bot.standin.driver import ChatDriver
    from kla_bot.standin.state import BotApiStandin


class StandinUser:
    """A Telegram user who can talk to the bot; the private chat id is the user id."""

    def __init__(
        self,
        state: BotApiStandin,
        user_id: int,
        first_name: str,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
    ) -> None:
        self._state = state
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.started = False  # sent anything to the bot in private, so the bot may write
        self.blocked = False
        self.deactivated = False

    @property
    def user(self) -> User:
        return User(
            id=self.id,
            is_bot=False,
            first_name=self.first_name,
            last_name=self.last_name,
            username=self.username,
            language_code=self.language_code,
        )

    @property
    def private(self) -> ChatDriver:
        """This user acting in the private chat with the bot."""
        return self._state.chat(self)

    def block(self) -> None:
        """The user blocks the bot: every send to them gets 403 until they write again."""
        self.blocked = True

    def unblock(self) -> None:
        self.blocked = False

    def deactivate(self) -> None:
        """The account is deleted: sends get 403 "user is deactivated"."""
        self.deactivated = True

    def __repr__(self) -> str:
        return f"StandinUser({self.id}, {self.first_name!r})"


class StandinGroup:
    """A basic group the bot is a member of (privacy mode on, as by default)."""

    def __init__(self, group_id: int, title: str) -> None:
        self.id = group_id
        self.title = title
        self.privacy_mode = True
        self.bot_member = True
        self.bot_admin = False  # an administrator bot sees every message, privacy mode or not

    @property
    def chat(self) -> Chat:
        return Chat(id=self.id, type=Chat.GROUP, title=self.title)

    def remove_bot(self) -> None:
        """Kick the bot: sends get 403 "bot was kicked from the group chat"."""
        self.bot_member = False

    def __repr__(self) -> str:
        return f"StandinGroup({self.id}, {self.title!r})"


@dataclass
class ChatRecord:
    """One chat as the stand-in keeps it: every message in it, and the bot's sends."""

    chat: Chat
    user: StandinUser | None = None
    group: StandinGroup | None = None
    last_message_id: int = 0
    messages: dict[int, Message] = field(default_factory=dict)
    sent: dict[int, SentMessage] = field(default_factory=dict)

    def next_message_id(self) -> int:
        self.last_message_id += 1
        return self.last_message_id


@dataclass
class PendingQuery:
    """A callback query a user made; the bot may answer it once with answerCallbackQuery."""

    chat_id: int
    answered: bool = False


def one_level(message: Message) -> Message:
    """Telegram nests replies one level deep: drop the replied message's own reply."""
    if message.reply_to_message is None:
        return message
    data = message.to_dict()
    data.pop("reply_to_message", None)
    result = Message.de_json(data, None)
    assert result is not None
    return result
