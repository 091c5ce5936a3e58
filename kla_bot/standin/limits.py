"""Bot API limits: sizes of texts, captions and buttons, flood limits, and injected faults
(429s, 5xx, dropped connections, stalls)."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime

from kla_bot.standin.core import StandinCore
from kla_bot.standin.html import utf16_len
from kla_bot.standin.model import JSON, ApiError, DropConnection, Fault, NoAnswer, Stall

# Telegram counts the text as parsed (entities out), in UTF-16 code units.
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64  # bytes
MAX_CALLBACK_ANSWER = 200

DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: injected by stand-in",
    403: "Forbidden: bot was blocked by the user",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def check_text(plain: str) -> None:
    """A message text as Telegram checks it, after entity parsing."""
    if not plain.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if utf16_len(plain) > MAX_TEXT:
        raise ApiError(400, "Bad Request: message is too long")


def check_caption(plain: str) -> None:
    if utf16_len(plain) > MAX_CAPTION:
        raise ApiError(400, "Bad Request: message caption is too long")


def check_callback_data(data: object) -> None:
    if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
        raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")


def check_callback_answer(text: object) -> None:
    if text is not None and utf16_len(str(text)) > MAX_CALLBACK_ANSWER:
        raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")


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


class FaultsAndLimits(StandinCore):
    """Tests make the next calls fail, or turn on the real flood limits."""

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
                description = DEFAULT_DESCRIPTIONS.get(status, f"Error {status}")
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

    def stall(self, until: datetime, *, how: str | int = "timeout", method: str = "*") -> None:
        """Make every call of ``method`` ("*" = any) fail until ``until`` on the stand-in's
        clock (the test's ManualClock): ``how`` is "timeout" (no answer in time), "drop" (the
        connection is closed) or an HTTP status such as 502. Nothing is delivered meanwhile."""
        if how not in ("timeout", "drop") and not isinstance(how, int):
            raise ValueError(f"unknown stall {how!r}")
        self._stalls.append(Stall(method, until, how))

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

    def _inject_fault(self, method: str, args: JSON) -> None:
        self._inject_stall(method)
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

    def _inject_stall(self, method: str) -> None:
        now = self.now()
        self._stalls = [s for s in self._stalls if now < s.until]
        for stall in self._stalls:
            if stall.method not in (method, "*"):
                continue
            if stall.how == "timeout":
                self.stats.injected[0] += 1
                raise NoAnswer(method)
            if stall.how == "drop":
                self.stats.injected[0] += 1
                raise DropConnection(method)
            assert isinstance(stall.how, int)
            self.stats.injected[stall.how] += 1
            if stall.how >= 500:
                self.stats.injected_5xx += 1
            raise ApiError(stall.how, DEFAULT_DESCRIPTIONS.get(stall.how, f"Error {stall.how}"))
