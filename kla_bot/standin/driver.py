"""A user acting in one chat, and the assertions a test makes on what the bot answered."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from telegram import Contact, MessageEntity, ReplyKeyboardMarkup, Update
from telegram.ext import Application

from kla_bot.standin.html import utf16_len
from kla_bot.standin.model import CallbackAnswer, Mark, SentMessage

if TYPE_CHECKING:
    from kla_bot.standin.state import BotApiStandin, StandinGroup, StandinUser

_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{1,64})?")
_OWN = object()


class ChatDriver:
    """``user`` in their private chat (or in ``group``): act, then read the bot's answers.

    The acting methods build a real :class:`telegram.Update`, record it, queue it for
    getUpdates and return it; hand it to an in-process application with :func:`deliver`.
    """

    def __init__(
        self, state: BotApiStandin, user: StandinUser, group: StandinGroup | None = None
    ) -> None:
        self.state = state
        self.user = user
        self.group = group

    @property
    def chat_id(self) -> int:
        return self.group.id if self.group is not None else self.user.id

    # ------------------------------------------------------------------ acting
    def send(self, text: str, *, reply_to: object = None) -> Update:
        """The user sends ``text``; a leading ``/command`` gets its bot_command entity."""
        entities = []
        match = _COMMAND.match(text)
        if match:
            entities.append(MessageEntity(MessageEntity.BOT_COMMAND, 0, utf16_len(match.group(0))))
        return self.state.user_message(
            self.user, self.group, reply_to=reply_to, text=text, entities=entities
        )

    def share_contact(
        self,
        phone: str,
        *,
        user_id: Any = _OWN,
        first_name: str | None = None,
        last_name: str | None = None,
    ) -> Update:
        """The user shares a contact: their own (default), someone else's, or one without id."""
        contact = Contact(
            phone_number=phone,
            first_name=first_name or self.user.first_name,
            last_name=last_name if first_name is not None else self.user.last_name,
            user_id=self.user.id if user_id is _OWN else user_id,
        )
        return self.state.user_message(self.user, self.group, contact=contact)

    def send_document(
        self,
        data: bytes | Path,
        *,
        file_name: str,
        mime_type: str = "application/pdf",
        caption: str | None = None,
        reply_to: object = None,
        media_group_id: str | None = None,
        claimed_size: int | None = None,
    ) -> Update:
        """The user sends a file; ``claimed_size`` fakes the size Telegram reports."""
        stored = self.state.user_file(
            data, "document", file_name=file_name, mime_type=mime_type, claimed_size=claimed_size
        )
        return self.state.user_message(
            self.user,
            self.group,
            reply_to=reply_to,
            document=stored.as_document(),
            caption=caption,
            media_group_id=media_group_id,
        )

    def send_photo(
        self,
        data: bytes | Path,
        *,
        caption: str | None = None,
        reply_to: object = None,
        media_group_id: str | None = None,
    ) -> Update:
        """The user sends a compressed photo; the largest size holds the original bytes."""
        original = self.state.user_file(data, "photo").blob
        sizes = self.state.photo_sizes(original)
        return self.state.user_message(
            self.user,
            self.group,
            reply_to=reply_to,
            photo=tuple(s.as_photo_size() for s in sizes),
            caption=caption,
            media_group_id=media_group_id,
        )

    def press(self, message: object, button: str | int) -> Update:
        """The user presses an inline button (by text, or index counted row by row from 0)."""
        sent = self._sent(message)
        texts, data = sent.buttons, sent.callback_data
        if isinstance(button, int):
            index = button
        elif button in texts:
            index = texts.index(button)
        else:
            raise LookupError(f"no button {button!r} on message {sent.message_id}: {texts}")
        if not 0 <= index < len(texts):
            raise LookupError(f"no button #{index} on message {sent.message_id}: {texts}")
        if data[index] is None:
            raise LookupError(f"button {texts[index]!r} has no callback_data")
        return self.press_data(sent, str(data[index]))

    def press_data(self, message: object, data: str) -> Update:
        """A callback query with arbitrary (possibly forged or stale) data."""
        sent = self._sent(message)
        if sent.deleted:
            raise LookupError(f"message {sent.message_id} was deleted")
        return self.state.user_press(self.user, self.group, sent.message_id, data)

    def _sent(self, message: object) -> SentMessage:
        if isinstance(message, SentMessage):
            return message
        if isinstance(message, int):
            return self.state.find_sent(self.chat_id, message)
        message_id = getattr(message, "message_id", None)
        if isinstance(message_id, int):
            return self.state.find_sent(self.chat_id, message_id)
        raise TypeError(f"not a bot message: {message!r}")

    # ------------------------------------------------------------------ reading
    def messages(self) -> list[SentMessage]:
        """Bot messages to this chat, in order (deleted ones included, flagged)."""
        return self.state.messages_to(self.chat_id)

    def last(self) -> SentMessage:
        messages = self.messages()
        if not messages:
            raise AssertionError(f"the bot sent nothing to chat {self.chat_id}")
        return messages[-1]

    def last_text(self) -> str:
        """The last bot message as the user sees it (HTML tags stripped)."""
        return self.last().plain

    def texts(self) -> list[str]:
        return [m.plain for m in self.messages()]

    def buttons(self, msg: SentMessage | None = None) -> list[str]:
        """Inline button texts of ``msg`` (default: the last bot message)."""
        return (msg or self.last()).buttons

    def reply_keyboard(self) -> ReplyKeyboardMarkup | None:
        """The reply keyboard the user currently sees (None once removed or never sent)."""
        for message in reversed(self.messages()):
            markup = message.reply_markup or {}
            if "keyboard" in markup:
                return message.reply_keyboard
            if "remove_keyboard" in markup:
                return None
        return None

    def since(self, mark: Mark) -> list[SentMessage]:
        return [m for m in self.state.sent_since(mark) if m.chat_id == self.chat_id]

    def expect_no_messages_since(self, mark: Mark) -> None:
        sent = self.since(mark)
        if sent:
            raise AssertionError(
                f"expected no bot messages to chat {self.chat_id}, got: "
                + "; ".join(repr(m.plain) for m in sent)
            )

    def callback_answers(self) -> list[CallbackAnswer]:
        return [a for a in self.state.callback_answers if a.chat_id == self.chat_id]

    async def wait_for_message(
        self, *, since: Mark | None = None, within: float = 5.0
    ) -> SentMessage:
        """Wait until the bot sends a message to this chat after ``since`` (default: now)."""
        mark = since or self.state.mark()
        await self.state.wait_for(lambda: bool(self.since(mark)), within)
        return self.since(mark)[0]


async def deliver(app: Application[Any, Any, Any, Any, Any, Any], update: Update) -> bool:
    """Hand ``update`` to an initialized application in-process, as polling would.

    The update is re-read from JSON with ``app.bot`` attached and taken off the getUpdates
    queue. Returns False (and does nothing) if privacy mode hides it from the bot.
    """
    from kla_bot.standin.state import BotApiStandin

    state = getattr(app.bot.request, "state", None)
    if isinstance(state, BotApiStandin):
        if not state.visible_to_bot(update):
            return False
        state.confirm(update)
    fresh = Update.de_json(update.to_dict(), app.bot)
    assert fresh is not None
    await app.process_update(fresh)
    return True


async def deliver_pending(
    app: Application[Any, Any, Any, Any, Any, Any], state: BotApiStandin
) -> int:
    """Deliver every queued update in order (in-process tests without polling)."""
    count = 0
    while state.pending_updates:
        update = state.pending_updates[0]
        state.confirm(update)
        count += await deliver(app, update)
    return count
