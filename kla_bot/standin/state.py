"""The stand-in's one state: users, chats, updates, bot messages, files, faults and limits.

Everything runs on ONE asyncio event loop: the state is not thread-safe, and both faces
(:class:`~kla_bot.standin.request.StandinRequest` in-process and
:class:`~kla_bot.standin.server.StandinServer` over HTTP) must be used from the loop that
runs the bot. Nothing here sleeps: long polls and waits use asyncio futures with timeouts.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from telegram import (
    AcceptedGiftTypes,
    BotCommand,
    CallbackQuery,
    Chat,
    ChatFullInfo,
    File,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
    User,
    WebhookInfo,
)

from kla_bot.standin import params as P
from kla_bot.standin.driver import ChatDriver
from kla_bot.standin.files import (
    Blob,
    DownloadGate,
    FileKind,
    FileNotKnown,
    FileStore,
    StoredFile,
)
from kla_bot.standin.html import EntityParseError, parse_html
from kla_bot.standin.model import (
    JSON,
    ApiCall,
    ApiError,
    CallbackAnswer,
    DropConnection,
    Event,
    Fault,
    Mark,
    SentMessage,
    StandinStats,
    Upload,
)

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_DOWNLOAD = 20 * 1024 * 1024
MAX_UPLOAD = 50 * 1024 * 1024
MAX_PHOTO = 10 * 1024 * 1024
PHOTO_SIZES = ((90, 67), (320, 240), (1280, 960))  # the last one is the original bytes
_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: injected by stand-in",
    403: "Forbidden: bot was blocked by the user",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


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

    @property
    def chat(self) -> Chat:
        return Chat(id=self.id, type=Chat.GROUP, title=self.title)

    def remove_bot(self) -> None:
        """Kick the bot: sends get 403 "bot was kicked from the group chat"."""
        self.bot_member = False

    def __repr__(self) -> str:
        return f"StandinGroup({self.id}, {self.title!r})"


@dataclass
class _Chat:
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
class _Query:
    chat_id: int
    answered: bool = False


class RateLimits:
    """Bot API flood limits as sliding windows; refusals carry a real ``retry_after``."""

    def __init__(
        self,
        global_per_second: float,
        per_chat_per_second: float,
        per_group_per_minute: float,
        now: Callable[[], float],
    ) -> None:
        self.now = now
        self._global = (global_per_second, 1.0)
        self._private = (per_chat_per_second, 1.0)
        self._group = (per_group_per_minute, 60.0)
        self._seen_global: deque[float] = deque()
        self._seen_chat: dict[int, deque[float]] = {}

    def admit(self, chat_id: int, *, is_group: bool) -> int | None:
        """Record one message to ``chat_id``, or return the seconds to wait instead."""
        now = self.now()
        chat_seen = self._seen_chat.setdefault(chat_id, deque())
        windows = [(self._seen_global, self._global)]
        windows.append((chat_seen, self._group if is_group else self._private))
        wait = 0.0
        for seen, (limit, span) in windows:
            while seen and seen[0] <= now - span:
                seen.popleft()
            allowed = max(1, int(limit))
            if len(seen) >= allowed:
                wait = max(wait, seen[len(seen) - allowed] + span - now)
        if wait > 0:
            return max(1, math.ceil(wait))
        for seen, _ in windows:
            seen.append(now)
        return None


class BotApiStandin:
    """A local Telegram Bot API: users act through chat drivers, the bot through Bot API calls.

    Not thread-safe: use it from the one event loop that runs the bot and the test.
    """

    def __init__(
        self,
        *,
        token: str = "123456:STANDIN",
        bot_username: str = "kla_test_bot",
        clock: Callable[[], datetime] | None = None,
        file_dir: Path | None = None,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self._clock = clock or (lambda: datetime.now(UTC))
        self.bot_user = User(
            id=int(token.split(":", 1)[0]),
            is_bot=True,
            first_name="KLA Test Bot",
            username=bot_username,
            can_join_groups=True,
            can_read_all_group_messages=False,
            supports_inline_queries=False,
        )
        self.files = FileStore(file_dir)
        self.require_start = True
        self.users: dict[int, StandinUser] = {}
        self.groups: dict[int, StandinGroup] = {}
        self.sent: list[SentMessage] = []
        self.incoming: list[Update] = []
        self.events: list[Event] = []
        self.calls: list[ApiCall] = []
        self.unexpected: list[str] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.commands: dict[tuple[str, str], list[BotCommand]] = {}
        self.menu_buttons: dict[int | None, JSON] = {}
        self.stats = StandinStats()
        self.allowed_updates: list[str] | None = None
        self.rate_limits: RateLimits | None = None
        self._chats: dict[int, _Chat] = {}
        self._queue: list[Update] = []
        self._last_update_id = 0
        self._last_query_id = 0
        self._queries: dict[str, _Query] = {}
        self._faults: list[Fault] = []
        self._poll_waiters: set[asyncio.Future[None]] = set()
        self._change_waiters: set[asyncio.Future[None]] = set()
        self._listeners: list[Callable[[Event], None]] = []

    # ------------------------------------------------------------------ set-up
    def now(self) -> datetime:
        return self._clock()

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
        self._chats[uid] = _Chat(chat=chat, user=user)
        return user

    def add_group(self, title: str) -> StandinGroup:
        group = StandinGroup(-4_000_000_001 - len(self.groups), title)
        self.groups[group.id] = group
        self._chats[group.id] = _Chat(chat=group.chat, group=group)
        return group

    def chat(self, user: StandinUser, group: StandinGroup | None = None) -> ChatDriver:
        """``user`` acting in their private chat, or in ``group``."""
        return ChatDriver(self, user, group)

    def close(self) -> None:
        """Delete stored files and wake every waiter."""
        for fut in (*self._poll_waiters, *self._change_waiters):
            if not fut.done():
                fut.cancel()
        self.files.close()

    # ------------------------------------------------------------------ faults and limits
    def fail_next(
        self,
        method: str,
        *,
        status: int | None = 429,
        retry_after: int | None = 2,
        description: str | None = None,
        times: int = 1,
        chat_id: int | None = None,
        drop_connection: bool = False,
    ) -> None:
        """Make the next ``times`` calls of ``method`` ("*" = any) fail instead of running."""
        if status is None and not drop_connection:
            raise ValueError("status=None needs drop_connection=True")
        if status is not None and description is None:
            if status == 429:
                description = f"Too Many Requests: retry after {retry_after}"
            else:
                description = _DEFAULT_DESCRIPTIONS.get(status, f"Error {status}")
        self._faults.append(
            Fault(
                method,
                status,
                retry_after if status == 429 else None,
                description,
                times,
                chat_id,
                drop_connection,
            )
        )

    def enforce_rate_limits(
        self,
        global_per_second: float = 30,
        per_chat_per_second: float = 1,
        per_group_per_minute: float = 20,
        now: Callable[[], float] = time.monotonic,
    ) -> RateLimits:
        """Answer sends over the Bot API flood limits with a real 429 (off by default)."""
        self.rate_limits = RateLimits(
            global_per_second, per_chat_per_second, per_group_per_minute, now
        )
        return self.rate_limits

    def duplicates(self) -> list[tuple[int, str, int]]:
        return self.stats.duplicates()

    # ------------------------------------------------------------------ transcript
    def mark(self) -> Mark:
        return Mark(sent=len(self.sent), events=len(self.events))

    def sent_since(self, mark: Mark) -> list[SentMessage]:
        return self.sent[mark.sent :]

    def events_since(self, mark: Mark) -> list[Event]:
        return self.events[mark.events :]

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

    async def wait_sent(
        self, count: int = 1, *, since: Mark | None = None, within: float = 5.0
    ) -> list[SentMessage]:
        """Wait until the bot sent ``count`` messages after ``since`` (default: now)."""
        mark = since or self.mark()
        await self.wait_for(lambda: len(self.sent) - mark.sent >= count, within)
        return self.sent_since(mark)

    def _record(self, event: Event) -> None:
        self.events.append(event)
        for listener in list(self._listeners):
            listener(event)
        for fut in self._change_waiters:
            if not fut.done():
                fut.set_result(None)

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

    # ------------------------------------------------------------------ users acting
    def _chat_of(self, user: StandinUser, group: StandinGroup | None) -> _Chat:
        return self._chats[group.id if group else user.id]

    def _next_update_id(self) -> int:
        self._last_update_id += 1
        return self._last_update_id

    def _resolve_message(self, chat: _Chat, ref: object) -> Message:
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
        reply = _one_level(self._resolve_message(chat, reply_to)) if reply_to is not None else None
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
        self._queries[query_id] = _Query(chat_id=chat.chat.id)
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

    def photo_sizes(self, original: Blob) -> list[StoredFile]:
        """Telegram's photo sizes: small placeholders, then the original as the largest."""
        sizes = []
        for width, height in PHOTO_SIZES[:-1]:
            placeholder = f"standin-photo-{width}x{height}-{original.sha256}".encode()
            sizes.append(
                self.files.new_file(
                    self.files.add_bytes(placeholder), "photo", width=width, height=height
                )
            )
        width, height = PHOTO_SIZES[-1]
        sizes.append(self.files.new_file(original, "photo", width=width, height=height))
        return sizes

    def visible_to_bot(self, update: Update) -> bool:
        """Privacy mode: in groups the bot sees commands and replies to its own messages."""
        message = update.message
        if message is None or message.chat.type == Chat.PRIVATE:
            return True
        group = self.groups.get(message.chat.id)
        if group is None or not group.privacy_mode:
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
        if self.allowed_updates and _update_type(update) not in self.allowed_updates:
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

    def _unexpected(self, what: str) -> ApiError:
        self.unexpected.append(what)
        return ApiError(400, f"Bad Request: method not supported by stand-in: {what}")

    def _inject_fault(self, method: str, args: JSON) -> None:
        for fault in self._faults:
            if fault.method not in (method, "*") or fault.times <= 0:
                continue
            if fault.chat_id is not None and args.get("chat_id") != fault.chat_id:
                continue
            fault.times -= 1
            self._faults = [f for f in self._faults if f.times > 0]
            self.stats.injected[fault.status or 0] += 1
            if fault.drop_connection:
                raise DropConnection(method)
            assert fault.status is not None and fault.description is not None
            if fault.status >= 500:
                self.stats.injected_5xx += 1
            raise ApiError(fault.status, fault.description, retry_after=fault.retry_after)

    # -- chats --------------------------------------------------------------------------
    def _known_chat(self, chat_id: object) -> _Chat:
        chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        return chat

    def _reachable_chat(self, chat_id: object) -> _Chat:
        chat = self._known_chat(chat_id)
        if chat.user is not None:
            if chat.user.deactivated:
                raise ApiError(403, "Forbidden: user is deactivated")
            if chat.user.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if self.require_start and not chat.user.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        if chat.group is not None and not chat.group.bot_member:
            raise ApiError(403, "Forbidden: bot was kicked from the group chat")
        return chat

    def _admit(self, chat: _Chat) -> None:
        if self.rate_limits is None:
            return
        wait = self.rate_limits.admit(chat.chat.id, is_group=chat.group is not None)
        if wait is not None:
            raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)

    # -- text, markup, replies ----------------------------------------------------------
    def _render(
        self, method: str, text: str, parse_mode: str | None, entities: object
    ) -> tuple[str, tuple[MessageEntity, ...]]:
        if not parse_mode:
            parsed = MessageEntity.de_list(entities, None) if isinstance(entities, list) else ()
            return text, tuple(parsed)
        if parse_mode.upper() != "HTML":
            raise self._unexpected(f"{method}(parse_mode={parse_mode})")
        try:
            result = parse_html(text)
        except EntityParseError as exc:
            raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
        return result.plain, result.entities

    def _check_markup(self, markup: object) -> InlineKeyboardMarkup | None:
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            for row in markup["inline_keyboard"]:
                for button in row:
                    if not button.get("text"):
                        raise ApiError(
                            400, "Bad Request: text buttons are unallowed in the inline keyboard"
                        )
                    data = button.get("callback_data")
                    if data is not None and not 1 <= len(str(data).encode()) <= 64:
                        raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            return InlineKeyboardMarkup.de_json(markup, None)
        if "keyboard" in markup:
            for row in markup["keyboard"]:
                for button in row:
                    text = button if isinstance(button, str) else button.get("text")
                    if not text:
                        raise ApiError(400, "Bad Request: keyboard button text is empty")
            return None
        if "remove_keyboard" in markup or "force_reply" in markup:
            return None
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")

    def _reply_target(self, chat: _Chat, args: JSON) -> Message | None:
        reply_parameters = args.get("reply_parameters") or {}
        message_id = reply_parameters.get("message_id", args.get("reply_to_message_id"))
        if message_id is None:
            return None
        if reply_parameters.get("chat_id") not in (None, chat.chat.id):
            raise self._unexpected("reply_parameters.chat_id (cross-chat reply)")
        allow = reply_parameters.get(
            "allow_sending_without_reply", args.get("allow_sending_without_reply")
        )
        message = chat.messages.get(message_id)
        if message is None:
            if allow:
                return None
            raise ApiError(400, "Bad Request: message to be replied not found")
        return _one_level(message)

    def _check_lengths(self, plain: str | None, caption: str | None) -> None:
        if plain is not None and not plain.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if plain is not None and len(plain) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        if caption is not None and len(caption) > MAX_CAPTION:
            raise ApiError(400, "Bad Request: message is too long")

    def _new_bot_message(
        self,
        chat: _Chat,
        method: str,
        args: JSON,
        *,
        reply: Message | None,
        document: StoredFile | None = None,
        photos: Sequence[StoredFile] = (),
        media_group_id: str | None = None,
        caption_args: JSON | None = None,
    ) -> SentMessage:
        """Store one bot message (all checks passed) and return its record."""
        caption_args = args if caption_args is None else caption_args
        text: str | None = args.get("text") if method == "sendMessage" else None
        caption: str | None = caption_args.get("caption")
        parse_mode = (args if text is not None else caption_args).get("parse_mode")
        fields: JSON = {}
        if text is not None:
            fields["text"], fields["entities"] = self._render(
                method, text, parse_mode, args.get("entities")
            )
        if caption is not None:
            fields["caption"], fields["caption_entities"] = self._render(
                method, caption, parse_mode, caption_args.get("caption_entities")
            )
        if document is not None:
            fields["document"] = document.as_document()
        if photos:
            fields["photo"] = tuple(p.as_photo_size() for p in photos)
        markup_json = args.get("reply_markup")
        markup = self._check_markup(markup_json)
        message = Message(
            message_id=chat.next_message_id(),
            date=self.now(),
            chat=chat.chat,
            from_user=self.bot_user,
            reply_to_message=reply,
            reply_markup=markup,
            media_group_id=media_group_id,
            **fields,
        )
        record = SentMessage(
            chat_id=chat.chat.id,
            message_id=message.message_id,
            method=method,
            message=message,
            text=text,
            caption=caption,
            parse_mode=parse_mode,
            reply_markup=markup_json,
            reply_to_message_id=reply.message_id if reply else None,
            params=dict(args) | dict(caption_args),
            document=document,
            photo=photos[-1] if photos else None,
            media_group_id=media_group_id,
        )
        chat.messages[message.message_id] = message
        chat.sent[message.message_id] = record
        self.sent.append(record)
        self.stats.delivered[method] += 1
        file = document or (photos[-1] if photos else None)
        key = record.plain or (f"[{method} {file.file_unique_id}]" if file else "")
        self.stats.deliveries[(chat.chat.id, key)] += 1
        self._record(Event("sent", chat.chat.id, message=record))
        return record

    def _validate_text(self, method: str, args: JSON) -> None:
        text = args.get("text")
        if text is None:
            raise ApiError(400, "Bad Request: message text is empty")
        plain, _ = self._render(method, text, args.get("parse_mode"), args.get("entities"))
        self._check_lengths(plain, None)
        self._check_markup(args.get("reply_markup"))

    def _validate_caption(self, method: str, args: JSON) -> None:
        caption = args.get("caption")
        if caption is not None:
            plain, _ = self._render(
                method, caption, args.get("parse_mode"), args.get("caption_entities")
            )
            self._check_lengths(None, plain)
        self._check_markup(args.get("reply_markup"))

    # -- files from the bot -------------------------------------------------------------
    def _bot_file(
        self, method: str, value: object, files: Mapping[str, Upload], name: str, kind: FileKind
    ) -> tuple[StoredFile, bool]:
        """The StoredFile for a sent ``document``/``photo`` value; bool = freshly uploaded."""
        upload: Upload | None = None
        if value is None:
            upload = files.get(name)
        elif isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value.removeprefix("attach://"))
        elif isinstance(value, str) and value.startswith(("http://", "https://")):
            raise self._unexpected(f"{method}({name}=URL)")
        elif isinstance(value, str):
            try:
                return self.files.by_id(value), False
            except FileNotKnown:
                raise ApiError(
                    400, "Bad Request: wrong file identifier/HTTP URL specified"
                ) from None
        if upload is None:
            raise ApiError(400, f"Bad Request: there is no {name} in the request")
        size = len(upload.content)
        if size > MAX_UPLOAD:
            raise ApiError(413, "Request Entity Too Large")
        if kind == "photo" and size > MAX_PHOTO:
            raise ApiError(400, "Bad Request: PHOTO_TOO_BIG: photo must be at most 10 MB")
        if size == 0:
            raise ApiError(400, "Bad Request: file must be non-empty")
        blob = self.files.add_bytes(upload.content)
        if kind == "photo":
            width, height = PHOTO_SIZES[-1]
            return self.files.new_file(blob, "photo", width=width, height=height), True
        return self.files.new_file(
            blob, "document", file_name=upload.filename, mime_type=upload.mime_type
        ), True

    def _document_copy(self, stored: StoredFile) -> StoredFile:
        return self.files.new_file(
            stored.blob,
            "document",
            file_name=stored.file_name,
            mime_type=stored.mime_type,
            claimed_size=stored.claimed_size,
        )

    # -- the methods (``_api_<name>``) ----------------------------------------------------
    async def _api_getMe(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        return self.bot_user.to_dict()

    async def _api_close(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        return True

    async def _api_logOut(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        return True

    async def _api_deleteWebhook(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        if args.get("drop_pending_updates"):
            self._queue.clear()
        return True

    async def _api_getWebhookInfo(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        return WebhookInfo(
            url="", has_custom_certificate=False, pending_update_count=len(self._queue)
        ).to_dict()

    async def _api_getUpdates(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        offset: int | None = args.get("offset")
        limit = max(1, min(100, int(args.get("limit", 100))))
        timeout = max(0.0, float(args.get("timeout", 0)))
        if "allowed_updates" in args:
            self.allowed_updates = list(args["allowed_updates"]) or None
        self._confirm_offset(offset)
        if not self._queue and timeout > 0:
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._poll_waiters.add(fut)
            try:
                async with asyncio.timeout(timeout):
                    await fut
            except TimeoutError:
                pass
            finally:
                self._poll_waiters.discard(fut)
            self._confirm_offset(offset)
        if self.allowed_updates:
            self._queue = [u for u in self._queue if _update_type(u) in self.allowed_updates]
        return [u.to_dict() for u in self._queue[:limit]]

    def _confirm_offset(self, offset: int | None) -> None:
        if offset is None:
            return
        if offset < 0:
            self._queue = self._queue[offset:]
        else:
            self._queue = [u for u in self._queue if u.update_id >= offset]

    async def _api_sendMessage(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        chat = self._reachable_chat(args.get("chat_id"))
        self._validate_text("sendMessage", args)
        reply = self._reply_target(chat, args)
        self._admit(chat)
        return self._new_bot_message(chat, "sendMessage", args, reply=reply).message.to_dict()

    async def _api_sendDocument(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        chat = self._reachable_chat(args.get("chat_id"))
        self._validate_caption("sendDocument", args)
        reply = self._reply_target(chat, args)
        stored, fresh = self._bot_file(
            "sendDocument", args.get("document"), files, "document", "document"
        )
        if stored.kind != "document":
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        self._admit(chat)
        document = stored if fresh else self._document_copy(stored)
        return self._new_bot_message(
            chat, "sendDocument", args, reply=reply, document=document
        ).message.to_dict()

    async def _api_sendPhoto(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        chat = self._reachable_chat(args.get("chat_id"))
        self._validate_caption("sendPhoto", args)
        reply = self._reply_target(chat, args)
        stored, _ = self._bot_file("sendPhoto", args.get("photo"), files, "photo", "photo")
        if stored.kind != "photo":
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        self._admit(chat)
        return self._new_bot_message(
            chat, "sendPhoto", args, reply=reply, photos=self.photo_sizes(stored.blob)
        ).message.to_dict()

    async def _api_sendMediaGroup(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        chat = self._reachable_chat(args.get("chat_id"))
        media = args.get("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise ApiError(400, "Bad Request: wrong number of media items: must be 2-10")
        kinds = {item.get("type") for item in media}
        if not kinds <= {"photo", "document"}:
            raise self._unexpected(f"sendMediaGroup(media type {sorted(map(str, kinds))})")
        if len(kinds) > 1:
            raise ApiError(400, "Bad Request: document can't be mixed with another media types")
        for item in media:
            unknown = set(item) - {
                "type",
                "media",
                "caption",
                "parse_mode",
                "caption_entities",
                "show_caption_above_media",
                "has_spoiler",
            }
            if unknown:
                raise self._unexpected(f"sendMediaGroup(media.{','.join(sorted(unknown))})")
            self._validate_caption("sendMediaGroup", item)
        reply = self._reply_target(chat, args)
        stored = [
            self._bot_file("sendMediaGroup", item.get("media"), files, "media", item["type"])
            for item in media
        ]
        self._admit(chat)  # an album counts as one send here
        group_id = f"{chat.chat.id}{chat.last_message_id + 1}"
        results = []
        for item, (sf, fresh) in zip(media, stored, strict=True):
            if item["type"] == "photo":
                extra: JSON = {"photos": self.photo_sizes(sf.blob)}
            else:
                extra = {"document": sf if fresh else self._document_copy(sf)}
            record = self._new_bot_message(
                chat,
                "sendMediaGroup",
                args,
                reply=reply,
                media_group_id=group_id,
                caption_args=item,
                **extra,
            )
            results.append(record.message.to_dict())
        return results

    async def _api_sendChatAction(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        self._reachable_chat(args.get("chat_id"))
        return True

    def _editable(self, args: JSON, method: str) -> tuple[_Chat, SentMessage]:
        if "inline_message_id" in args:
            raise self._unexpected(f"{method}(inline_message_id)")
        chat = self._reachable_chat(args.get("chat_id"))
        message_id = args.get("message_id")
        if message_id not in chat.messages or (
            message_id in chat.sent and chat.sent[message_id].deleted
        ):
            raise ApiError(400, "Bad Request: message to edit not found")
        if message_id not in chat.sent:
            raise ApiError(400, "Bad Request: message can't be edited")
        return chat, chat.sent[message_id]

    def _apply_edit(
        self,
        chat: _Chat,
        record: SentMessage,
        method: str,
        *,
        text: str | None,
        caption: str | None,
        parse_mode: str | None,
        entities: object,
        markup: JSON | None,
    ) -> Any:
        inline = self._check_markup(markup)
        if (text, caption, markup) == (record.text, record.caption, record.reply_markup) and (
            parse_mode == record.parse_mode
        ):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        fields: JSON = {}
        if text is not None:
            fields["text"], fields["entities"] = self._render(method, text, parse_mode, entities)
            self._check_lengths(fields["text"], None)
        elif caption is not None:
            fields["caption"], fields["caption_entities"] = self._render(
                method, caption, parse_mode, entities
            )
            self._check_lengths(None, fields["caption"])
        old = record.message
        message = Message(
            message_id=old.message_id,
            date=old.date,
            chat=old.chat,
            from_user=old.from_user,
            reply_to_message=old.reply_to_message,
            reply_markup=inline,
            edit_date=self.now(),
            document=old.document,
            photo=old.photo,
            media_group_id=old.media_group_id,
            **fields,
        )
        record.history.append(
            {
                "text": record.text,
                "caption": record.caption,
                "parse_mode": record.parse_mode,
                "reply_markup": record.reply_markup,
            }
        )
        record.text, record.caption, record.parse_mode = text, caption, parse_mode
        record.reply_markup, record.message = markup, message
        chat.messages[message.message_id] = message
        self._record(Event("edited", chat.chat.id, message=record))
        return message.to_dict()

    async def _api_editMessageText(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        chat, record = self._editable(args, "editMessageText")
        if record.text is None:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        if not args.get("text"):
            raise ApiError(400, "Bad Request: message text is empty")
        return self._apply_edit(
            chat,
            record,
            "editMessageText",
            text=args["text"],
            caption=None,
            parse_mode=args.get("parse_mode"),
            entities=args.get("entities"),
            markup=args.get("reply_markup"),
        )

    async def _api_editMessageCaption(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        chat, record = self._editable(args, "editMessageCaption")
        if record.text is not None:
            raise ApiError(400, "Bad Request: there is no caption in the message to edit")
        caption = args.get("caption")
        return self._apply_edit(
            chat,
            record,
            "editMessageCaption",
            text=None,
            caption=caption,
            parse_mode=args.get("parse_mode") if caption is not None else None,
            entities=args.get("caption_entities"),
            markup=args.get("reply_markup"),
        )

    async def _api_editMessageReplyMarkup(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        chat, record = self._editable(args, "editMessageReplyMarkup")
        return self._apply_edit(
            chat,
            record,
            "editMessageReplyMarkup",
            text=record.text,
            caption=record.caption,
            parse_mode=record.parse_mode,
            entities=None,
            markup=args.get("reply_markup"),
        )

    async def _api_deleteMessage(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        chat = self._known_chat(args.get("chat_id"))
        message_id = args.get("message_id")
        record = chat.sent.get(message_id) if isinstance(message_id, int) else None
        if message_id not in chat.messages or (record is not None and record.deleted):
            raise ApiError(400, "Bad Request: message to delete not found")
        if record is None and chat.group is not None:
            raise ApiError(400, "Bad Request: message can't be deleted")
        if record is not None:
            record.deleted = True
        del chat.messages[message_id]
        self._record(Event("deleted", chat.chat.id, message=record))
        return True

    async def _api_answerCallbackQuery(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        query_id = args.get("callback_query_id")
        query = self._queries.get(query_id) if isinstance(query_id, str) else None
        if query is None or query.answered:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        if "url" in args:
            raise self._unexpected("answerCallbackQuery(url)")
        query.answered = True
        answer = CallbackAnswer(
            callback_query_id=str(query_id),
            chat_id=query.chat_id,
            text=args.get("text"),
            show_alert=bool(args.get("show_alert", False)),
        )
        self.callback_answers.append(answer)
        self._record(Event("answer", query.chat_id, answer=answer))
        return True

    async def _api_getFile(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        file_id = str(args.get("file_id", ""))
        try:
            stored = self.files.by_id(file_id)
        except FileNotKnown:
            raise ApiError(
                400, "Bad Request: wrong file_id or the file is temporarily unavailable"
            ) from None
        self.files.get_file_calls[stored.file_unique_id] += 1
        if stored.file_size > MAX_DOWNLOAD:
            raise ApiError(400, "Bad Request: file is too big")
        return File(
            file_id=stored.file_id,
            file_unique_id=stored.file_unique_id,
            file_size=stored.file_size,
            file_path=self.files.assign_path(stored),
        ).to_dict()

    async def _api_getChat(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        chat = self._known_chat(args.get("chat_id")).chat
        return ChatFullInfo(
            id=chat.id,
            type=chat.type,
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types=AcceptedGiftTypes(True, True, True, True, True),
            title=chat.title,
            username=chat.username,
            first_name=chat.first_name,
            last_name=chat.last_name,
        ).to_dict()

    @staticmethod
    def _scope_key(args: JSON) -> tuple[str, str]:
        scope = args.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(args.get("language_code") or "")

    async def _api_setMyCommands(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        commands = args.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands must be a list of at most 100")
        parsed = BotCommand.de_list(commands, None)
        for command in parsed:
            if not (1 <= len(command.command) <= 32 and 1 <= len(command.description) <= 256):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        self.commands[self._scope_key(args)] = list(parsed)
        return True

    async def _api_getMyCommands(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        return [c.to_dict() for c in self.commands.get(self._scope_key(args), [])]

    async def _api_deleteMyCommands(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        self.commands.pop(self._scope_key(args), None)
        return True

    async def _api_setChatMenuButton(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        self.menu_buttons[args.get("chat_id")] = args.get("menu_button") or {"type": "default"}
        return True

    async def _api_getChatMenuButton(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        return self.menu_buttons.get(args.get("chat_id"), {"type": "commands"})

    def commands_for(self, scope: JSON | None = None, language_code: str = "") -> list[str]:
        """Command names set with setMyCommands for a scope (default scope by default)."""
        key = self._scope_key({"scope": scope, "language_code": language_code})
        return [c.command for c in self.commands.get(key, [])]


def _one_level(message: Message) -> Message:
    """Telegram nests replies one level deep: drop the replied message's own reply."""
    if message.reply_to_message is None:
        return message
    data = message.to_dict()
    data.pop("reply_to_message", None)
    result = Message.de_json(data, None)
    assert result is not None
    return result


def _update_type(update: Update) -> str:
    for name in ("message", "edited_message", "callback_query"):
        if getattr(update, name) is not None:
            return name
    return "unknown"


def _attach_names(media: str) -> set[str]:
    return set(re.findall(r'"attach://([^"]+)"', media))
