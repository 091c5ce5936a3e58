"""The WhatsApp side of the durable inbox (:mod:`kla_bot.inbox`): messages by their WhatsApp
id, kept before the webhook answers 200, handled after and marked handled. A kill -9
mid-download loses nothing (the message waits for the next start, or for another worker), and
a redelivery, even after a restart, is dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from kla_bot.channels.whatsapp.webhook import Inbound
from kla_bot.clock import Clock
from kla_bot.db import Database
from kla_bot.inbox import DurableInbox

CHANNEL = "whatsapp"


class DatabaseInbox:
    """The webhook's :class:`~kla_bot.channels.whatsapp.webhook.Inbox`, in ``inbound_messages``."""

    def __init__(self, db: Database, clock: Clock, *,
                 holder: Callable[[], int | None] = lambda: None) -> None:
        self.durable = DurableInbox(db, clock, CHANNEL, holder=holder)

    async def take_in(self, messages: Sequence[Inbound]) -> list[Inbound]:
        fresh = await self.durable.take_in([(m.message_id, m.raw) for m in messages])
        return [m for m in messages if m.message_id in fresh]

    async def mark_handled(self, message_id: str) -> None:
        await self.durable.mark_handled(message_id)

    async def handled_at(self, message_id: str) -> datetime | None:
        return await self.durable.handled_at(message_id)
