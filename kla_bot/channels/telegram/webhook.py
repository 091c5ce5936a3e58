"""Telegram by webhook: the route that takes Telegram's POSTs, and setting the webhook.

Telegram sends every update to ``[bot] webhook_url`` with the secret given to ``setWebhook`` in
the ``X-Telegram-Bot-Api-Secret-Token`` header. Anything without it (or with another) gets 403
and is never read, so a stranger who finds the URL changes nothing. A good update is kept in the
durable inbox (:mod:`kla_bot.inbox`) and committed, handed to PTB's ``Application`` through its
update queue — the same path polling takes — and answered 200 at once: Telegram waits for no
handler. Once every handler ran, the update is marked handled.

Several workers behind a load balancer each serve this route; each update reaches one of them,
and a redelivery (to any of them) is dropped by the inbox. An update whose worker died before
handling it is handled by another (or the next start). Nothing a worker keeps in memory is
needed by another (the conversation's state is in the database).
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application, TypeHandler

from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.clock import ManualClock
from kla_bot.inbox import DurableInbox, Sweeper

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024  # an update is a few kB; a larger body is not Telegram's


def secret_matches(given: str | None, secret: str) -> bool:
    """Compare in constant time, so the secret cannot be guessed a byte at a time."""
    return given is not None and hmac.compare_digest(given.encode(), secret.encode())


# After every other handler group: the update has been dealt with.
HANDLED_GROUP = 1_000_000


class TelegramInbox:
    """The webhook's updates in the durable inbox, keyed by bot and update id."""

    def __init__(self, app: KlaApplication) -> None:
        deps = app.bot_data.deps
        self.app = app
        self.durable = DurableInbox(deps.db, deps.clock, "telegram",
                                    holder=lambda: deps.leader.backend_pid)
        self.sweeper = Sweeper(self.durable, self._queue_waiting,
                               repeat=not isinstance(deps.clock, ManualClock))
        self._taken: dict[int, str] = {}  # update id → inbox key, being handled here
        app.add_handler(TypeHandler(Update, self._handled), group=HANDLED_GROUP)

    @classmethod
    def of(cls, app: KlaApplication) -> TelegramInbox:
        """The one inbox of ``app`` (made on first use)."""
        if app.bot_data.telegram_inbox is None:
            app.bot_data.telegram_inbox = cls(app)
        return app.bot_data.telegram_inbox

    async def take_in(self, update: Update, raw: dict[str, Any]) -> bool:
        """Keep and queue ``update``; False for one taken in before (a redelivery)."""
        key = f"{self.app.bot.id}:{update.update_id}"
        if not await self.durable.take_in([(key, raw)]):
            return False
        self._taken[update.update_id] = key
        await self.app.update_queue.put(update)
        return True

    async def _queue_waiting(self, waiting: list[tuple[str, dict[str, Any]]]) -> None:
        for key, raw in waiting:
            update = Update.de_json(raw, self.app.bot)
            if update is None:
                await self.durable.mark_handled(key)
                continue
            self._taken[update.update_id] = key
            await self.app.update_queue.put(update)

    async def _handled(self, update: Update, context: object) -> None:
        key = self._taken.pop(update.update_id, None)
        if key is not None:
            await self.durable.mark_handled(key)


def telegram_route(app: KlaApplication, *, secret: str, path: str) -> Route:
    """POST ``path``: check the secret header, read the update, keep it and queue it for
    ``app``."""
    inbox = TelegramInbox.of(app)

    async def receive(request: Request) -> Response:
        if not secret_matches(request.headers.get(SECRET_HEADER), secret):
            log.warning("a Telegram webhook post without the right secret token was refused")
            return Response(status_code=403)
        body = await request.body()
        if len(body) > MAX_BODY:
            return Response(status_code=413)
        try:
            data = json.loads(body)
            if not isinstance(data, dict):
                raise TypeError(type(data).__name__)
            update = Update.de_json(data, app.bot)
        except (ValueError, TypeError, KeyError, AttributeError):
            # Telegram would resend a non-2xx forever; a body it cannot have sent is dropped.
            log.warning("a Telegram webhook post that is not an update was ignored")
            return Response(status_code=400)
        if update is not None and not await inbox.take_in(update, data):
            log.info("Telegram update %s was taken in before; dropped", update.update_id)
        return Response(status_code=200)

    return Route(path, receive, methods=["POST"], name="telegram")


async def set_webhook(app: Application[Any, Any, Any, Any, Any, Any], *, url: str,
                      secret: str) -> None:
    """Point Telegram at ``url``. Every worker does it at start with the same values, which
    Telegram takes as a no-op; none deletes it at stop (the others still serve it, and
    Telegram keeps updates for up to a day while no one answers)."""
    await app.bot.set_webhook(url=url, secret_token=secret,
                              allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)
