"""Typed dependencies shared by handlers and jobs (no string lookups in ``bot_data``)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from kla_bot.clock import Clock
from kla_bot.comebacks import Comebacks
from kla_bot.config import Settings
from kla_bot.db import Database
from kla_bot.domain import Who
from kla_bot.files import FileSource, HttpFileSource
from kla_bot.i18n import Translator, resolve_language, translator
from kla_bot.leader import AlwaysLeader, Leadership
from kla_bot.regency_directory import RegencyDirectory
from kla_bot.services.members import language_of
from kla_bot.services.regencies import RegencyProfile
from kla_bot.services.workspace import Workspace, ensure_workspace
from kla_bot.status_charts import StatusCharts
from kla_bot.storage import EvidenceStore, open_store


@dataclass
class Deps:
    settings: Settings
    clock: Clock
    db: Database
    workspace: Workspace
    file_source: FileSource
    charts: StatusCharts = field(default_factory=StatusCharts)  # /status pictures, cached
    # Whether this worker runs the reminder jobs (several workers: one leads, kla_bot.leader).
    leader: Leadership = field(default_factory=AlwaysLeader)

    @property
    def storage_dir(self) -> Path:
        """The local folder of the store (the files themselves, or the temp files only when
        they are kept in a bucket): read evidence through ``store``, never from here."""
        return Path(self.settings.storage.path)

    @cached_property
    def store(self) -> EvidenceStore:
        """The evidence store the configuration names (one per process: its client is
        reused)."""
        return open_store(self.settings.storage)

    @cached_property
    def regencies(self) -> RegencyDirectory:
        """The deployment's regencies (shared by every regency's copy of these deps)."""
        return RegencyDirectory(self.db, self.settings, self.workspace.regency_id)

    @cached_property
    def comebacks(self) -> Comebacks:
        """Who is unreachable on Telegram, as this worker knows it (shared like
        ``regencies``)."""
        return Comebacks(self.db)

    def in_regency(self, profile: RegencyProfile) -> Deps:
        """These dependencies as one regency sees them: its workspace and settings."""
        here = replace(self, settings=self.regencies.settings_for(profile),
                       workspace=profile.workspace)
        # One directory, one list of comebacks, one store client for the whole worker.
        here.__dict__["regencies"] = self.regencies
        here.__dict__["comebacks"] = self.comebacks
        if "store" in self.__dict__:
            here.__dict__["store"] = self.store
        return here

    async def for_regency(self, regency_id: int | None) -> Deps:
        """The dependencies of regency ``regency_id`` with its settings as the directory has
        them now (changed in chat since these were made?); for None, an unknown regency or
        their own, these — themselves when nothing changed."""
        profile = await self.regencies.profile(self.workspace.regency_id
                                               if regency_id is None else regency_id)
        if profile is None:
            return await self.for_regency(None) if regency_id is not None else self
        return self if self._shows(profile) else self.in_regency(profile)

    def _shows(self, profile: RegencyProfile) -> bool:
        """Whether these dependencies hold ``profile``'s settings already (its verification
        keys and holidays; the rest of the configuration is left as it is)."""
        fresh = self.regencies.settings_for(profile)
        return fresh is self.settings or (
            self.workspace == profile.workspace
            and self.settings.verification == fresh.verification
            and self.settings.reminders.holidays == fresh.reminders.holidays)

    async def each_regency(self) -> list[Deps]:
        """One copy per regency of the deployment, for the jobs."""
        return [self.in_regency(p) for p in await self.regencies.profiles()]

    def translator(self, stored: str | None, telegram_code: str | None = None) -> Translator:
        """Texts in a member's language (their choice, their Telegram language, the default)."""
        return translator(resolve_language(stored, telegram_code, self.settings.bot.language))

    async def user_translator(self, who: Who | None, app_code: str | None) -> Translator:
        """Texts for whoever sent an update, honouring a registered member's /bahasa choice
        (``app_code``: the language their app reports, if any)."""
        stored = None
        if who is not None:
            async with self.db.lone_read() as session:  # language_of is one SELECT
                stored = await language_of(session, self.workspace, who)
        return self.translator(stored, app_code)


async def create_deps(settings: Settings, clock: Clock, *, file_source: FileSource | None = None,
                      migrate: bool = True) -> Deps:
    """Open the database (applying migrations), and find this deployment's regency and cycle."""
    db = Database(settings.database.url, settings.database.connections)
    if migrate:
        await db.upgrade()
    async with db.transaction() as session:
        workspace = await ensure_workspace(session, settings, clock)
    source = file_source or HttpFileSource(settings.bot.base_file_url, settings.bot.token)
    deps = Deps(settings=settings, clock=clock, db=db, workspace=workspace, file_source=source)
    # The configured regency as the database has it (settings changed in chat included).
    return deps.in_regency(await deps.regencies.home())
