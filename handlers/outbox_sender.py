"""The outbox sender: drains queued notifications and reminders to Telegram, in id order.

Every outgoing reminder and notification is a row in the outbox; sending is draining it, so a
crash, a restart or a second worker never loses or doubles a message (see
``kla_bot.services.delivery`` for how rows are claimed). What happens to each answer:

* success → ``sent`` with the Telegram message id, and the message is mapped to its tasks;
* 429 → the row waits ``retry_after`` (not counted as an attempt), the rest of the batch is
  handed back with the same ``not_before``, and the whole sender pauses as long — a flood wait
  applies to the bot, not to one message; nothing is ever dropped. The rate limiter never
  sleeps out a flood wait inside an outbox send (:mod:`handlers.rate_limit`): a wait of
  minutes or hours would outlast the row's lease and let another worker send it too;
* 5xx, time-outs, network errors (transient) → the row is retried with capped back-off
  (:data:`MAX_BACKOFF`) for as long as it is useful — a reminder until its local day ends, a
  review notice for days (:func:`kla_bot.services.outbox.useful_until`); attempts never make it
  give up. Two in a row mean the Bot API is in trouble for everyone, so the sender also
  pauses (growing to :data:`MAX_PAUSE`) instead of timing out on every queued row: after a
  stall of minutes or hours, everything queued goes out once, in order. A row still unsent when
  its useful life ends becomes ``expired``, with its last error;
* 400 (a permanent answer) → ``failed`` with Telegram's description;
* 403 (blocked, deactivated, cannot initiate) or "chat not found" → the row becomes
  ``unreachable``, the member is marked unreachable, their other queued rows are held (nobody
  claims them), their coordinators are told once; all of it goes out when the member writes to
  the bot again (:mod:`handlers.presence`).

Every row that ends unsent is logged at WARNING with its cause (member ids only, never a phone
number), and ``python bot.py status`` counts them for the operator.

Pacing (:mod:`kla_bot.pacing`): at most one message a second per private chat and just under
Telegram's 30/s overall; a message for a chat that is still cooling down waits while other chats
go first. The pacing is off when the Application was built without a rate limiter (most tests).
Rendering and the Telegram calls for one message live in :mod:`handlers.outbox_message`.

Leases: a worker renews the lease of the rows it holds before each send when it runs low and
every few seconds while a batch is held, so a row is never claimed by a second worker while the
first still means to send it — however long the pacing or a send takes.

Kill -9 during a fan-out: the message being sent at that instant may have reached Telegram
without being marked, and is sent again when its lease runs out — at most that one message is
doubled; rows claimed but not yet sent wait out the lease (:data:`LEASE`) and go out once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from handlers.outbox_message import (
    forbidden_reason,
    render,
    retry_after_seconds,
    send,
)
from handlers.registry import KlaApplication, Renderer
from kla_bot.clock import ManualClock, local_today
from kla_bot.deps import Deps
from kla_bot.pacing import Pacer
from kla_bot.services import delivery
from kla_bot.services.delivery import Claimed
from kla_bot.services.outbox_kinds import OutboxKind

__all__ = ["MAX_BACKOFF", "MAX_PAUSE", "drain", "renderer_tables", "renderers",
           "runs_by_itself", "start_sender", "stop_sender"]

log = logging.getLogger(__name__)

# A claimed row's lease. Kept short, so rows held by a killed worker are soon sent by another;
# a live worker renews it: before a send when less than SEND_BUDGET is left (one send's
# time-outs, outbox_message.TIMEOUTS, fit in it), and every HEARTBEAT seconds while a batch is
# held, so neither pacing a long batch nor a slow send ever outlives it.
LEASE = timedelta(seconds=30)
SEND_BUDGET = timedelta(seconds=20)
HEARTBEAT = 5.0
BATCH = 20
# Transient failures: a row waits 1, 2, 4 … at most MAX_BACKOFF before its next try, and from
# the second consecutive one the sender pauses 1, 2, 4 … at most MAX_PAUSE (the first try after
# a pause probes whether the Bot API is back). Short enough that a recovered API is used within a
# minute, long enough that a stall of hours costs a request a minute, not one per row.
MAX_BACKOFF = timedelta(minutes=5)
MAX_PAUSE = timedelta(minutes=1)
IDLE_INTERVAL = 0.5  # how often the background loop looks for due rows


@dataclass
class _SenderState:
    """Per-Application sender state (pacing is per process, like Telegram's view of a bot)."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    pacer: Pacer = field(default_factory=Pacer)
    paused_until: datetime | None = None
    transient_streak: int = 0  # consecutive transient failures, reset by any delivery
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


_STATES: weakref.WeakKeyDictionary[KlaApplication, _SenderState] = weakref.WeakKeyDictionary()


def _state(app: KlaApplication) -> _SenderState:
    if app not in _STATES:
        _STATES[app] = _SenderState()
    return _STATES[app]


def renderers() -> dict[OutboxKind, Renderer]:
    """Every outbox kind's Telegram renderer, collected from the features."""
    from handlers import FEATURES  # late: handlers/__init__ imports the features using us

    return {kind: fn for feature in FEATURES for kind, fn in feature.renderers.items()}


def renderer_tables() -> dict[str, Mapping[OutboxKind, Callable[..., object]]]:
    """Each channel's renderer table; every one must render every kind (a test checks). A
    new channel adds its table here."""
    return {"telegram": renderers()}


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
                expired = await delivery.expire_due(session, now=now)
                batch = await delivery.claim_due(session, now=now, limit=BATCH, lease=LEASE)
            for row in expired:
                log.warning("outbox %s (%s) for member %s expired unsent: %s", row.id, row.kind,
                            row.recipient_id, row.cause or "never tried in time")
            if not batch:
                break
            held = _Held(until=now + LEASE, ids={row.id for row in batch})
            heartbeat = asyncio.create_task(_keep_leased(deps, held))
            try:
                delivered += await _send_batch(app, deps, state, table, batch, held, paced)
            finally:
                heartbeat.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await heartbeat
    return delivered


@dataclass
class _Held:
    """The rows of one claimed batch this worker still holds, and when their lease ends (the
    worker's ownership token, see :func:`kla_bot.services.delivery.renew`)."""

    until: datetime
    ids: set[int]
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


async def _renew(deps: Deps, held: _Held) -> None:
    """Push the lease of every row still held to a full :data:`LEASE` from now; forget rows
    another worker took after the lease lapsed (they are theirs to send now)."""
    async with held.lock:
        until = deps.clock.now() + LEASE
        async with deps.db.transaction() as session:
            kept = await delivery.renew(session, sorted(held.ids), held_until=held.until,
                                        until=until)
        held.ids &= kept
        held.until = until


async def _keep_leased(deps: Deps, held: _Held) -> None:
    """While a batch is held, renew its lease every :data:`HEARTBEAT` seconds, so a send that
    takes long (slow network, two requests) never outlives it; a killed worker stops renewing."""
    while True:
        await asyncio.sleep(HEARTBEAT)
        try:
            await _renew(deps, held)
        except Exception:  # the pre-send renewal still guards each send
            log.exception("could not renew the outbox lease")


async def _send_batch(app: KlaApplication, deps: Deps, state: _SenderState,
                      table: dict[OutboxKind, Renderer], batch: list[Claimed], held: _Held,
                      paced: bool) -> int:
    """Send a claimed batch, keeping each chat's order, letting ready chats go first."""
    waiting = list(batch)
    delivered = 0
    pacer = state.pacer
    while waiting:
        if state.stopping.is_set() or _paused(deps, state):
            async with deps.db.transaction() as session:  # a flood wait or stall: every worker
                await delivery.release(session, [row.id for row in waiting],
                                       not_before=state.paused_until
                                       if _paused(deps, state) else None)
            held.ids.clear()
            break
        row = pacer.first_ready(waiting, _chat_of) if paced else waiting[0]
        if row is None:
            await asyncio.sleep(pacer.seconds_until_a_chat_is_ready(map(_chat_of, waiting)))
            continue
        if paced:
            await pacer.pace(row.chat_id)
        if held.until - deps.clock.now() < SEND_BUDGET:  # pacing or slow sends ate the lease
            await _renew(deps, held)
            waiting = [r for r in waiting if r.id in held.ids]
            if row.id not in held.ids:
                log.warning("outbox %s: lease lapsed and taken over; not sending it", row.id)
                continue
        waiting.remove(row)
        outcome = await _deliver(app, deps, state, table, row)
        held.ids.discard(row.id)
        delivered += outcome == "sent"
        if outcome == "unreachable":  # hold their other rows until they write again
            theirs = [r.id for r in waiting if r.chat_id == row.chat_id]
            async with deps.db.transaction() as session:
                await delivery.release(session, theirs)
            waiting = [r for r in waiting if r.chat_id != row.chat_id]
            held.ids -= set(theirs)
    return delivered


def _chat_of(row: Claimed) -> int:
    return row.chat_id


def _paused(deps: Deps, state: _SenderState) -> bool:
    return state.paused_until is not None and deps.clock.now() < state.paused_until


async def _deliver(app: KlaApplication, deps: Deps, state: _SenderState,
                   table: dict[OutboxKind, Renderer], row: Claimed) -> str:
    """Send one row and record the outcome: sent, retry, failed or unreachable."""
    try:
        rendered = render(deps, table, row)
        message_ids = await send(app, deps, row.chat_id, rendered)
    except RetryAfter as exc:
        wait = retry_after_seconds(exc)
        until = deps.clock.now() + timedelta(seconds=wait)
        state.paused_until = max(until, state.paused_until or until)
        log.warning("outbox %s: flood wait %.1fs, pausing the sender", row.id, wait)
        await _retry(deps, row, state.paused_until, f"429 retry after {wait}s", count=False)
    except Forbidden as exc:
        await _unreachable(deps, row, forbidden_reason(exc.message))
        return "unreachable"
    except BadRequest as exc:  # before NetworkError: PTB makes it a subclass
        if "chat not found" in exc.message.lower():
            await _unreachable(deps, row, "chat_not_found")
            return "unreachable"
        await _fail(deps, row, f"400 {exc.message}")
        return "failed"
    except ChatMigrated as exc:  # a group became a supergroup: this chat id is gone for good
        await _fail(deps, row, f"chat migrated to {exc.new_chat_id}")
        return "failed"
    except (NetworkError, TelegramError) as exc:  # 5xx, time-outs, connection errors, …
        await _transient(deps, state, row, f"{type(exc).__name__}: {exc.message}")
    except Exception as exc:  # a renderer bug or a missing file: never stall the queue
        log.exception("outbox %s (%s) cannot be sent", row.id, row.kind)
        await _fail(deps, row, f"{type(exc).__name__}: {exc}")
        return "failed"
    else:
        state.transient_streak = 0
        async with deps.db.transaction() as session:
            await delivery.mark_sent(session, row, message_ids=message_ids,
                                     now=deps.clock.now())
        return "sent"
    return "retry"


async def _transient(deps: Deps, state: _SenderState, row: Claimed, error: str) -> None:
    """Try the row again later (until it expires). From the second failure in a row (two
    messages, not one odd one) the Bot API itself is in trouble: pause the sender, longer
    after each further failure, so a stall costs one probe per pause, not a time-out per row."""
    now = deps.clock.now()
    backoff = min(timedelta(seconds=2 ** min(row.attempts, 16)), MAX_BACKOFF)
    state.transient_streak += 1
    if state.transient_streak >= 2:
        pause = min(timedelta(seconds=2 ** min(state.transient_streak - 2, 16)), MAX_PAUSE)
        state.paused_until = max(now + pause, state.paused_until or now)
    log.info("outbox %s: %s; retrying in %s", row.id, error, backoff)
    await _retry(deps, row, now + backoff, error, count=True)


async def _retry(deps: Deps, row: Claimed, not_before: datetime, error: str,
                 *, count: bool) -> None:
    async with deps.db.transaction() as session:
        await delivery.mark_retry(session, row, not_before=not_before, error=error,
                                  count_attempt=count)


async def _fail(deps: Deps, row: Claimed, error: str) -> None:
    log.warning("outbox %s (%s) for member %s failed: %s", row.id, row.kind, row.recipient_id,
                error)
    async with deps.db.transaction() as session:
        await delivery.mark_failed(session, row, error=error)


async def _unreachable(deps: Deps, row: Claimed, reason: str) -> None:
    log.warning("outbox %s (%s): member %s unreachable (%s); held until they write again",
                row.id, row.kind, row.recipient_id, reason)
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
