"""The outbox sender: drains queued notifications and reminders, in id order, to whichever
channel reaches each recipient — Telegram, WhatsApp, or both in one bot.

Every outgoing reminder and notification is a row in the outbox; sending is draining it, so a
crash, a restart or a second worker never loses or doubles a message (see
:mod:`kla_bot.services.delivery` for how rows are claimed). The route of a row for a member is
chosen as it is sent (:mod:`kla_bot.services.routes`: the channel they used last, among those
this bot serves). Each channel's adapter (:class:`kla_bot.outbox_channel.ChannelOutbox`) sends
one rendered row and says how it went; what happens then:

* sent → ``sent`` with the route, message id(s) and template, and the message is mapped to its
  tasks;
* flood wait (Telegram's 429, the Cloud API's throughput limits) → the row waits (not counted
  as an attempt); a channel-wide wait also hands that channel's other rows back with the same
  ``not_before`` and pauses the channel — nothing is ever dropped. A per-user wait (WhatsApp's
  pair limit) delays that row only;
* transient (5xx, time-outs, network errors) → retried with capped back-off
  (:data:`MAX_BACKOFF`) for as long as the row is useful
  (:func:`kla_bot.services.outbox.useful_until`); two in a row on one channel pause that
  channel (growing to :data:`MAX_PAUSE`), so a stall costs a probe per pause, not a time-out
  per row; a row unsent when its useful life ends becomes ``expired``;
* failed (a permanent answer, or a renderer bug) → ``failed`` with the cause;
* unreachable (blocked, not a WhatsApp user) → that channel is marked unreachable for the
  member; if another channel still reaches them the row goes again by it, else the row becomes
  ``unreachable``, their other queued rows are held and their coordinators are told once; all
  of it goes out when the member writes to the bot again;
* waiting for the window (WhatsApp, outside 24 hours, a kind with no template) → ``waiting``
  until the member writes again (:func:`kla_bot.services.delivery.window_opened`).

A row whose payload replaces an earlier message (:meth:`OutboxPayload.edits`: the group's
morning post, updated during the day) goes with ``Route.edit`` set to that message, once it was
sent; the channel edits it instead of sending a new one.

Pacing is per channel (:attr:`ChannelOutbox.pacer`): a message for a chat that is still
cooling down waits while other chats go first; each chat's order is kept. Telegram's pacer
draws on the bot's one budget, shared with handler replies: a row of an interactive kind
(:data:`kla_bot.services.outbox_kinds.INTERACTIVE_KINDS`) takes its token ahead of bulk rows.

Leases: a worker renews the lease of the rows it holds before each send when it runs low and
every :data:`HEARTBEAT` seconds while a batch is held, so a row is never claimed by a second
worker while the first still means to send it. Kill -9 during a fan-out: the message being
sent at that instant may have been delivered without being marked, and is sent again when its
lease runs out — at most that one message is doubled.

The sender needs no Telegram Application: it takes the deps, the renderer table and the
channels this bot serves (:class:`OutboxSender`); :meth:`OutboxSender.drain` is what tests call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from kla_bot.clock import ManualClock, local_today
from kla_bot.deps import Deps
from kla_bot.domain import Channel
from kla_bot.outbox_channel import (
    ChannelOutbox,
    Failed,
    FloodWait,
    Outcome,
    RenderedMessage,
    RendererTable,
    Sent,
    Transient,
    Unreachable,
    WaitForWindow,
)
from kla_bot.services import delivery, outbox, routes
from kla_bot.services.delivery import Claimed
from kla_bot.services.outbox_kinds import is_interactive
from kla_bot.services.routes import Route

__all__ = ["HEARTBEAT", "LEASE", "MAX_BACKOFF", "MAX_PAUSE", "OutboxSender", "runs_by_itself"]

log = logging.getLogger(__name__)

# A claimed row's lease. Kept short, so rows held by a killed worker are soon sent by another;
# a live worker renews it: before a send when less than SEND_BUDGET is left (one send's
# time-outs fit in it), and every HEARTBEAT seconds while a batch is held.
LEASE = timedelta(seconds=30)
SEND_BUDGET = timedelta(seconds=20)
HEARTBEAT = 5.0
BATCH = 20
# Transient failures: a row waits 1, 2, 4 … at most MAX_BACKOFF before its next try, and from
# the second consecutive one the channel pauses 1, 2, 4 … at most MAX_PAUSE.
MAX_BACKOFF = timedelta(minutes=5)
MAX_PAUSE = timedelta(minutes=1)
# How often the background loop looks for due rows when nothing woke it: a message queued in
# this worker wakes it at once (``wake``); this interval covers rows queued by another worker
# or the CLI, and rows whose time has come.
IDLE_INTERVAL = 2.0
# A member no channel of this bot reaches (WhatsApp only, in a Telegram-only bot): look again
# this much later (they may write on a channel it serves meanwhile).
NO_ROUTE_RETRY = timedelta(minutes=5)


@dataclass
class _ChannelState:
    """A channel's pause (flood wait, stall) and its transient streak, per process."""

    paused_until: datetime | None = None
    transient_streak: int = 0  # consecutive transient failures, reset by any delivery


@dataclass
class _Held:
    """The rows of one claimed batch this worker still holds, and when their lease ends (the
    worker's ownership token, see :func:`kla_bot.services.delivery.renew`)."""

    until: datetime
    ids: set[int]
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass
class _Item:
    row: Claimed
    route: Route

    @property
    def key(self) -> tuple[Channel, str]:
        return self.route.channel, self.route.chat


def runs_by_itself(deps: Deps) -> bool:
    """Whether the bot acts on its own (sender loop, catch-up at start). With a ManualClock a
    test drives time, so nothing fires unasked: the test calls :meth:`OutboxSender.drain`."""
    return not isinstance(deps.clock, ManualClock)


class OutboxSender:
    """Drains the outbox over the channels given (add more with :meth:`add`)."""

    def __init__(self, deps: Deps, renderers: Callable[[], RendererTable],
                 channels: Mapping[Channel, ChannelOutbox] | None = None) -> None:
        self.deps = deps
        self.renderers = renderers
        self.channels: dict[Channel, ChannelOutbox] = dict(channels or {})
        self._states: dict[Channel, _ChannelState] = {}
        self._lock = asyncio.Lock()
        self._stopping = asyncio.Event()
        self._woken = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._unhook: Callable[[], None] | None = None

    def add(self, adapter: ChannelOutbox) -> None:
        """Serve one more channel (the WhatsApp adapter beside Telegram's, say)."""
        self.channels[adapter.channel] = adapter

    def state(self, channel: Channel) -> _ChannelState:
        return self._states.setdefault(channel, _ChannelState())

    # -- draining --------------------------------------------------------------------------
    async def drain(self) -> int:
        """Send every outbox message due now (in id order); return how many were delivered."""
        deps = self.deps
        delivered = 0
        async with self._lock:
            while not self._stopping.is_set():
                if self.channels and all(self._paused(c) for c in self.channels):
                    break
                now = deps.clock.now()
                async with deps.db.lone_read() as session:
                    if not await delivery.anything_due(session, now=now):
                        break
                async with deps.db.transaction() as session:
                    expired = await delivery.expire_due(session, now=now)
                    batch = await delivery.claim_due(session, now=now, limit=BATCH,
                                                     lease=LEASE)
                    found = await routes.routes_for(
                        session, [r.recipient_id for r in batch if r.recipient_id is not None],
                        now=now, channels=tuple(self.channels))
                for row in expired:
                    log.warning("outbox %s (%s) for member %s expired unsent: %s", row.id,
                                row.kind, row.recipient_id, row.cause or "never tried in time")
                if not batch:
                    break
                held = _Held(until=now + LEASE, ids={row.id for row in batch})
                items = await self._routed(batch, found, held)
                heartbeat = asyncio.create_task(self._keep_leased(held))
                try:
                    delivered += await self._send_batch(items, held)
                finally:
                    heartbeat.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await heartbeat
        return delivered

    async def _routed(self, batch: list[Claimed], found: Mapping[int, Route],
                      held: _Held) -> list[_Item]:
        """Each row with its route; a row no served channel can take is put back for later."""
        items: list[_Item] = []
        for row in batch:
            if row.recipient_id is not None:
                route = found.get(row.recipient_id)
            elif row.chat_id is not None and "telegram" in self.channels:
                route = Route("telegram", str(row.chat_id))
            else:
                route = None
            if route is None:
                held.ids.discard(row.id)
                await self._retry(row, self.deps.clock.now() + NO_ROUTE_RETRY,
                                  "no channel of this bot reaches the recipient", count=False)
                continue
            items.append(_Item(row, route))
        return items

    async def _renew(self, held: _Held) -> None:
        """Push the lease of every row still held to a full :data:`LEASE` from now; forget rows
        another worker took after the lease lapsed (they are theirs to send now)."""
        async with held.lock:
            until = self.deps.clock.now() + LEASE
            async with self.deps.db.transaction() as session:
                kept = await delivery.renew(session, sorted(held.ids), held_until=held.until,
                                            until=until)
            held.ids &= kept
            held.until = until

    async def _keep_leased(self, held: _Held) -> None:
        """While a batch is held, renew its lease every :data:`HEARTBEAT` seconds, so a send
        that takes long never outlives it; a killed worker stops renewing."""
        while True:
            await asyncio.sleep(HEARTBEAT)
            try:
                await self._renew(held)
            except Exception:  # the pre-send renewal still guards each send
                log.exception("could not renew the outbox lease")

    async def _hand_back(self, items: list[_Item], held: _Held,
                         not_before: datetime | None) -> None:
        async with self.deps.db.transaction() as session:
            await delivery.release(session, [i.row.id for i in items], not_before=not_before)
        held.ids -= {i.row.id for i in items}

    def _next(self, waiting: list[_Item]) -> _Item | None:
        """The first item that is first of its chat and whose chat is ready (keeps each chat's
        order, lets ready chats overtake cooling ones); None when every chat must wait."""
        seen: set[tuple[Channel, str]] = set()
        for item in waiting:
            if item.key in seen:
                continue
            seen.add(item.key)
            pacer = self.channels[item.route.channel].pacer
            if pacer is None or pacer.chat_ready(item.route.chat):
                return item
        return None

    async def _wait_for_a_chat(self, waiting: list[_Item]) -> None:
        """Every waiting chat is cooling down: sleep until the first one is ready."""
        waits = [(pacer.seconds_until_a_chat_is_ready([i.route.chat]), pacer)
                 for i in waiting if (pacer := self.channels[i.route.channel].pacer)]
        if waits:
            seconds, pacer = min(waits, key=lambda w: w[0])
            await pacer.wait(seconds)

    async def _send_batch(self, waiting: list[_Item], held: _Held) -> int:
        """Send a claimed batch, keeping each chat's order, letting ready chats go first."""
        delivered = 0
        while waiting:
            if self._stopping.is_set():
                await self._hand_back(waiting, held, None)
                break
            paused = [i for i in waiting if self._paused(i.route.channel)]
            for channel in {i.route.channel for i in paused}:  # a flood wait or a stall
                theirs = [i for i in paused if i.route.channel == channel]
                await self._hand_back(theirs, held, self.state(channel).paused_until)
            waiting = [i for i in waiting if i not in paused]
            item = self._next(waiting)
            if item is None:
                if waiting:
                    await self._wait_for_a_chat(waiting)
                continue
            pacer = self.channels[item.route.channel].pacer
            if pacer is not None:  # rows answering someone's action go before bulk rows
                await pacer.pace(item.route.chat, interactive=is_interactive(item.row.kind),
                                 until_answered=True)
            if held.until - self.deps.clock.now() < SEND_BUDGET:  # pacing or slow sends ate it
                await self._renew(held)
                waiting = [i for i in waiting if i.row.id in held.ids]
                if item.row.id not in held.ids:
                    log.warning("outbox %s: lease lapsed and taken over; not sending it",
                                item.row.id)
                    if pacer is not None:
                        pacer.answered(item.route.chat)  # nothing went: the chat is free
                    continue
            waiting.remove(item)
            try:
                outcome = await self._deliver(item)
            finally:
                if pacer is not None:
                    pacer.answered(item.route.chat)
            held.ids.discard(item.row.id)
            delivered += outcome == "sent"
            if outcome == "unreachable":  # hold their other rows until they write again
                member = item.row.recipient_id
                theirs = [i for i in waiting if i.key == item.key
                          or (member is not None and i.row.recipient_id == member)]
                await self._hand_back(theirs, held, None)
                waiting = [i for i in waiting if i not in theirs]
        return delivered

    def _paused(self, channel: Channel) -> bool:
        until = self.state(channel).paused_until
        return until is not None and self.deps.clock.now() < until

    # -- one row ---------------------------------------------------------------------------
    def _render(self, row: Claimed) -> RenderedMessage:
        payload = row.message()
        renderer = self.renderers().get(payload.kind)
        if renderer is None:
            raise LookupError(f"no renderer for outbox kind {row.kind!r}")
        return renderer(payload, self.deps.translator(row.language))

    async def _deliver(self, item: _Item) -> str:
        """Send one row and record the outcome: sent, retry, failed, waiting or unreachable."""
        row, route = item.row, item.route
        try:
            route = await self._with_edit(row, route)
            outcome: Outcome = await self.channels[route.channel].send(
                row, route, self._render(row))
        except Exception as exc:  # a renderer bug or a missing file: never stall the queue
            log.exception("outbox %s (%s) cannot be sent", row.id, row.kind)
            outcome = Failed(f"{type(exc).__name__}: {exc}")
        state = self.state(route.channel)
        now = self.deps.clock.now()
        match outcome:
            case Sent(message_ids=ids, template=template):
                state.transient_streak = 0
                async with self.deps.db.transaction() as session:
                    await delivery.mark_sent(session, row, channel=route.channel,
                                             chat=route.chat, message_ids=list(ids), now=now,
                                             template=template)
                return "sent"
            case FloodWait(seconds=wait, error=error, everyone=everyone):
                until = now + timedelta(seconds=wait)
                if everyone:
                    state.paused_until = max(until, state.paused_until or until)
                    until = state.paused_until
                    log.warning("outbox %s: %s: %s waits %.1fs", row.id, error,
                                route.channel, wait)
                await self._retry(row, until, error, count=False)
            case Transient(error=error):
                await self._transient(state, row, error)
            case Failed(error=error):
                log.warning("outbox %s (%s) for member %s failed: %s", row.id, row.kind,
                            row.recipient_id, error)
                async with self.deps.db.transaction() as session:
                    await delivery.mark_failed(session, row, error=error)
                return "failed"
            case Unreachable(reason=reason):
                await self._unreachable(row, route, reason)
                return "unreachable"
            case WaitForWindow(error=error):
                log.info("outbox %s (%s): %s; waiting for member %s to write", row.id,
                         row.kind, error, row.recipient_id)
                async with self.deps.db.transaction() as session:
                    await delivery.mark_waiting(session, row, error=error)
                return "waiting"
        return "retry"

    async def _with_edit(self, row: Claimed, route: Route) -> Route:
        """A row that replaces an earlier message (the group's post, updated during the day)
        edits it where it went; when it never went, the row is sent as a new message."""
        key = row.message().edits()
        if key is None:
            return route
        async with self.deps.db.transaction() as session:
            ref = await delivery.sent_message_of(session, key, channel=route.channel,
                                                 chat=route.chat)
        return route if ref is None else replace(route, edit=ref)

    async def _transient(self, state: _ChannelState, row: Claimed, error: str) -> None:
        """Try the row again later (until it expires). From the second failure in a row the
        channel itself is in trouble: pause it, longer after each further failure."""
        now = self.deps.clock.now()
        backoff = min(timedelta(seconds=2 ** min(row.attempts, 16)), MAX_BACKOFF)
        state.transient_streak += 1
        if state.transient_streak >= 2:
            pause = min(timedelta(seconds=2 ** min(state.transient_streak - 2, 16)), MAX_PAUSE)
            state.paused_until = max(now + pause, state.paused_until or now)
        log.info("outbox %s: %s; retrying in %s", row.id, error, backoff)
        await self._retry(row, now + backoff, error, count=True)

    async def _retry(self, row: Claimed, not_before: datetime, error: str, *,
                     count: bool) -> None:
        async with self.deps.db.transaction() as session:
            await delivery.mark_retry(session, row, not_before=not_before, error=error,
                                      count_attempt=count)

    async def _unreachable(self, row: Claimed, route: Route, reason: str) -> None:
        log.warning("outbox %s (%s): member %s unreachable on %s (%s)", row.id, row.kind,
                    row.recipient_id, route.channel, reason)
        deps = await self.deps.for_regency(row.regency_id)  # their coordinators are told
        today = local_today(deps.clock, deps.settings.tz).isoformat()
        async with deps.db.transaction() as session:
            await delivery.mark_unreachable(session, deps.workspace, row, reason=reason,
                                            now=deps.clock.now(), today_local=today,
                                            channel=route.channel)
        self.deps.comebacks.forget()  # this worker's next update sees the mark at once

    # -- running ---------------------------------------------------------------------------
    async def _loop(self) -> None:
        while not self._stopping.is_set():
            self._woken.clear()
            try:
                await self.drain()
            except Exception:  # a database hiccup must not end the sender
                log.exception("the outbox sender failed; trying again shortly")
            await self._idle()

    async def _idle(self) -> None:
        """Until a message is queued in this worker, the sender stops, or IDLE_INTERVAL."""
        woken = asyncio.ensure_future(self._woken.wait())
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait((woken, stopping), timeout=IDLE_INTERVAL,
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            woken.cancel()
            stopping.cancel()

    def start(self) -> None:
        """Start draining the outbox in the background until :meth:`stop`."""
        if self._task is None or self._task.done():
            self._stopping.clear()
            self._unhook = self.deps.db.when_committed(outbox.QUEUED, self._woken.set)
            self._task = asyncio.create_task(self._loop(), name="kla-bot outbox sender")

    async def stop(self, grace: float = 15.0) -> None:
        """Let the message being sent finish, hand the rest back, and stop."""
        self._stopping.set()
        if self._unhook is not None:
            self._unhook()
            self._unhook = None
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, grace)
            except TimeoutError:
                log.warning("the outbox sender did not stop in time")
            self._task = None
        self._stopping.clear()
