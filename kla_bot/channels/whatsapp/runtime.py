"""The WhatsApp channel while the bot runs: pywa's client, the webhook app, the durable inbox.

``start()`` hands every message taken in but never handled (a crash or a stop came between)
to the conversation again, in the background; ``stop()`` cancels what is running (its rows stay
unhandled, so the next start finishes them) and closes the HTTP client. :class:`WebhookServer`
serves the webhook app with uvicorn in the caller's event loop (beside Telegram's polling).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Sequence
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette

from kla_bot.channels.whatsapp import webhook
from kla_bot.channels.whatsapp.client import graph_session, make_client
from kla_bot.channels.whatsapp.inbound import Channel, handle
from kla_bot.channels.whatsapp.inbox import DatabaseInbox
from kla_bot.clock import ManualClock
from kla_bot.config import WhatsAppSettings
from kla_bot.deps import Deps
from kla_bot.errors import RuntimeFailure
from kla_bot.inbox import Sweeper

log = logging.getLogger(__name__)


class WhatsAppRuntime:
    """One WhatsApp channel for ``deps`` (``transport``: the stand-in's, in tests)."""

    def __init__(self, deps: Deps, settings: WhatsAppSettings, *,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.deps, self.settings = deps, settings
        self.session = graph_session(settings, transport)
        self.client = make_client(settings, self.session)
        self.inbox = DatabaseInbox(deps.db, deps.clock, holder=lambda: deps.leader.backend_pid)
        self.channel = Channel(deps, self.client, self.session, settings)
        self.app: Starlette = webhook.create_webhook_app(
            app_secret=settings.app_secret, verify_token=settings.verify_token,
            on_inputs=self._on_inputs, inbox=self.inbox, path=settings.path)
        self._sweeper = Sweeper(self.inbox.durable, self._handle_waiting,
                                repeat=not isinstance(deps.clock, ManualClock))

    async def _on_inputs(self, messages: Sequence[webhook.Inbound],
                         statuses: Sequence[webhook.StatusNote]) -> None:
        # Statuses (delivered, failed) are the outbox's business; messages are handled in
        # the order they came, one after the other, as one person's messages must be.
        for message in messages:
            await self.handle(message)

    async def handle(self, message: webhook.Inbound) -> None:
        """Handle one message taken in, then mark it handled (cancellation leaves it
        unhandled for the next start; a failure was apologised for and is not retried)."""
        await handle(self.channel, message)
        await self.inbox.mark_handled(message.message_id)

    async def start(self) -> None:
        """Begin handling what waits in the inbox from before, or from a worker now gone (in
        the background, and again every minute)."""
        self._sweeper.start()

    async def _handle_waiting(self, waiting: list[tuple[str, dict[str, Any]]]) -> None:
        for message_id, raw in waiting:
            message = webhook.from_raw(raw)
            if message is None:  # no longer parses: never retried
                await self.inbox.mark_handled(message_id)
            else:
                await self.handle(message)

    async def caught_up(self) -> None:
        """Wait until the messages from before the start are handled."""
        await self._sweeper.first_pass()

    async def stop(self) -> None:
        await self._sweeper.stop()
        await self.session.aclose()


class WebhookServer:
    """uvicorn serving ``app`` on ``host:port`` in the running event loop. Not ``serve()``:
    it would take over SIGINT/SIGTERM, which ``run`` handles itself."""

    def __init__(self, app: Starlette, host: str, port: int) -> None:
        self.app, self.host, self.port = app, host, port
        self._server: uvicorn.Server | None = None
        self._socket: socket.socket | None = None

    async def start(self) -> None:
        try:
            family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
            sock = socket.create_server((self.host, self.port), family=family)
        except OSError as exc:
            raise RuntimeFailure("cli.run.listen", listen=f"{self.host}:{self.port}",
                                 problem=exc.strerror or type(exc).__name__) from None
        # Acknowledge slow clients and stop within seconds: WhatsApp retries what is not
        # answered, and the inbox keeps what was taken in.
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off",
                                timeout_graceful_shutdown=5)
        config.load()
        server = uvicorn.Server(config)
        server.lifespan = config.lifespan_class(config)
        await server.startup(sockets=[sock])
        self._server, self._socket = server, sock

    async def stop(self) -> None:
        if self._server is not None and self._socket is not None:
            await self._server.shutdown(sockets=[self._socket])
            self._socket.close()
        self._server = None
