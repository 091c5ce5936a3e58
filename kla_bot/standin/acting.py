"""Users acting on the stand-in: their messages and button presses, queued for getUpdates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from telegram import CallbackQuery, Chat, Message, Update

from kla_bot.standin.chats import ChatRecord, PendingQuery, StandinGroup, StandinUser, one_level
from kla_bot.standin.core import StandinCore, update_type
from kla_bot.standin.files import FileKind, StoredFile
from kla_bot.standin.model import Event, SentMessage


class UsersActing(StandinCore):
    """What users do (messages, presses, files) and the getUpdates queue it lands in."""

    def _chat_of(self, user: StandinUser, group: StandinGroup | None) -> ChatRecord:
        return self._chats[group.id if group else user.id]

    def _next_update_id(self) -> int:
        self._last_update_id += 1
        return self._last_update_id

    def _resolve_message(self, chat: ChatRecord, ref: object) -> Message:
        if isinstance(ref, SentMessage | Message):
            message_id = ref.message_id
        elif isinstance(ref, Update) and ref.effective_message is not None:
            message_id = ref.effective_message.message_id
        elif isinstance(ref, int):
            message_id = ref
        else:
            raise TypeError(f"cannot reply to {ref!r}")
        try:
            return chat.messages[message_id]
        except KeyError:
            raise LookupError(f"no message {message_id} in chat {chat.chat.id}") from None

    def user_message(
        self,
        user: StandinUser,
        group: StandinGroup | None,
        *,
        reply_to: object = None,
        **fields: Any,
    ) -> Update:
        """A message from ``user``: recorded, queued for getUpdates, returned as an Update."""
        chat = self._chat_of(user, group)
        reply = one_level(self._resolve_message(chat, reply_to)) if reply_to is not None else None
        message = Message(
            message_id=chat.next_message_id(),
            date=self.now(),
            chat=chat.chat,
            from_user=user.user,
            reply_to_message=reply,
            **fields,
        )
        chat.messages[message.message_id] = message
        if group is None:
            user.started = True
            user.blocked = False  # writing to a blocked bot restarts it, as in Telegram
        update = Update(update_id=self._next_update_id(), message=message)
        self.incoming.append(update)
        if self.visible_to_bot(update):
            self._enqueue(update)
        self._record(Event("incoming", chat.chat.id, update=update))
        return update

    def user_press(
        self, user: StandinUser, group: StandinGroup | None, target: object, data: str
    ) -> Update:
        chat = self._chat_of(user, group)
        message = self._resolve_message(chat, target)
        self._last_query_id += 1
        query_id = f"{user.id}{self._last_query_id:08d}"
        self._queries[query_id] = PendingQuery(chat_id=chat.chat.id)
        query = CallbackQuery(
            id=query_id,
            from_user=user.user,
            chat_instance=f"-{abs(chat.chat.id)}7",
            message=message,
            data=data,
        )
        update = Update(update_id=self._next_update_id(), callback_query=query)
        self.incoming.append(update)
        self._enqueue(update)
        self._record(Event("incoming", chat.chat.id, update=update))
        return update

    def user_file(
        self,
        data: bytes | Path,
        kind: FileKind,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        claimed_size: int | None = None,
    ) -> StoredFile:
        blob = self.files.add_path(data) if isinstance(data, Path) else self.files.add_bytes(data)
        return self.files.new_file(
            blob, kind, file_name=file_name, mime_type=mime_type, claimed_size=claimed_size
        )

    def visible_to_bot(self, update: Update) -> bool:
        """Privacy mode: in groups the bot sees commands and replies to its own messages."""
        message = update.message
        if message is None or message.chat.type == Chat.PRIVATE:
            return True
        group = self.groups.get(message.chat.id)
        if (group is None or not group.privacy_mode or group.bot_admin
                or self.bot_user.can_read_all_group_messages):
            return True
        replied = message.reply_to_message
        if replied is not None and replied.from_user == self.bot_user:
            return True
        text = message.text or message.caption or ""
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            return "@" not in command or command.split("@", 1)[1] == self.bot_username
        return False

    # ------------------------------------------------------------------ the update queue
    def _enqueue(self, update: Update) -> None:
        if self.allowed_updates and update_type(update) not in self.allowed_updates:
            return
        self._queue.append(update)
        for fut in self._poll_waiters:
            if not fut.done():
                fut.set_result(None)

    @property
    def pending_updates(self) -> list[Update]:
        """Updates queued for getUpdates and not confirmed yet."""
        return list(self._queue)

    def confirm(self, update: Update) -> None:
        """Take ``update`` off the getUpdates queue (it was handed to the bot directly)."""
        self._queue = [u for u in self._queue if u.update_id != update.update_id]
