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
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

from kla_bot.clock import Clock

NO_RETRY = -1  # ``rate_limit_args`` of outbox sends (PTB drops falsy values, so not 0)
MAX_INLINE_WAIT = 5.0  # seconds a handler reply may sleep out a flood wait inside the call

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]


class _DoNotRetry(Exception):
    """Carries a ``RetryAfter`` past the limiter's retry loop."""

    def __init__(self, original: RetryAfter) -> None:
        super().__init__(str(original))
        self.original = original


class FloodAwareRateLimiter(AIORateLimiter):
    """``AIORateLimiter`` that remembers flood waits and lets outbox sends fail fast on them."""

    def __init__(self, *, max_retries: int, clock: Clock, **kwargs: Any) -> None:
        super().__init__(max_retries=max_retries, **kwargs)
        self._clock = clock  # the bot's clock, like the sender's pause (tests move it)
        self._flood_until: datetime | None = None

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
