"""What the outbox sender needs of a channel: send one rendered row by a route, and say how it
went in neutral terms. Each channel's adapter (``kla_bot/channels/<channel>/outbox.py``) maps
its own answers (Telegram's 403 and 429, the Cloud API's 131026 and 130429 …) to these
outcomes; the sender (:mod:`kla_bot.outbox_sender`) decides what each means for the row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from kla_bot.domain import Channel
from kla_bot.pacing import Pacer
from kla_bot.services.delivery import Claimed
from kla_bot.services.outbox_kinds import OutboxKind
from kla_bot.services.routes import Route


class RenderedMessage(Protocol):
    """A row rendered by its kind's renderer (``handlers.registry.Rendered``): catalog HTML,
    button rows of (label, data), and maybe an evidence file from the store."""

    @property
    def text(self) -> str: ...
    @property
    def buttons(self) -> list[list[tuple[str, str]]]: ...
    @property
    def evidence_key(self) -> str | None: ...
    @property
    def evidence_name(self) -> str | None: ...
    @property
    def evidence_file_id(self) -> str | None: ...
    @property
    def evidence_file_kind(self) -> str | None: ...


# Every outbox kind's renderer (the features' tables, collected by handlers).
RendererTable = Mapping[OutboxKind, Callable[[Any, Any], RenderedMessage]]


@dataclass(frozen=True)
class Sent:
    """Delivered: the channel's message id(s), and the template it went as (WhatsApp)."""

    message_ids: Sequence[str]
    template: str | None = None


@dataclass(frozen=True)
class FloodWait:
    """The channel asks to slow down. ``everyone``: the whole channel pauses (a bot-wide or
    number-wide limit); otherwise only this recipient waits (WhatsApp's per-user pair limit).
    Never counted as an attempt; nothing is dropped."""

    seconds: float
    error: str
    everyone: bool = True


@dataclass(frozen=True)
class Transient:
    """5xx, a time-out, a network error: try again with back-off while the row is useful."""

    error: str


@dataclass(frozen=True)
class Failed:
    """A permanent answer (or a bug): the row ends ``failed`` with the cause."""

    error: str


@dataclass(frozen=True)
class Unreachable:
    """This channel cannot reach the recipient (blocked the bot, not a WhatsApp user)."""

    reason: str


@dataclass(frozen=True)
class WaitForWindow:
    """WhatsApp, outside the 24-hour window, and the kind has no template: held until the
    member writes again."""

    error: str


Outcome = Sent | FloodWait | Transient | Failed | Unreachable | WaitForWindow


class ChannelOutbox(Protocol):
    """One channel's side of the outbox sender."""

    @property
    def channel(self) -> Channel: ...

    @property
    def pacer(self) -> Pacer | None:
        """The channel's pacing (None: unpaced, e.g. in tests on a manual clock)."""
        ...

    async def send(self, row: Claimed, route: Route, rendered: RenderedMessage) -> Outcome:
        """Send one row by ``route``; map every answer of the channel to an outcome (an
        unexpected exception is taken as a bug: the row fails, the queue goes on)."""
        ...
