"""One send budget per bot, shared by handler replies and the outbox, interactive traffic first.

Telegram allows a bot about 30 messages a second, whoever sends them. Handler replies (answers,
receipts, button edits) and the outbox (digests, briefs, review results) therefore take their
tokens from one source: per process on SQLite (:class:`LocalWindow`), for every worker together
on PostgreSQL (:class:`kla_bot.rate_budget.SharedBudget`, a token bucket in one row; its
in-memory twin is :class:`LocalBucket`). Two classes of traffic draw from it:

* **interactive** — a person is waiting for it: handler replies, and the outbox kinds that
  answer someone's action (:data:`kla_bot.services.outbox_kinds.INTERACTIVE_KINDS`);
* **bulk** — everything else (digests, briefs, escalations, group posts).

Priority holds on two levels. In one process, :class:`PriorityBudget` lets no bulk take start
while an interactive take waits. Across processes (or between a bulk take already asking and an
interactive one arriving), the source itself decides: an interactive take may borrow the bucket
down to ``-borrow`` (or fill the window's last place) while a bulk take needs a whole token left,
so whenever interactive traffic is short of tokens, bulk traffic is shorter still and yields by
itself, and resumes as soon as the interactive traffic leaves tokens unused.

The bucket's numbers (:data:`RATE`, :data:`BURST`, :data:`BORROW`): ``BURST`` tokens refilled
at ``RATE`` a second, down to ``-BORROW``, give at most ``BURST + BORROW + RATE`` takes in any
one-second window (1.5 + 0.5 + 28 = 30, Telegram's limit), bulk alone at most 29, and bulk
alone still runs at ``RATE`` (28/s, 93 % of 30). Half a token of borrowing is enough for the
order (an interactive take is due 18 ms before a bulk one), and the half token more of burst
keeps a sender that wakes a little late from wasting the refill. The window's numbers
(:data:`WINDOW_BULK`, :data:`WINDOW`): 29 bulk sends in any 1.02 s, 30 with interactive ones.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Protocol

RATE = 28.0  # tokens a second
BURST = 1.5  # the bucket's size (what a pause saves up)
BORROW = 0.5  # how far below zero an interactive take may drive the bucket
MIN_WAIT = 0.005  # seconds: never spin on the bucket
# One process's window (SQLite): 29 bulk sends in any 1.02 s, a 30th for interactive ones.
WINDOW_BULK = 29
WINDOW = 1.02
BULK_CLUMP = 5  # bulk sends the window lets out back to back, catching up
TELEGRAM_LIMIT = 30.0  # messages a second


class TokenSource(Protocol):
    async def try_take(self, borrow: bool = False) -> float:
        """0.0 when a token was taken (send now), else seconds to wait before asking again.
        ``borrow``: an interactive take, which may drive the bucket below zero."""
        ...


class LocalBucket:
    """The token bucket of one process (SQLite runs one worker): the same arithmetic as the
    shared one in PostgreSQL, in memory."""

    def __init__(self, *, rate: float = RATE, burst: float = BURST, borrow: float = BORROW,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.borrow = rate, burst, borrow
        self._monotonic = monotonic
        self._tokens = burst
        self._refilled_at = monotonic()

    def level(self) -> float:
        """Tokens in the bucket now (negative while interactive traffic has borrowed)."""
        now = self._monotonic()
        self._tokens = min(self.burst,
                           self._tokens + max(0.0, now - self._refilled_at) * self.rate)
        self._refilled_at = max(self._refilled_at, now)
        return self._tokens

    async def try_take(self, borrow: bool = False) -> float:
        floor = -self.borrow if borrow else 0.0  # what may be left after the take
        left = self.level()
        if left - 1 >= floor - 1e-9:
            self._tokens = left - 1
            return 0.0
        return max(MIN_WAIT, (floor + 1 - left) / self.rate)


class LocalWindow:
    """The budget of one process (SQLite runs one worker) as a sliding window: at most
    ``per_window`` bulk sends in any ``window`` seconds, one more for interactive ones. Unlike
    a bucket it lets a sender that fell behind (a slow database write) catch up within the
    window, so bulk alone runs close to ``per_window / window`` (29 / 1.02 s = 95 % of 30/s),
    while any one second still holds at most 30 sends. Bulk catches up ``clump`` sends at a
    time at most (then one each ``1 / 30`` s): a window filled by one burst would keep a reply
    waiting for a whole window."""

    def __init__(self, *, per_window: int = WINDOW_BULK, window: float = WINDOW,
                 clump: int = BULK_CLUMP, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.per_window, self.window, self.clump = per_window, window, clump
        self._monotonic = monotonic
        self._sent: deque[float] = deque()

    async def try_take(self, borrow: bool = False) -> float:
        now = self._monotonic()
        sent = self._sent
        while sent and sent[0] <= now - self.window:
            sent.popleft()
        allowed = self.per_window + (1 if borrow else 0)
        wait = 0.0 if len(sent) < allowed else sent[len(sent) - allowed] + self.window - now
        if not borrow and len(sent) >= self.clump:  # no more than a clump at 30/s
            wait = max(wait, sent[-self.clump] + self.clump / TELEGRAM_LIMIT - now)
        if wait <= 0:
            sent.append(now)
            return 0.0
        return max(MIN_WAIT, wait)


class PriorityBudget:
    """The bot's budget in this process: interactive takes first, in arrival order; bulk takes
    in arrival order with whatever the interactive ones leave."""

    def __init__(self, tokens: TokenSource, *,
                 sleep: Callable[[float], Awaitable[object]] = asyncio.sleep) -> None:
        self.tokens = tokens
        self._sleep = sleep
        self._interactive_waiting = 0
        self._no_interactive = asyncio.Event()
        self._no_interactive.set()
        self._interactive_turn = asyncio.Lock()  # asyncio's locks are first come, first served
        self._bulk_turn = asyncio.Lock()

    @property
    def interactive_waiting(self) -> int:
        """How many interactive takes are waiting for a token now."""
        return self._interactive_waiting

    async def take(self, *, interactive: bool) -> None:
        """Wait for a token and take it (the send may go now)."""
        if interactive:
            await self._take_interactive()
        else:
            await self._take_bulk()

    async def _take_interactive(self) -> None:
        self._interactive_waiting += 1
        self._no_interactive.clear()
        try:
            async with self._interactive_turn:
                while (wait := await self.tokens.try_take(borrow=True)) > 0:
                    await self._sleep(wait)
        finally:
            self._interactive_waiting -= 1
            if self._interactive_waiting == 0:
                self._no_interactive.set()

    async def _take_bulk(self) -> None:
        async with self._bulk_turn:
            while True:
                await self._no_interactive.wait()
                if (wait := await self.tokens.try_take(borrow=False)) == 0:
                    return
                await self._sleep(wait)
