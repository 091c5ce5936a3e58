"""The outbox sender of a Telegram Application: the channel-neutral sender
(:mod:`kla_bot.outbox_sender`) with the Telegram adapter (:mod:`kla_bot.channels.telegram.outbox`),
one per Application, and the renderer tables of every channel.

A bot that serves WhatsApp too adds that channel's adapter to the same sender
(``sender_of(app).add(WhatsAppOutbox(...))``); a WhatsApp-only bot builds an
:class:`~kla_bot.outbox_sender.OutboxSender` itself with :func:`renderers` and no Application.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping

from handlers.registry import Renderer
from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.channels.telegram.outbox import TelegramOutbox
from kla_bot.channels.whatsapp.outbox import whatsapp_renderers
from kla_bot.outbox_sender import (
    HEARTBEAT,
    LEASE,
    MAX_BACKOFF,
    MAX_PAUSE,
    OutboxSender,
    runs_by_itself,
)
from kla_bot.services.outbox_kinds import OutboxKind

__all__ = ["HEARTBEAT", "LEASE", "MAX_BACKOFF", "MAX_PAUSE", "drain", "renderer_tables",
           "renderers", "runs_by_itself", "sender_of", "start_sender", "stop_sender"]

_SENDERS: weakref.WeakKeyDictionary[KlaApplication, OutboxSender] = (
    weakref.WeakKeyDictionary())


def renderers() -> dict[OutboxKind, Renderer]:
    """Every outbox kind's renderer, collected from the features (catalog HTML and buttons;
    each channel shows it its own way)."""
    from handlers import FEATURES  # late: handlers/__init__ imports the features using us

    return {kind: fn for feature in FEATURES for kind, fn in feature.renderers.items()}


def renderer_tables() -> dict[str, Mapping[OutboxKind, Callable[..., object]]]:
    """Each channel's renderer table; every one must render every kind (a test checks). A
    new channel adds its table here."""
    table = renderers()
    return {"telegram": table, "whatsapp": whatsapp_renderers(table)}


def sender_of(app: KlaApplication) -> OutboxSender:
    """The Application's sender (made on first use, with the Telegram adapter)."""
    if app not in _SENDERS:
        deps = app.bot_data.deps
        _SENDERS[app] = OutboxSender(deps, lambda: renderers(),
                                     {"telegram": TelegramOutbox(app.bot, deps)})
    return _SENDERS[app]


async def drain(app: KlaApplication) -> int:
    """Send every outbox message due now (in id order); return how many were delivered."""
    return await sender_of(app).drain()


def start_sender(app: KlaApplication) -> None:
    """Start draining the outbox in the background until :func:`stop_sender`."""
    sender_of(app).start()


async def stop_sender(app: KlaApplication, grace: float = 15.0) -> None:
    """Let the message being sent finish, hand the rest back, and stop."""
    await sender_of(app).stop(grace)
