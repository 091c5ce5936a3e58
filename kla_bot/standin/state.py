"""The stand-in's one state: users, chats, updates, bot messages, files, faults and limits.

Everything runs on ONE asyncio event loop: the state is not thread-safe, and both faces
(:class:`~kla_bot.standin.request.StandinRequest` in-process and
:class:`~kla_bot.standin.server.StandinServer` over HTTP) must be used from the loop that
runs the bot. Nothing here sleeps: long polls and waits use asyncio futures with timeouts.

The parts :class:`BotApiStandin` is made of: ``core`` (shared attributes and helpers), ``chats``
(users, groups, per-chat records), ``acting`` (what users do, the getUpdates queue), ``outgoing``
(checking and storing the bot's messages), ``api_messages`` and ``api_setup`` (the Bot API
methods) and ``limits`` (flood limits and injected faults).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from telegram import Chat, User

from kla_bot.standin import params as P
from kla_bot.standin.acting import UsersActing
from kla_bot.standin.api_messages import MessageMethods
from kla_bot.standin.api_setup import SetupMethods
from kla_bot.standin.chats import ChatRecord, StandinGroup, StandinUser
from kla_bot.standin.driver import ChatDriver
from kla_bot.standin.files import DownloadGate, FileNotKnown, StoredFile
from kla_bot.standin.limits import FaultsAndLimits, RateLimits
from kla_bot.standin.model import (
    JSON,
    ApiCall,
    ApiError,
    DropConnection,
    Event,
    Mark,
    SentMessage,
    Upload,
)

__all__ = ["BotApiStandin", "RateLimits", "StandinGroup", "StandinUser"]


class BotApiStandin(UsersActing, MessageMethods, SetupMethods, FaultsAndLimits):
    """A local Telegram Bot API: users act through chat drivers, the bot through Bot API calls.

    Not thread-safe: use it from the one event loop that runs the bot and the test.
    """

    # ------------------------------------------------------------------ set-up
    def add_user(
        self,
        first_name: str,
        *,
        user_id: int | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "id",
    ) -> StandinUser:
        """A new user; their private chat exists but the bot may not write first."""
        uid = user_id if user_id is not None else 1001 + len(self.users)
        if uid in self.users:
            raise ValueError(f"user {uid} already exists")
        user = StandinUser(self, uid, first_name, last_name, username, language_code)
        self.users[uid] = user
        chat = Chat(
            id=uid,
            type=Chat.PRIVATE,
            first_name=first_name,
            last_name=last_name,
            username=username,
        )
        self._chats[uid] = ChatRecord(chat=chat, user=user)
        return user

    def add_group(self, title: str) -> StandinGroup:
        group = StandinGroup(-4_000_000_001 - len(self.groups), title)
        self.groups[group.id] = group
        self._chats[group.id] = ChatRecord(chat=group.chat, group=group)
        return group

    def set_privacy_mode(self, on: bool) -> None:
        """BotFather's /setprivacy for this bot: off, it reads every group message (getMe's
        ``can_read_all_group_messages``)."""
        data = self.bot_user.to_dict()
        data["can_read_all_group_messages"] = not on
        self.bot_user = User.de_json(data, None)

    def chat(self, user: StandinUser, group: StandinGroup | None = None) -> ChatDriver:
        """``user`` acting in their private chat, or in ``group``."""
        return ChatDriver(self, user, group)

    def duplicates(self) -> list[tuple[int, str, int]]:
        return self.stats.duplicates()

    # ------------------------------------------------------------------ transcript
    def mark(self) -> Mark:
        return Mark(sent=len(self.sent), events=len(self.events))

    def sent_since(self, mark: Mark) -> list[SentMessage]:
        return self.sent[mark.sent :]

    def calls_to(self, method: str) -> list[ApiCall]:
        return [c for c in self.calls if c.method == method]

    def messages_to(self, chat_id: int) -> list[SentMessage]:
        return [m for m in self.sent if m.chat_id == chat_id]

    def find_sent(self, chat_id: int, message_id: int) -> SentMessage:
        try:
            return self._chats[chat_id].sent[message_id]
        except KeyError:
            raise LookupError(f"the bot sent no message {message_id} to chat {chat_id}") from None

    def subscribe(self, listener: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``listener`` on every transcript event (the console prints with it)."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    async def wait_for(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        """Wait (on the event loop, no polling sleep) until ``predicate()`` holds."""
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(within):
            while not predicate():
                fut: asyncio.Future[None] = loop.create_future()
                self._change_waiters.add(fut)
                try:
                    await fut
                finally:
                    self._change_waiters.discard(fut)

    # ------------------------------------------------------------------ downloads
    def open_download(self, file_path: str) -> AsyncIterator[bytes]:
        """``async for chunk in state.open_download(file.file_path)`` (path or full URL)."""
        try:
            self.files.by_path(file_path)
        except FileNotKnown:
            raise LookupError(f"no file at {file_path}") from None
        return self.files.iter_download(file_path)

    def hold_download(self, key: str, *, after_bytes: int = 0) -> DownloadGate:
        """Hold downloads of a file (unique id, file id or file_path) after ``after_bytes``."""
        return self.files.hold(key, after_bytes)

    @property
    def download_started(self) -> asyncio.Event:
        """Set once any download began (``await state.download_started.wait()``)."""
        return self.files.download_started

    def get_file_count(self, file: str | StoredFile) -> int:
        """getFile calls made for this file (by file_id or file_unique_id)."""
        if isinstance(file, StoredFile):
            return self.files.get_file_calls[file.file_unique_id]
        try:
            return self.files.get_file_calls[self.files.by_id(file).file_unique_id]
        except FileNotKnown:
            return self.files.get_file_calls[file]

    # ------------------------------------------------------------------ the Bot API face
    async def handle(
        self, method: str, wire: Mapping[str, str], files: Mapping[str, Upload] | None = None
    ) -> tuple[int, bytes]:
        """Answer one Bot API call with (HTTP status, JSON envelope). May raise DropConnection."""
        try:
            result = await self.call(method, wire, files or {})
        except ApiError as error:
            return error.status, error.body()
        except (DropConnection, asyncio.CancelledError):
            raise
        except Exception as exc:  # a stand-in bug must fail the test, not hang the bot
            self.unexpected.append(f"{method}: stand-in error {exc!r}")
            return 500, ApiError(500, f"Internal Server Error: {exc!r}").body()
        return 200, json.dumps({"ok": True, "result": result}).encode()

    async def call(self, method: str, wire: Mapping[str, str], files: Mapping[str, Upload]) -> Any:
        """Run one Bot API method; returns the JSON-able result or raises ApiError."""
        self.stats.calls[method] += 1
        self.stats.uploaded_bytes += sum(len(f.content) for f in files.values())
        record = ApiCall(method=method, params=dict(wire))
        self.calls.append(record)
        try:
            spec = P.METHODS.get(method)
            if spec is None:
                raise self._unexpected(method)
            attached = _attach_names(wire.get("media", ""))
            unknown = sorted(
                {k for k in wire if k not in spec}
                | {k for k in files if spec.get(k) != "file" and k not in attached}
            )
            if unknown:
                raise self._unexpected(f"{method}({', '.join(unknown)})")
            try:
                args = P.decode(method, wire)
            except P.ParamError as exc:
                raise ApiError(400, str(exc)) from None
            record.params = args
            self._inject_fault(method, args)
            handler: Callable[[JSON, Mapping[str, Upload]], Any] = getattr(self, "_api_" + method)
            return await handler(args, files)
        except ApiError as error:
            record.status, record.description = error.status, error.description
            if error.status == 429:
                self.stats.too_many_requests += 1
            raise
        except DropConnection:
            record.status, record.description = 0, "connection dropped"
            raise


def _attach_names(media: str) -> set[str]:
    return set(re.findall(r'"attach://([^"]+)"', media))
