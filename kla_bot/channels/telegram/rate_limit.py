"""The bot's rate limiter: PTB's ``AIORateLimiter``, taught that an outbox send must never sleep
out a flood wait inside the Bot API call.

``AIORateLimiter`` answers a 429 by sleeping ``retry_after`` *inside* the call and trying again,
and holds every other request at its gate meanwhile. Telegram's flood waits last minutes or hours;
an outbox row whose send sleeps that long outlives its lease and another worker sends it too.
So a request made with ``rate_limit_args=NO_RETRY`` (the outbox sender's):

* is not retried: the ``RetryAfter`` reaches the caller at once, which reschedules the row;
* does not even try while a flood wait seen by any request is still running: it fails at once
  with the remaining wait, instead of queueing behind the limiter's gate.

Handler replies keep the limiter's retries, but only for short waits (:data:`MAX_INLINE_WAIT`):
a reply an hour late is useless, and a longer sleep would hold outbox sends already queued at the
gate beyond their lease. Either way every flood wait is remembered, so the sender pauses too.

The overall limit is not ``AIORateLimiter``'s own (a 30/s gate that knows no priority, which
the outbox passed after its own pacing): it is the bot's one budget, held by the limiter's
:attr:`FloodAwareRateLimiter.pacer`, which the outbox sender paces with too. Every other
request to a chat is a handler's (a reply, an edit, a receipt) and takes an *interactive*
token from it, so it goes before any queued digest; a new message to a private chat first
waits for that chat's one-second spacing, so a reply right after a digest meets no 429. The
outbox's own sends (``NO_RETRY``) took their token from the pacer before the call. Groups
keep ``AIORateLimiter``'s 20 a minute.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

from kla_bot.clock import Clock
from kla_bot.pacing import Chat, Pacer, is_private
from kla_bot.priority_budget import LocalWindow, PriorityBudget

NO_RETRY = -1  # ``rate_limit_args`` of outbox sends (PTB drops falsy values, so not 0)
MAX_INLINE_WAIT = 5.0  # seconds a handler reply may sleep out a flood wait inside the call

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]

# Requests that put a new message in a chat (and so keep a private chat's 1/s); edits, chat
# actions and the like take a token but need no spacing.
NEW_MESSAGE_PREFIXES = ("send", "copyMessage", "forwardMessage")
NOT_NEW_MESSAGES = frozenset({"sendChatAction"})


class _DoNotRetry(Exception):
    """Carries a ``RetryAfter`` past the limiter's retry loop."""

    def __init__(self, original: RetryAfter) -> None:
        super().__init__(str(original))
        self.original = original


class FloodAwareRateLimiter(AIORateLimiter):
    """``AIORateLimiter`` that remembers flood waits and lets outbox sends fail fast on them."""

    def __init__(self, *, max_retries: int, clock: Clock, pacer: Pacer | None = None,
                 **kwargs: Any) -> None:
        kwargs.setdefault("overall_max_rate", 0)  # the pacer's budget is the overall limit
        super().__init__(max_retries=max_retries, **kwargs)
        self._clock = clock  # the bot's clock, like the sender's pause (tests move it)
        self._flood_until: datetime | None = None
        # The bot's pacing in this process: its budget (interactive first) and chat spacing.
        self.pacer = pacer or Pacer(budget=PriorityBudget(LocalWindow()))

    def flood_wait_left(self) -> float:
        """Seconds until the last flood wait Telegram imposed on the bot is over (0 if none)."""
        if self._flood_until is None:
            return 0.0
        return max(0.0, (self._flood_until - self._clock.now()).total_seconds())

    async def process_request(
        self, callback: Callable[..., Coroutine[Any, Any, JSONResult]], args: Any,
        kwargs: dict[str, Any], endpoint: str, data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSONResult:
        no_retry = rate_limit_args == NO_RETRY
        if no_retry and (left := self.flood_wait_left()) > 0:
            raise RetryAfter(timedelta(seconds=left))
        spaced: Chat | None = None  # a private chat whose 1/s this request keeps
        if not no_retry and (chat_id := data.get("chat_id")) is not None:
            spaced = await self._pace_reply(chat_id, endpoint)

        async def observed(*call_args: Any, **call_kwargs: Any) -> JSONResult:
            try:
                return await callback(*call_args, **call_kwargs)
            except RetryAfter as exc:
                wait = exc._retry_after.total_seconds()  # the public form warns in PTB 22
                until = self._clock.now() + timedelta(seconds=wait)
                self._flood_until = max(until, self._flood_until or until)
                if no_retry or wait > MAX_INLINE_WAIT:
                    raise _DoNotRetry(exc) from exc
                raise

        try:
            return await super().process_request(
                observed, args, kwargs, endpoint, data, None if no_retry else rate_limit_args)
        except _DoNotRetry as wrapped:
            raise wrapped.original from None
        finally:
            if spaced is not None:  # the chat's next message is spaced from Telegram's answer
                self.pacer.answered(spaced)

    async def _pace_reply(self, chat_id: object, endpoint: str) -> Chat | None:
        """A handler's request: wait for the chat's spacing (a new message to a private chat),
        then take an interactive token, ahead of every bulk send waiting. Returns the private
        chat whose spacing this message keeps, if any."""
        chat = str(chat_id)  # as the outbox sender names it (a route's chat), one key per chat
        new_message = (endpoint.startswith(NEW_MESSAGE_PREFIXES)
                       and endpoint not in NOT_NEW_MESSAGES)
        if not new_message:
            if self.pacer.budget is not None:
                await self.pacer.budget.take(interactive=True)
            return None
        if not is_private(chat):  # a group's 20 a minute is AIORateLimiter's, inside the call
            await self.pacer.pace(chat, interactive=True)
            return None
        await self.pacer.wait_for_chat(chat)
        await self.pacer.pace(chat, interactive=True, until_answered=True)
        return chat
