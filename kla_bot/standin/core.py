"""The stand-in's shared state: every attribute, and the helpers all Bot API methods use.

Everything runs on ONE asyncio event loop; nothing here is thread-safe.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from telegram import BotCommand, Update, User

from kla_bot.standin.chats import ChatRecord, PendingQuery, StandinGroup, StandinUser
from kla_bot.standin.files import FileStore
from kla_bot.standin.model import (
    JSON,
    ApiCall,
    ApiError,
    CallbackAnswer,
    Event,
    Fault,
    SentMessage,
    Stall,
    StandinStats,
    Webhook,
)

if TYPE_CHECKING:
    from kla_bot.standin.limits import RateLimits


class StandinCore:
    """The stand-in's shared state and the helpers every Bot API method uses."""

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
        self.webhook: Webhook | None = None  # set by setWebhook
        self.webhook_sets = 0
        self._chats: dict[int, ChatRecord] = {}
        self._queue: list[Update] = []
        self._last_update_id = 0
        self._last_query_id = 0
        self._queries: dict[str, PendingQuery] = {}
        self._faults: list[Fault] = []
        self._stalls: list[Stall] = []
        self._poll_waiters: set[asyncio.Future[None]] = set()
        self._change_waiters: set[asyncio.Future[None]] = set()
        self._listeners: list[Callable[[Event], None]] = []

    def now(self) -> datetime:
        return self._clock()

    def close(self) -> None:
        """Delete stored files and wake every waiter."""
        for fut in (*self._poll_waiters, *self._change_waiters):
            if not fut.done():
                fut.cancel()
        self.files.close()

    def _record(self, event: Event) -> None:
        self.events.append(event)
        for listener in list(self._listeners):
            listener(event)
        for fut in self._change_waiters:
            if not fut.done():
                fut.set_result(None)

    def _unexpected(self, what: str) -> ApiError:
        self.unexpected.append(what)
        return ApiError(400, f"Bad Request: method not supported by stand-in: {what}")

    # -- chats --------------------------------------------------------------------------
    def _known_chat(self, chat_id: object) -> ChatRecord:
        chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        return chat

    def _reachable_chat(self, chat_id: object) -> ChatRecord:
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

    def _admit(self, chat: ChatRecord) -> None:
        if self.rate_limits is None:
            return
        wait = self.rate_limits.admit(chat.chat.id, is_group=chat.group is not None)
        if wait is not None:
            raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)


def update_type(update: Update) -> str:
    for name in ("message", "edited_message", "callback_query"):
        if getattr(update, name) is not None:
            return name
    return "unknown"
