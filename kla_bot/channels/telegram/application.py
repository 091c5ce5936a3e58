"""The one factory that builds the bot: production, console and tests all use it."""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from telegram import Bot, BotCommand, BotCommandScopeDefault, Update
from telegram.constants import ParseMode
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import ApplicationBuilder, ContextTypes, Defaults, TypeHandler
from telegram.helpers import create_deep_linked_url
from telegram.request import BaseRequest

from handlers import FEATURES
from handlers.registry import Command
from kla_bot.channels.telegram import presence
from kla_bot.channels.telegram.context import BotData, KlaApplication, KlaContext, user_translator
from kla_bot.channels.telegram.inbound import on_update
from kla_bot.channels.telegram.jobs import catch_up, schedule_jobs
from kla_bot.channels.telegram.rate_limit import FloodAwareRateLimiter
from kla_bot.channels.telegram.sender import runs_by_itself, start_sender, stop_sender
from kla_bot.config import ConfigError, Settings
from kla_bot.deps import Deps
from kla_bot.errors import RuntimeFailure, UserError
from kla_bot.i18n import LANGUAGES, translator
from kla_bot.logs import redact
from kla_bot.pacing import Pacer
from kla_bot.priority_budget import PriorityBudget
from kla_bot.rate_budget import telegram_tokens
from kla_bot.services.workspace import warn_if_verification_passed

log = logging.getLogger(__name__)

# Seconds between getMe attempts at start-up: a network blip is waited out, a wrong address or
# a dead network is reported in one line after about seven seconds.
CONNECT_RETRY_DELAYS: tuple[float, ...] = (1.0, 2.0, 4.0)


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
        # One budget of ~30 msg/s for handler replies and the outbox (replies first), 1/s per
        # private chat, 20/min per group; a handler reply waits out a short 429 and is
        # retried, an outbox send never is (the sender reschedules the row: see rate_limit).
        pacer = Pacer(budget=PriorityBudget(telegram_tokens(deps)))
        builder = builder.rate_limiter(FloodAwareRateLimiter(max_retries=5, clock=deps.clock,
                                                             pacer=pacer))
    if request is not None:
        builder = builder.request(request).get_updates_request(get_updates_request or request)
    app: KlaApplication = builder.build()
    app.bot_data.deps = deps
    register_handlers(app)
    return app


def register_handlers(app: KlaApplication) -> None:
    """The presence check (reachable again) in a group of its own, then one handler that
    gives every update to the channel-neutral router (:mod:`handlers.route`)."""
    app.add_handler(presence.HANDLER, group=presence.GROUP)
    app.add_handler(TypeHandler(Update, on_update))
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
            await feature.on_start(deps)
    await schedule_jobs(app)
    if runs_by_itself(deps):  # with a ManualClock a test drives jobs and sending itself
        await catch_up(app)
        start_sender(app)


async def _post_shutdown(app: KlaApplication) -> None:
    await stop_sender(app)
    for feature in reversed(FEATURES):
        if feature.on_stop is not None:
            await feature.on_stop(app.bot_data.deps)
    await app.bot_data.deps.file_source.aclose()
    await app.bot_data.deps.db.dispose()


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


async def connect(app: KlaApplication, *,
                  sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
    """Ask Telegram who we are (getMe), within a bounded retry budget; a wrong token or an
    unreachable Bot API becomes one line for the operator, without the token."""
    settings = app.bot_data.deps.settings
    for delay in (*CONNECT_RETRY_DELAYS, None):
        try:
            await app.bot.initialize()
            return
        except InvalidToken:
            raise ConfigError("token_rejected") from None  # PTB's message quotes the token
        except (NetworkError, RetryAfter) as exc:
            problem = redact(str(exc), settings.bot.token)
            if delay is None:
                raise RuntimeFailure("cli.run.unreachable",
                                     host=urlsplit(settings.bot.base_url).netloc,
                                     attempts=len(CONNECT_RETRY_DELAYS) + 1,
                                     problem=problem) from None
            log.debug("getMe failed (%s); trying again in %s s", problem, delay)
            await sleep(delay)
        except TelegramError as exc:
            raise RuntimeFailure("cli.run.api_error",
                                 problem=redact(str(exc), settings.bot.token)) from None


def polling_error_callback(on_fatal: Callable[[UserError], None]) -> Callable[[TelegramError],
                                                                               None]:
    """What a failed getUpdates means: a 409 Conflict (another poller, or a webhook) ends the
    bot with one line; anything else is logged once and retried by PTB."""

    def callback(error: TelegramError) -> None:
        if isinstance(error, Conflict):
            webhook = "webhook" in error.message.lower()
            on_fatal(RuntimeFailure("cli.run.conflict_webhook" if webhook
                                    else "cli.run.conflict_other"))
        else:
            log.warning("getUpdates failed, retrying: %s", error)

    return callback


async def start_application(app: KlaApplication, *, polling: bool,
                            on_fatal: Callable[[UserError], None] | None = None) -> None:
    """Connect, initialise, run the start-up hooks (menu, jobs, sender) and start; poll if
    asked (``on_fatal`` hears of a polling failure that must end the bot)."""
    await connect(app)
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    await app.start()
    if polling and app.updater is not None:
        await app.updater.start_polling(
            allowed_updates=Update.ALL_TYPES, drop_pending_updates=False,
            error_callback=polling_error_callback(on_fatal) if on_fatal else None)


async def stop_application(app: KlaApplication) -> None:
    """Stop polling, jobs and the sender; close the database."""
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    if app.post_shutdown is not None:
        await app.post_shutdown(app)
    await app.shutdown()


async def deep_link(settings: Settings, code: str) -> tuple[str, str]:
    """The bot's username (getMe) and its ``https://t.me/<bot>?start=<code>`` link, for the
    command line's ``invite``; one catalog line when Telegram cannot tell."""
    bot = Bot(settings.bot.token, base_url=settings.bot.base_url,
              base_file_url=settings.bot.base_file_url)
    try:
        async with bot:  # initialize() asks getMe
            return bot.username, create_deep_linked_url(bot.username, code)
    except TelegramError as exc:
        raise RuntimeFailure("cli.invite.no_link", code=code,
                             problem=redact(str(exc), settings.bot.token)) from None
