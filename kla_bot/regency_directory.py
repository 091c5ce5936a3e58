"""Which regency an update, a job or a message belongs to, and that regency's settings.

Every service is given one regency's :class:`~kla_bot.services.workspace.Workspace` and
:class:`~kla_bot.config.Settings` (its verification day, time zone, target, holidays): the
configuration's keys for everything else. This directory reads the regencies from the database
and keeps them for :data:`FRESH_FOR` seconds, so an update costs no query for them; a change
made in this worker is seen at once (:meth:`RegencyDirectory.forget`), one made in another
worker within that time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date

from kla_bot.config import Settings
from kla_bot.db import Database
from kla_bot.domain import Who
from kla_bot.services import regencies
from kla_bot.services.regencies import RegencyProfile

FRESH_FOR = 30.0  # seconds a worker trusts its copy of the regencies' settings


class RegencyDirectory:
    """The deployment's regencies (one of them the configured one, ``home_id``)."""

    def __init__(self, db: Database, base: Settings, home_id: int, *,
                 now: Callable[[], float] = time.monotonic) -> None:
        self.db, self.base, self.home_id, self._now = db, base, home_id, now
        self._profiles: dict[int, RegencyProfile] = {}
        self._read_at = float("-inf")
        self._senders: dict[Who, int] = {}
        self._settings: dict[RegencyProfile, Settings] = {}

    async def profiles(self) -> list[RegencyProfile]:
        """Every regency with an active cycle, by name (read again when stale)."""
        if self._now() - self._read_at > FRESH_FOR:
            async with self.db.transaction() as session:
                found = await regencies.all_profiles(session)
            self._profiles = {p.regency_id: p for p in found}
            self._read_at = self._now()
        return list(self._profiles.values())

    async def profile(self, regency_id: int) -> RegencyProfile | None:
        await self.profiles()
        if regency_id not in self._profiles:  # added since (another worker, the CLI)
            self.forget()
            await self.profiles()
        return self._profiles.get(regency_id)

    async def home(self) -> RegencyProfile:
        found = await self.profile(self.home_id)
        if found is None:
            raise LookupError(f"the configured regency {self.home_id} has no active cycle")
        return found

    async def single(self) -> bool:
        """Whether the deployment serves one regency (nothing to look up per update)."""
        return len(await self.profiles()) <= 1

    async def of_sender(self, who: Who, chat: str | None) -> int | None:
        """The regency of a member (remembered: a member never moves) or of a linked group;
        with one regency, that one (no query)."""
        if await self.single():
            return self.home_id
        if who in self._senders:
            return self._senders[who]
        async with self.db.lone_read() as session:  # one or two SELECTs, each on its own
            found = await regencies.of_sender(session, who, chat)
        if found is not None and chat is None:
            self._senders[who] = found
        return found

    async def learn_senders(self) -> None:
        """Know every registered member's regency now (a worker starting up), so a member's
        first update after a start costs no query for it; one who registers later is looked
        up once, as before. Nothing to learn with one regency."""
        if await self.single():
            return
        async with self.db.lone_read() as session:
            self._senders.update(await regencies.all_senders(session))

    async def regency_of(self, who: Who, chat: str | None, *, phone: str | None = None,
                         code: str | None = None) -> int | None:
        """The regency an input belongs to: its sender's (a member's, else a linked group's);
        for a newcomer writing privately, the one their ``phone`` or invite ``code`` names;
        None when nothing says (the configured regency then)."""
        found = await self.of_sender(who, chat)
        if found is None and chat is None and (phone or code):
            found = await self.of_stranger(phone=phone, code=code)
        return found

    async def of_stranger(self, *, phone: str | None, code: str | None) -> int | None:
        """The regency a newcomer registers in: the one that lists their phone (when just
        one does), else the one of the invite code they sent."""
        async with self.db.lone_read() as session:
            return await regencies.of_stranger(session, phone=phone, code=code)

    def forget(self) -> None:
        """Read the settings again on next use (this worker changed them)."""
        self._read_at = float("-inf")

    def settings_for(self, profile: RegencyProfile) -> Settings:
        """The configuration as this regency sees it: its own verification keys and regional
        holidays (the configured regency keeps ``[reminders] holidays`` too)."""
        if profile not in self._settings:
            holidays: set[date] = set(profile.holidays)
            if profile.regency_id == self.home_id:
                holidays |= set(self.base.reminders.holidays)
            self._settings[profile] = self.base.replace(
                verification=profile.as_settings(), reminders={"holidays": sorted(holidays)})
        return self._settings[profile]
