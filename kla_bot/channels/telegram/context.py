"""The typed callback context: handlers reach config, clock and database through ``deps``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from kla_bot.deps import Deps
from kla_bot.domain import Who
from kla_bot.i18n import Translator

if TYPE_CHECKING:
    from kla_bot.channels.telegram.webhook import TelegramInbox


class BotData:
    """``application.bot_data``: holds the typed dependencies."""

    def __init__(self) -> None:
        self._deps: Deps | None = None
        self.telegram_inbox: TelegramInbox | None = None  # when Telegram posts to a webhook

    @property
    def deps(self) -> Deps:
        if self._deps is None:
            raise RuntimeError("dependencies not set: build the app with build_application()")
        return self._deps

    @deps.setter
    def deps(self, value: Deps) -> None:
        self._deps = value


class KlaContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    @property
    def deps(self) -> Deps:
        return self.bot_data.deps


async def user_translator(update: object, context: KlaContext) -> Translator:
    """Texts for whoever sent ``update``: a member's /bahasa choice first, then their Telegram
    language. Refusals use it too, so nobody is answered in a language they switched away from."""
    user = update.effective_user if isinstance(update, Update) else None
    return await context.deps.user_translator(Who.telegram(user.id) if user else None,
                                              user.language_code if user else None)


# The Telegram Application: the adapter, its job queue and its outbox sender run inside it.
KlaApplication = Application[Any, KlaContext, Any, Any, BotData, Any]
