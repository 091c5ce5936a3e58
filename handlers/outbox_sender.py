"""The outbox sender: drains queued notifications and reminders to Telegram, in id order.

Every outgoing reminder and notification is a row in the outbox; sending is draining it, so a
crash, a restart or a second worker never loses or doubles a message (see
``kla_bot.services.delivery`` for how rows are claimed). What happens to each answer:

* success → ``sent`` with the Telegram message id, and the message is mapped to its tasks;
* 429 → the row waits ``retry_after`` (not counted as an attempt) and the whole sender pauses
  as long — a flood wait applies to the bot, not to one message; nothing is ever dropped;
* 5xx, time-outs, network errors → retried with growing back-off, at most
  :data:`MAX_ATTEMPTS` times, then ``failed`` with the last error (and logged);
* 403 (blocked, deactivated, cannot initiate) or "chat not found" → the member is marked
  unreachable, their other queued rows are stopped, and their coordinators are told once.

Pacing: the Application's ``AIORateLimiter`` caps the bot at ~30 requests/s, but it lets a
burst of 30 through at once and knows nothing of private chats. The sender therefore keeps its
own sliding window just under that limit, and sends at least :data:`CHAT_INTERVAL` apart in any
one chat (a message for a chat that is still cooling down waits while other chats go first). The
pacing is off when the Application was built without a rate limiter (most tests).

Kill -9 during a fan-out: the message being sent at that instant may have reached Telegram
without being marked, and is sent again when its lease runs out — at most that one message is
doubled; rows claimed but not yet sent wait out the lease (:data:`LEASE`) and go out once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import warnings
import weakref
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from handlers.registry import KlaApplication, Rendered, Renderer
from kla_bot.clock import ManualClock, local_today
from kla_bot.deps import Deps
from kla_bot.services import delivery
from kla_bot.services.delivery import Claimed

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)  # longer than one send can take (time-outs below)
BATCH = 20
MAX_ATTEMPTS = 8
# At most 29 sends in any 1.02 s: under Telegram's 30/s even if the network bunches a few
# together, yet a slow database write is made up for by the next sends.
GLOBAL_PER_WINDOW = 29
GLOBAL_WINDOW = 1.02
CHAT_INTERVAL = 1.05  # seconds between two messages to one private chat (Telegram: ~1/s)
IDLE_INTERVAL = 0.5  # how often the background loop looks for due rows
CAPTION_LIMIT = 1024
TIMEOUTS: dict[str, Any] = {"connect_timeout": 5, "read_timeout": 10, "write_timeout": 10,
                            "pool_timeout": 3}


@dataclass
class _SenderState:
    """Per-Application sender state (pacing is per process, like Telegram's view of a bot)."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    recent_sends: deque[float] = field(default_factory=deque)
    last_by_chat: dict[int, float] = field(default_factory=dict)
    paused_until: datetime | None = None
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


_STATES: weakref.WeakKeyDictionary[KlaApplication, _SenderState] = weakref.WeakKeyDictionary()


def _state(app: KlaApplication) -> _SenderState:
    if app not in _STATES:
        _STATES[app] = _SenderState()
    return _STATES[app]


def renderers() -> dict[str, Renderer]:
    """Every outbox kind's renderer, collected from the features."""
    from handlers import FEATURES  # late: handlers/__init__ imports the features using us

    return {kind: fn for feature in FEATURES for kind, fn in feature.renderers.items()}


def evidence_path(storage_dir: Path, key: str) -> Path:
    """Where the evidence store keeps a file: ``<storage>/<sha[:2]>/<sha>``."""
    relative = Path(key) if "/" in key else Path(key[:2]) / key
    if relative.is_absolute() or ".." in relative.parts:
        raise ValueError(f"bad evidence key {key!r}")
    return storage_dir / relative


async def drain(app: KlaApplication) -> int:
    """Send every outbox message due now (in id order); return how many were delivered."""
    deps: Deps = app.bot_data.deps
    state = _state(app)
    paced = app.bot.rate_limiter is not None
    table = renderers()
    delivered = 0
    async with state.lock:
        while not state.stopping.is_set():
            if _paused(deps, state):
                break
            now = deps.clock.now()
            async with deps.db.transaction() as session:
                batch = await delivery.claim_due(session, now=now, limit=BATCH, lease=LEASE)
            if not batch:
                break
            delivered += await _send_batch(app, deps, state, table, batch, paced)
    return delivered


async def _send_batch(app: KlaApplication, deps: Deps, state: _SenderState,
                      table: dict[str, Renderer], batch: list[Claimed], paced: bool) -> int:
    """Send a claimed batch, keeping each chat's order, letting ready chats go first."""
    waiting = list(batch)
    delivered = 0
    while waiting:
        if state.stopping.is_set() or _paused(deps, state):
            async with deps.db.transaction() as session:
                await delivery.release(session, [row.id for row in waiting])
            break
        row = _next_ready(waiting, state, paced)
        if row is None:
            await asyncio.sleep(_wait_for_a_chat(waiting, state))
            continue
        waiting.remove(row)
        if paced:
            await _pace(state, row.chat_id)
        outcome = await _deliver(app, deps, state, table, row)
        delivered += outcome == "sent"
        if outcome == "unreachable":  # their other rows were stopped in the database too
            waiting = [r for r in waiting if r.chat_id != row.chat_id]
    return delivered


def _paused(deps: Deps, state: _SenderState) -> bool:
    return state.paused_until is not None and deps.clock.now() < state.paused_until


def _next_ready(waiting: list[Claimed], state: _SenderState, paced: bool) -> Claimed | None:
    """The first row whose chat may be written to now, and that is first in its chat."""
    if not paced:
        return waiting[0]
    seen: set[int] = set()
    clock = time.monotonic()
    for row in waiting:
        if row.chat_id in seen:
            continue
        seen.add(row.chat_id)
        if not _is_private(row.chat_id) or (
                clock - state.last_by_chat.get(row.chat_id, -1e9) >= CHAT_INTERVAL):
            return row
    return None


def _wait_for_a_chat(waiting: list[Claimed], state: _SenderState) -> float:
    ready_at = min(state.last_by_chat.get(r.chat_id, 0.0) + CHAT_INTERVAL for r in waiting)
    return max(0.01, ready_at - time.monotonic())


def _is_private(chat_id: int) -> bool:
    return chat_id > 0  # groups and channels have negative ids (their limit is the limiter's)


async def _pace(state: _SenderState, chat_id: int) -> None:
    """Wait for room in the global window; remember when this chat was last written."""
    sent = state.recent_sends
    while True:
        now = time.monotonic()
        while sent and sent[0] <= now - GLOBAL_WINDOW:
            sent.popleft()
        if len(sent) < GLOBAL_PER_WINDOW:
            break
        await asyncio.sleep(sent[0] + GLOBAL_WINDOW - now)
    now = time.monotonic()
    sent.append(now)
    state.last_by_chat[chat_id] = now
    if len(state.last_by_chat) > 10_000:  # forget chats that have long cooled down
        state.last_by_chat = {c: t for c, t in state.last_by_chat.items()
                              if t > now - CHAT_INTERVAL}


async def _deliver(app: KlaApplication, deps: Deps, state: _SenderState,
                   table: dict[str, Renderer], row: Claimed) -> str:
    """Send one row and record the outcome: sent, retry, failed or unreachable."""
    if not row.recipient_reachable:
        async with deps.db.transaction() as session:
            await delivery.mark_failed(session, row, error="recipient unreachable")
        return "unreachable"
    try:
        rendered = _render(deps, table, row)
        message_ids = await _send(app, deps, row.chat_id, rendered)
    except RetryAfter as exc:
        wait = _retry_after_seconds(exc)
        now = deps.clock.now()
        state.paused_until = now + timedelta(seconds=wait)
        log.warning("outbox %s: flood wait %.1fs, pausing the sender", row.id, wait)
        await _retry(deps, row, state.paused_until, f"429 retry after {wait}s", count=False)
    except Forbidden as exc:
        await _unreachable(deps, row, _reason(exc.message))
        return "unreachable"
    except BadRequest as exc:
        if "chat not found" in exc.message.lower():
            await _unreachable(deps, row, "chat_not_found")
            return "unreachable"
        await _fail(deps, row, f"400 {exc.message}")
        return "failed"
    except (NetworkError, TelegramError) as exc:  # 5xx, time-outs, connection errors
        if row.attempts + 1 >= MAX_ATTEMPTS:
            await _fail(deps, row, f"{type(exc).__name__}: {exc.message}")
        else:
            backoff = timedelta(seconds=min(2 ** row.attempts, 300))
            log.info("outbox %s: %s, retrying in %s", row.id, type(exc).__name__, backoff)
            await _retry(deps, row, deps.clock.now() + backoff,
                         f"{type(exc).__name__}: {exc.message}", count=True)
    except Exception as exc:  # a renderer bug or a missing file: never stall the queue
        log.exception("outbox %s (%s) cannot be sent", row.id, row.kind)
        await _fail(deps, row, f"{type(exc).__name__}: {exc}")
        return "failed"
    else:
        async with deps.db.transaction() as session:
            await delivery.mark_sent(session, row, message_ids=message_ids,
                                     now=deps.clock.now())
        return "sent"
    return "retry"


def _render(deps: Deps, table: dict[str, Renderer], row: Claimed) -> Rendered:
    renderer = table.get(row.kind)
    if renderer is None:
        raise LookupError(f"no renderer for outbox kind {row.kind!r}")
    return renderer(row.payload, deps.translator(row.language))


async def _send(app: KlaApplication, deps: Deps, chat_id: int, rendered: Rendered) -> list[int]:
    """Send the text (with its buttons) and the attached evidence file, if any."""
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row]
         for row in rendered.buttons]) if rendered.buttons else None
    if rendered.evidence_key is None:
        message = await app.bot.send_message(chat_id, rendered.text, reply_markup=markup,
                                             **TIMEOUTS)
        return [message.message_id]
    path = evidence_path(deps.storage_dir, rendered.evidence_key)
    data = await asyncio.to_thread(path.read_bytes)
    name = rendered.evidence_name or path.name
    if len(rendered.text) <= CAPTION_LIMIT:
        message = await app.bot.send_document(chat_id, data, filename=name,
                                              caption=rendered.text, reply_markup=markup,
                                              **TIMEOUTS)
        return [message.message_id]
    # Too long for a caption: the text (with the buttons) first, the file as a reply to it.
    text_message: Message = await app.bot.send_message(chat_id, rendered.text,
                                                       reply_markup=markup, **TIMEOUTS)
    file_message = await app.bot.send_document(
        chat_id, data, filename=name, reply_to_message_id=text_message.message_id, **TIMEOUTS)
    return [text_message.message_id, file_message.message_id]


def _retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that the int form will become a timedelta
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _reason(message: str) -> str:
    text = message.lower()
    if "blocked" in text:
        return "blocked"
    if "deactivated" in text:
        return "deactivated"
    if "initiate" in text:
        return "cant_initiate"
    return "forbidden"


async def _retry(deps: Deps, row: Claimed, not_before: datetime, error: str,
                 *, count: bool) -> None:
    async with deps.db.transaction() as session:
        await delivery.mark_retry(session, row, not_before=not_before, error=error,
                                  count_attempt=count)


async def _fail(deps: Deps, row: Claimed, error: str) -> None:
    log.warning("outbox %s (%s) failed for good: %s", row.id, row.kind, error)
    async with deps.db.transaction() as session:
        await delivery.mark_failed(session, row, error=error)


async def _unreachable(deps: Deps, row: Claimed, reason: str) -> None:
    log.info("outbox %s: recipient %s unreachable (%s)", row.id, row.recipient_id, reason)
    today = local_today(deps.clock, deps.settings.tz).isoformat()
    async with deps.db.transaction() as session:
        await delivery.mark_unreachable(session, deps.workspace, row, reason=reason,
                                        now=deps.clock.now(), today_local=today)


def runs_by_itself(deps: Deps) -> bool:
    """Whether the bot acts on its own (sender loop, catch-up at start). With a ManualClock a
    test drives time, so nothing fires unasked: the test calls :func:`drain` itself."""
    return not isinstance(deps.clock, ManualClock)


async def _loop(app: KlaApplication, state: _SenderState) -> None:
    while not state.stopping.is_set():
        try:
            await drain(app)
        except Exception:  # a database hiccup must not end the sender
            log.exception("the outbox sender failed; trying again shortly")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(state.stopping.wait(), IDLE_INTERVAL)


def start_sender(app: KlaApplication) -> None:
    """Start draining the outbox in the background until :func:`stop_sender`."""
    state = _state(app)
    if state.task is None or state.task.done():
        state.stopping.clear()
        state.task = asyncio.create_task(_loop(app, state), name="kla-bot outbox sender")


async def stop_sender(app: KlaApplication, grace: float = 15.0) -> None:
    """Let the message being sent finish, hand the rest back, and stop."""
    state = _state(app)
    state.stopping.set()
    if state.task is not None:
        try:
            await asyncio.wait_for(state.task, grace)
        except TimeoutError:
            log.warning("the outbox sender did not stop in time")
        state.task = None
    state.stopping.clear()
