"""What a feature contributes to the bot: commands, button presses, what it reads from plain
messages (files, contacts, text), outbox renderers, start-up and shutdown hooks.

Everything here is channel-neutral: a callback takes a :class:`~kla_bot.conversation.turn.Turn`.
The Telegram adapter (:mod:`kla_bot.channels.telegram`) and the WhatsApp one feed the same
table through :func:`handlers.route.dispatch`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from typing import Any, TypeVar, cast

from kla_bot.config import Settings
from kla_bot.conversation.turn import Turn
from kla_bot.deps import Deps
from kla_bot.i18n import Translator
from kla_bot.services.outbox_kinds import OutboxKind, OutboxPayload
from kla_bot.services.regencies import scheduled_zones

log = logging.getLogger(__name__)

TurnCallback = Callable[[Turn], Coroutine[Any, Any, Any]]
# A reader of plain text: True when it took the text (nothing after it sees it).
TextReader = Callable[[Turn], Coroutine[Any, Any, bool]]


@dataclass(frozen=True)
class Command:
    """A chat command: its Indonesian name, English alias, menu text (a catalog key) and who
    may use it — ``roles`` (None: every role) and ``members_only`` (meaningless before
    registering). The services enforce the roles; /bantuan just does not offer the rest.

    ``private``: the answer names people, phone numbers or someone's own files, so asked in a
    group it is sent to the asker's private chat instead (handlers.privacy), unless
    ``in_group`` answers it there (``/status`` in the linked group: the summary only).

    ``bare``: on a channel without a command menu (WhatsApp) a message whose first word is the
    name counts as the command even without ``/``; False for everyday words that often start a
    sentence (``tambah``, ``ubah``: "Tambah tanda tangan kepala dinas" is a rejection reason,
    not a command), which then need their ``/``."""

    name: str
    alias: str | None
    run: TurnCallback
    menu_key: str
    in_menu: bool = True
    roles: frozenset[str] | None = None
    members_only: bool = False
    private: bool = False
    # Asked in a group: tried first (True: it answered there); else the ``private`` rule.
    in_group: TextReader | None = None
    bare: bool = True

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, self.alias) if self.alias else (self.name,)

    def offered_to(self, role: str | None) -> bool:
        """Whether a user of ``role`` (None: not registered) may use this command."""
        if role is None:
            return self.roles is None and not self.members_only
        return self.roles is None or role in self.roles


@dataclass(frozen=True)
class Press:
    """Button presses whose data starts with ``prefix`` (is exactly it, with ``exact``)."""

    prefix: str
    run: TurnCallback
    exact: bool = False

    def matches(self, data: str) -> bool:
        return data == self.prefix if self.exact else data.startswith(self.prefix)


@dataclass(frozen=True)
class Rendered:
    """An outbox message made ready to send: text, buttons (text, callback data), and maybe
    an evidence file to attach (its storage key and the name to show, and the Telegram file
    id and kind it arrived with, so Telegram sends it without uploading it again)."""

    text: str
    buttons: list[list[tuple[str, str]]] = field(default_factory=list)
    evidence_key: str | None = None
    evidence_name: str | None = None
    evidence_file_id: str | None = None
    evidence_file_kind: str | None = None


# A renderer takes the payload type of its kind; the table's entries hold any of them.
Renderer = Callable[[Any, Translator], Rendered]
P = TypeVar("P", bound=OutboxPayload)


def renders(payload: type[P], renderer: Callable[[P, Translator], Rendered],
            ) -> tuple[OutboxKind, Renderer]:
    """A renderer table entry: the payload's kind and the renderer, which mypy checks takes
    that payload type (``dict([renders(Digest, render_digest), …])``)."""
    return payload.kind, cast(Renderer, renderer)


# Start-up and shutdown hooks get the dependencies (whichever channels run).
Hook = Callable[[Deps], Awaitable[None]]


@dataclass(frozen=True)
class Trigger:
    """One firing rule of a job: a local time of day in ``zone`` (every regency there), or an
    interval (every regency)."""

    name: str
    when: time | timedelta
    zone: str | None = None


@dataclass(frozen=True)
class Job:
    """Work a feature wants done on a schedule, whatever channels run: at local times each
    day (``daily_at``, read from the settings) or every ``every``. The Telegram adapter runs
    it on python-telegram-bot's JobQueue, a WhatsApp-only bot on APScheduler directly
    (:mod:`kla_bot.channels.serving`); both name each trigger by :meth:`triggers`, so a
    restart replaces jobs, never adds. ``catch_up``: also run once at start (a slot missed
    earlier today). A job is idempotent: a late or double firing changes nothing. It runs
    once per regency (:meth:`run_in`), a daily one at each regency's own local times."""

    name: str
    run: Callable[[Deps], Awaitable[object]]
    daily_at: Callable[[Settings], Iterable[time]] | None = None
    every: timedelta | None = None
    catch_up: bool = False

    def triggers(self, settings: Settings, zones: Iterable[str] = ()) -> list[Trigger]:
        """Each firing rule, uniquely named: daily ones in the configured time zone and in
        each of ``zones`` (:func:`job_zones`; a name says its zone when not the configured)."""
        home = settings.verification.timezone
        at = [Trigger(f"{self.name}@{slot:%H:%M}" + ("" if zone == home else f"@{zone}"),
                      slot, zone)
              for zone in [home, *sorted(set(zones) - {home})]
              for slot in (self.daily_at(settings) if self.daily_at is not None else ())]
        every = [Trigger(self.name, self.every)] if self.every is not None else []
        return [*at, *every]

    async def run_in(self, deps: Deps, zone: str | None = None) -> None:
        """Run for every regency (those in ``zone`` only, when given); one regency's failure
        is logged and the others still run."""
        if await deps.regencies.single():
            regencies = [await deps.for_regency(None)]  # changed in chat since start?
        else:
            regencies = [here for here in await deps.each_regency()
                         if zone is None or here.settings.verification.timezone == zone]
        for here in regencies:
            try:
                await self.run(here)
            except Exception:
                log.exception("job %s failed for %s", self.name, here.workspace.regency)


async def job_zones(deps: Deps) -> list[str]:
    """The time zones daily jobs fire in besides the configured one: with several regencies,
    Indonesia's three (WIB, WITA, WIT: a regency added later is served without a restart)
    and any other a regency uses."""
    profiles = await deps.regencies.profiles()
    if len(profiles) <= 1:
        return []
    return sorted(scheduled_zones([p.timezone for p in profiles]))


@dataclass(frozen=True)
class Feature:
    """One area of the bot. ``reads_text`` readers are tried in ``FEATURES`` order after
    commands, those with ``reads_text_first`` before the others."""

    name: str
    commands: tuple[Command, ...] = ()
    presses: tuple[Press, ...] = ()
    reads_files: TurnCallback | None = None
    # Asked before any ``reads_files`` (True: it took the file): the secretariat's import
    # sheets, which would otherwise be filed as evidence.
    takes_files: TextReader | None = None
    reads_contacts: TurnCallback | None = None
    reads_text: TextReader | None = None
    reads_text_first: bool = False
    renderers: Mapping[OutboxKind, Renderer] = field(default_factory=dict)
    jobs: tuple[Job, ...] = ()
    on_start: Hook | None = None
    on_stop: Hook | None = None
