"""A member's chosen language for the bot's texts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot.domain import Who
from kla_bot.errors import Refusal
from kla_bot.i18n import LANGUAGES
from kla_bot.services.members import by_who
from kla_bot.services.workspace import Workspace


class UnknownLanguage(Refusal):
    """The requested language is not one the bot speaks."""


@dataclass(frozen=True)
class LanguageChoice:
    """The outcome of asking for a language: who (if registered) and what is now stored."""

    registered: bool
    stored: str | None


async def current_language(session: AsyncSession, workspace: Workspace,
                           who: Who) -> LanguageChoice:
    """The language a Telegram user has chosen, if they are a registered member."""
    member = await by_who(session, workspace, who)
    if member is None:
        return LanguageChoice(registered=False, stored=None)
    return LanguageChoice(registered=True, stored=member.language)


async def choose_language(session: AsyncSession, workspace: Workspace, who: Who,
                          lang: str) -> LanguageChoice:
    """Store ``lang`` for the registered member behind this account; strangers change nothing."""
    if lang not in LANGUAGES:
        raise UnknownLanguage("language.unknown", lang=lang)
    member = await by_who(session, workspace, who)
    if member is None:
        return LanguageChoice(registered=False, stored=None)
    member.language = lang
    await session.flush()
    return LanguageChoice(registered=True, stored=lang)
