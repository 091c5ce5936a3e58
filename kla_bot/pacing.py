"""Send pacing: at most one message a second per private chat, 20 a minute per group, and just
under 30 a second overall.

The Application's ``AIORateLimiter`` caps the bot at ~30 requests/s, but it lets a burst of 30
through at once and knows nothing of private chats. A :class:`Pacer` therefore keeps its own
sliding window just under that limit, and spaces messages to one private chat at least
:data:`CHAT_INTERVAL` apart, so the sender can let a chat that is still cooling down wait while
other chats go first. A group chat takes at most :data:`GROUP_PER_WINDOW` messages (edits
included) in any :data:`GROUP_WINDOW` seconds, so a burst of approval news and post updates
waits its turn instead of meeting a 429. Plain Python: the time source and the sleep are
injectable for tests.

The Telegram bot's pacer takes its overall tokens from the bot's one
:class:`~kla_bot.priority_budget.PriorityBudget` instead of this window: the budget its handler
replies take from too, interactive sends first (per process on SQLite, shared by every worker
on PostgreSQL through :mod:`kla_bot.rate_budget`). The same pacer spaces handler replies to a
private chat (:meth:`Pacer.wait_for_chat`), so a reply and a digest to one member keep the
per-chat limit between them. The per-chat spacing stays per process (each row of a chat is
claimed in id order, so rarely by two workers at once).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol, TypeVar

# At most 29 sends in any 1.02 s: under Telegram's 30/s even if the network bunches a few
# together, yet a slow database write is made up for by the next sends.
GLOBAL_PER_WINDOW = 29
GLOBAL_WINDOW = 1.02
CHAT_INTERVAL = 1.05  # seconds between two messages to one private chat (Telegram: ~1/s)
GROUP_PER_WINDOW = 20  # Telegram: about 20 messages a minute in one group
GROUP_WINDOW = 61.0  # a second of margin over the minute
BUSY_AT_MOST = 30.0  # seconds a send may hold its chat unanswered (a lost answer never blocks it)
FORGET_AFTER_CHATS = 10_000  # past this many remembered chats, drop those long cooled down

T = TypeVar("T")


# A chat on some channel: Telegram's number, or an address as text (WhatsApp's wa_id).
Chat = int | str


def is_private(chat_id: Chat) -> bool:
    """Whether a chat is a private chat (Telegram's groups and channels have negative ids;
    every WhatsApp address is a person)."""
    return not str(chat_id).startswith("-")


class SharedLimit(Protocol):
    async def try_take(self) -> float:
        """0.0 when a send may go now (and is counted), else seconds to wait first."""
        ...


class Budget(Protocol):
    async def take(self, *, interactive: bool) -> None:
        """Wait for a token and take it; interactive takes go before bulk ones."""
        ...


class Pacer:
    """The pacing state of one bot (per process, like Telegram's view of a bot)."""

    def __init__(self, *, per_window: int = GLOBAL_PER_WINDOW, window: float = GLOBAL_WINDOW,
                 chat_interval: float = CHAT_INTERVAL,
                 group_per_window: int = GROUP_PER_WINDOW, group_window: float = GROUP_WINDOW,
                 monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
                 shared: SharedLimit | None = None, budget: Budget | None = None) -> None:
        self.per_window = per_window
        self.shared = shared
        self.budget = budget
        self.window = window
        self.chat_interval = chat_interval
        self.group_per_window = group_per_window
        self.group_window = group_window
        self._monotonic = monotonic
        self._sleep = sleep
        self._recent_sends: deque[float] = deque()
        self._last_by_chat: dict[Chat, float] = {}
        self._group_sends: dict[Chat, deque[float]] = {}
        # Chats with a send under way (waiting for its token, or — asked for with
        # ``until_answered`` — for Telegram's answer), since when: not ready for another send
        # meanwhile. A handler reply and a digest to one member, both past the chat check,
        # would otherwise go within the second; and a busy process may make the request a while
        # after taking its token, while Telegram counts when it arrives.
        self._busy: dict[Chat, float] = {}

    def _group_recent(self, chat_id: Chat) -> deque[float]:
        """The group's sends within its window (older ones dropped)."""
        sends = self._group_sends.setdefault(chat_id, deque())
        now = self._monotonic()
        while sends and sends[0] <= now - self.group_window:
            sends.popleft()
        return sends

    def _ready_at(self, chat_id: Chat) -> float:
        """When this chat may next be written to (monotonic seconds)."""
        if self._is_busy(chat_id):  # at the earliest one interval after that send
            return self._monotonic() + self.chat_interval
        if is_private(chat_id):
            return self._last_by_chat.get(chat_id, 0.0) + self.chat_interval
        sends = self._group_recent(chat_id)
        if len(sends) < self.group_per_window:
            return 0.0
        return sends[-self.group_per_window] + self.group_window

    def chat_ready(self, chat_id: Chat) -> bool:
        """Whether a message to this chat may go now without breaking its per-chat limit."""
        if self._is_busy(chat_id):
            return False
        if not is_private(chat_id):
            return len(self._group_recent(chat_id)) < self.group_per_window
        last = self._last_by_chat.get(chat_id)
        return last is None or self._monotonic() - last >= self.chat_interval

    def first_ready(self, items: Iterable[T], chat_of: Callable[[T], Chat]) -> T | None:
        """The first item that is first of its chat and whose chat is ready (keeps each chat's
        order, lets ready chats overtake cooling ones); None when every chat must wait."""
        seen: set[Chat] = set()
        for item in items:
            chat_id = chat_of(item)
            if chat_id in seen:
                continue
            seen.add(chat_id)
            if self.chat_ready(chat_id):
                return item
        return None

    def seconds_until_a_chat_is_ready(self, chat_ids: Iterable[Chat]) -> float:
        """How long until the first of these chats may be written to (at least 10 ms)."""
        ready_at = min(self._ready_at(c) for c in chat_ids)
        return max(0.01, ready_at - self._monotonic())

    async def wait(self, seconds: float) -> None:
        """Sleep while chats cool down (by this pacer's injectable sleep)."""
        await self._sleep(seconds)

    async def wait_for_chat(self, chat_id: Chat) -> None:
        """Sleep until this chat may be written to (a handler reply: it cannot let others go
        first)."""
        while not self.chat_ready(chat_id):
            await self._sleep(self.seconds_until_a_chat_is_ready([chat_id]))

    def _is_busy(self, chat_id: Chat) -> bool:
        since = self._busy.get(chat_id)
        return since is not None and self._monotonic() - since < BUSY_AT_MOST

    async def pace(self, chat_id: Chat, *, interactive: bool = False,
                   until_answered: bool = False) -> None:
        """Wait for room in the bot's budget (interactive sends first), or the budget shared by
        every worker, or this pacer's own window; then count a send to this chat as made now.
        ``until_answered``: the chat stays busy until :meth:`answered` (the caller's promise)."""
        self._busy[chat_id] = self._monotonic()
        try:
            if self.budget is not None:
                await self.budget.take(interactive=interactive)
            elif self.shared is not None:
                while (wait := await self.shared.try_take()) > 0:
                    await self._sleep(wait)
            else:
                await self._room_in_window()
        except BaseException:
            self._busy.pop(chat_id, None)
            raise
        now = self._monotonic()
        if until_answered:
            self._busy[chat_id] = now
        else:
            self._busy.pop(chat_id, None)
        self._last_by_chat[chat_id] = now
        if not is_private(chat_id):
            self._group_recent(chat_id).append(now)
        if len(self._last_by_chat) > FORGET_AFTER_CHATS:
            self._last_by_chat = {c: t for c, t in self._last_by_chat.items()
                                  if t > now - self.chat_interval}
            self._busy = {c: t for c, t in self._busy.items() if t > now - BUSY_AT_MOST}

    def answered(self, chat_id: Chat) -> None:
        """Telegram has answered a send to this chat: its spacing runs from now (Telegram
        counts when the request arrived, not when its token was taken)."""
        self._busy.pop(chat_id, None)
        if is_private(chat_id):
            self._last_by_chat[chat_id] = max(self._last_by_chat.get(chat_id, 0.0),
                                              self._monotonic())

    async def _room_in_window(self) -> None:
        sent = self._recent_sends
        while True:
            now = self._monotonic()
            while sent and sent[0] <= now - self.window:
                sent.popleft()
            if len(sent) < self.per_window:
                break
            await self._sleep(sent[0] + self.window - now)
        sent.append(self._monotonic())
