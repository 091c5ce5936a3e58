"""What a feature contributes to the bot: commands, other handlers, outbox renderers, jobs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from telegram import Update
from telegram.ext import Application, BaseHandler

from handlers.context import KlaContext
from kla_bot.i18n import Translator
from kla_bot.services.outbox_kinds import OutboxKind, OutboxPayload

HandlerCallback = Callable[[Update, KlaContext], Coroutine[Any, Any, Any]]
KlaApplication = Application[Any, KlaContext, Any, Any, Any, Any]


@dataclass(frozen=True)
class Command:
    """A chat command: its Indonesian name, English alias, menu text (a catalog key) and who
    may use it — ``roles`` (None: every role) and ``members_only`` (meaningless before
    registering). The services enforce the roles; /bantuan just does not offer the rest.

    ``private``: the answer names people, phone numbers or someone's own files, so asked in a
    group it is sent to the asker's private chat instead (handlers.privacy)."""

    name: str
    alias: str | None
    callback: HandlerCallback
    menu_key: str
    in_menu: bool = True
    roles: frozenset[str] | None = None
    members_only: bool = False
    private: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, self.alias) if self.alias else (self.name,)

    def offered_to(self, role: str | None) -> bool:
        """Whether a user of ``role`` (None: not registered) may use this command."""
        if role is None:
            return self.roles is None and not self.members_only
        return self.roles is None or role in self.roles


@dataclass(frozen=True)
class Rendered:
    """An outbox message made ready to send: text, inline buttons (text, callback data),
    and maybe an evidence file to attach (its storage key and the name to show, and the
    Telegram file id and kind it arrived with, so it is sent without uploading it again)."""

    text: str
    buttons: list[list[tuple[str, str]]] = field(default_factory=list)
    evidence_key: str | None = None
    evidence_name: str | None = None
    evidence_file_id: str | None = None
    evidence_file_kind: str | None = None


# A Telegram renderer takes the payload type of its kind; the table's entries hold any of them.
Renderer = Callable[[Any, Translator], Rendered]
P = TypeVar("P", bound=OutboxPayload)


def renders(payload: type[P], renderer: Callable[[P, Translator], Rendered],
            ) -> tuple[OutboxKind, Renderer]:
    """A renderer table entry: the payload's kind and the renderer, which mypy checks takes
    that payload type (``dict([renders(Digest, render_digest), …])``)."""
    return payload.kind, cast(Renderer, renderer)


@dataclass(frozen=True)
class Feature:
    """One area of the bot. ``handlers`` are tried in order after all commands; ``early``
    ones before any command or handler (an early handler that takes an update raises
    ``ApplicationHandlerStop``, otherwise the update goes on to the others)."""

    name: str
    commands: tuple[Command, ...] = ()
    handlers: tuple[BaseHandler[Update, KlaContext, Any], ...] = ()
    early: tuple[BaseHandler[Update, KlaContext, Any], ...] = ()
    renderers: Mapping[OutboxKind, Renderer] = field(default_factory=dict)
    on_start: Callable[[KlaApplication], Awaitable[None]] | None = None
    on_stop: Callable[[KlaApplication], Awaitable[None]] | None = None
