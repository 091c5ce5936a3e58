"""Telegram by webhook: the route that takes Telegram's POSTs, and setting the webhook.

Telegram sends every update to ``[bot] webhook_url`` with the secret given to ``setWebhook`` in
the ``X-Telegram-Bot-Api-Secret-Token`` header. Anything without it (or with another) gets 403
and is never read, so a stranger who finds the URL changes nothing. A good update is handed to
PTB's ``Application`` through its update queue — the same path polling takes — and answered 200
at once: Telegram waits for no handler, and resends only what was not answered.

Several workers behind a load balancer each serve this route; each update reaches one of them.
Nothing a worker keeps in memory is needed by another (the conversation's state is in the
database), so it does not matter which one.
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
from telegram.ext import Application

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024  # an update is a few kB; a larger body is not Telegram's


def secret_matches(given: str | None, secret: str) -> bool:
    """Compare in constant time, so the secret cannot be guessed a byte at a time."""
    return given is not None and hmac.compare_digest(given.encode(), secret.encode())


def telegram_route(app: Application[Any, Any, Any, Any, Any, Any], *, secret: str,
                   path: str) -> Route:
    """POST ``path``: check the secret header, read the update, queue it for ``app``."""

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
        if update is not None:
            await app.update_queue.put(update)
        return Response(status_code=200)

    return Route(path, receive, methods=["POST"], name="telegram")


async def set_webhook(app: Application[Any, Any, Any, Any, Any, Any], *, url: str,
                      secret: str) -> None:
    """Point Telegram at ``url``. Every worker does it at start with the same values, which
    Telegram takes as a no-op; none deletes it at stop (the others still serve it, and
    Telegram keeps updates for up to a day while no one answers)."""
    await app.bot.set_webhook(url=url, secret_token=secret,
                              allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)
