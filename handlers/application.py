"""The one factory that builds the bot: production, console and tests all use it."""

from __future__ import annotations

import html
import logging
from typing import Any

from telegram import BotCommand, BotCommandScopeDefault, Update
from telegram.constants import ParseMode
from telegram.ext import (
    ApplicationBuilder,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from handlers import FEATURES, presence
from handlers.context import BotData, KlaContext, user_translator
from handlers.privacy import dispatcher
from handlers.rate_limit import FloodAwareRateLimiter
from handlers.registry import Command, KlaApplication
from kla_bot.deps import Deps
from kla_bot.i18n import LANGUAGES, translator
from kla_bot.services.workspace import warn_if_verification_passed

log = logging.getLogger(__name__)


def all_commands() -> list[Command]:
    return [command for feature in FEATURES for command in feature.commands]


def menu_for(lang: str) -> list[BotCommand]:
    """The command menu shown by Telegram for users of ``lang``."""
    t = translator(lang)
    return [BotCommand(c.alias if lang == "en" and c.alias else c.name, t(c.menu_key))
            for c in all_commands() if c.in_menu]


def build_application(deps: Deps, *, request: BaseRequest | None = None,
                      get_updates_request: BaseRequest | None = None,
                      rate_limit: bool = True) -> KlaApplication:
    """The real ``Application`` with every handler; ``request`` swaps Telegram for a stand-in."""
    settings = deps.settings
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .token(settings.bot.token)
        .base_url(settings.bot.base_url)
        .base_file_url(settings.bot.base_file_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.tz))
        .context_types(ContextTypes(context=KlaContext, bot_data=BotData))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .concurrent_updates(True)
    )
    if rate_limit:
        # Overall ~30 msg/s and 20/min per group; a handler reply waits out a short 429 and is
        # retried, an outbox send never is (the sender reschedules the row: handlers.rate_limit).
        builder = builder.rate_limiter(FloodAwareRateLimiter(max_retries=5,
                                                             clock=deps.clock))
    if request is not None:
        builder = builder.request(request).get_updates_request(get_updates_request or request)
    app: KlaApplication = builder.build()
    app.bot_data.deps = deps
    register_handlers(app)
    return app


EARLY_GROUP = -1  # tried before every command; an early handler stops what it takes


def register_handlers(app: KlaApplication) -> None:
    """The presence check (reachable again) in a group of its own, then early handlers, then
    commands of every feature, then each feature's handlers, in ``FEATURES`` order."""
    app.add_handler(presence.HANDLER, group=presence.GROUP)
    for feature in FEATURES:
        for handler in feature.early:
            app.add_handler(handler, group=EARLY_GROUP)
    for command in all_commands():
        app.add_handler(CommandHandler(list(command.names), dispatcher(command)))
    for feature in FEATURES:
        for handler in feature.handlers:
            app.add_handler(handler)
    app.add_handler(MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, _unknown_command))
    app.add_error_handler(_on_error)


async def _post_init(app: KlaApplication) -> None:
    for lang in LANGUAGES:
        code = None if lang == app.bot_data.deps.settings.bot.language else lang
        await app.bot.set_my_commands(menu_for(lang), scope=BotCommandScopeDefault(),
                                      language_code=code)
    deps = app.bot_data.deps
    warn_if_verification_passed(deps.workspace,
                                deps.clock.now().astimezone(deps.settings.tz).date())
    for feature in FEATURES:
        if feature.on_start is not None:
            await feature.on_start(app)


async def _post_shutdown(app: KlaApplication) -> None:
    for feature in reversed(FEATURES):
        if feature.on_stop is not None:
            await feature.on_stop(app)
    await app.bot_data.deps.file_source.aclose()
    await app.bot_data.deps.db.dispose()


async def _unknown_command(update: Update, context: KlaContext) -> None:
    """Tell the user the command is unknown and point to /bantuan."""
    if update.effective_message is None:
        return
    t = await user_translator(update, context)
    await update.effective_message.reply_text(t("common.unknown_command"))


async def _on_error(update: object, context: KlaContext) -> None:
    """Log the failure (the token is redacted by the logging filter) and apologise."""
    log.error("error while handling an update: %s", html.escape(repr(context.error)),
              exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            t = await user_translator(update, context)
            await context.bot.send_message(update.effective_chat.id, t("common.error"))
        except Exception:  # the apology is best effort; the error is already logged
            log.warning("could not send the error apology")


async def start_application(app: KlaApplication, *, polling: bool) -> None:
    """Initialise, run the start-up hooks (menu, jobs, sender) and start; poll if asked."""
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    await app.start()
    if polling and app.updater is not None:
        await app.updater.start_polling(allowed_updates=Update.ALL_TYPES,
                                        drop_pending_updates=False)


async def stop_application(app: KlaApplication) -> None:
    """Stop polling, jobs and the sender; close the database."""
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    if app.post_shutdown is not None:
        await app.post_shutdown(app)
    await app.shutdown()
