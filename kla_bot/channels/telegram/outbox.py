"""The outbox sender's Telegram side: one rendered row on the wire (text, buttons, evidence
file), and Telegram's answers mapped to the sender's neutral outcomes:

* 429 → flood wait for the whole bot (``retry_after``); the rate limiter never sleeps out a
  flood wait inside an outbox send (:mod:`kla_bot.channels.telegram.rate_limit`): a wait of
  minutes would outlast the row's lease and let another worker send it too;
* 403 (blocked, deactivated, cannot initiate) or "chat not found" → unreachable;
* other 400, a migrated chat → failed; 5xx, time-outs, network errors → transient.

A row whose route names a message to ``edit`` (the group's post, updated during the day)
edits it; a message gone or too old to edit is replaced by a new one.
"""

from __future__ import annotations

import warnings
from datetime import timedelta
from functools import partial
from typing import Any

from telegram import Message
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import ExtBot
from telegram.warnings import PTBDeprecationWarning

from kla_bot.channels.telegram.evidence import send_evidence
from kla_bot.channels.telegram.port import keyboard
from kla_bot.channels.telegram.rate_limit import NO_RETRY, FloodAwareRateLimiter
from kla_bot.conversation.replies import rows
from kla_bot.deps import Deps
from kla_bot.domain import Channel
from kla_bot.outbox_channel import (
    Failed,
    FloodWait,
    Outcome,
    RenderedMessage,
    Sent,
    Transient,
    Unreachable,
)
from kla_bot.pacing import Pacer
from kla_bot.rate_budget import telegram_budget
from kla_bot.services.delivery import Claimed
from kla_bot.services.routes import Route
from kla_bot.text_fit import CAPTION_LIMIT, fits, split_text

# Short enough that one request ends within the sender's SEND_BUDGET; the sender's lease
# heartbeat covers a send of two requests.
TIMEOUTS: dict[str, Any] = {"connect_timeout": 5, "read_timeout": 10, "write_timeout": 10,
                            "pool_timeout": 3}


class TelegramOutbox:
    """Sends outbox rows with a PTB ``Bot``. Paced (one message a second per private chat,
    just under 30/s overall, for all workers together on PostgreSQL) when the bot has a rate
    limiter (most tests build it without)."""

    channel: Channel = "telegram"

    def __init__(self, bot: ExtBot[None], deps: Deps) -> None:
        self.bot = bot
        self.deps = deps
        # The limiter's pacer: one budget with the handler replies (their sends go first), on
        # PostgreSQL shared with the bot's other workers.
        limiter = bot.rate_limiter
        self.pacer: Pacer | None = (
            limiter.pacer if isinstance(limiter, FloodAwareRateLimiter)
            else Pacer(shared=telegram_budget(deps)) if limiter is not None else None)

    async def send(self, row: Claimed, route: Route, rendered: RenderedMessage) -> Outcome:
        try:
            if route.edit is not None and await edit(self.bot, int(route.chat),
                                                     int(route.edit), rendered):
                return Sent([route.edit])
            ids = await send(self.bot, self.deps, int(route.chat), rendered)
        except RetryAfter as exc:
            wait = retry_after_seconds(exc)
            return FloodWait(wait, f"429 retry after {wait}s")
        except Forbidden as exc:
            return Unreachable(forbidden_reason(exc.message))
        except BadRequest as exc:  # before NetworkError: PTB makes it a subclass
            if "chat not found" in exc.message.lower():
                return Unreachable("chat_not_found")
            return Failed(f"400 {exc.message}")
        except ChatMigrated as exc:  # a group became a supergroup: this chat id is gone
            return Failed(f"chat migrated to {exc.new_chat_id}")
        except (NetworkError, TelegramError) as exc:  # 5xx, time-outs, connection errors …
            return Transient(f"{type(exc).__name__}: {exc.message}")
        return Sent([str(i) for i in ids])


def _call_options(bot: ExtBot[None]) -> dict[str, Any]:
    """The time-outs, and — with the bot's rate limiter — no flood wait slept out inside the
    call: a 429 comes straight back, so the sender can reschedule the row instead of holding it
    past its lease."""
    if isinstance(bot.rate_limiter, FloodAwareRateLimiter):
        return {**TIMEOUTS, "rate_limit_args": NO_RETRY}
    return TIMEOUTS


async def send(bot: ExtBot[None], deps: Deps, chat_id: int, rendered: RenderedMessage) -> list[int]:
    """Send the text (with its buttons) and the attached evidence file, if any; return the
    Telegram message ids. A text too long for one message goes in parts, the buttons on the
    last one (renderers shorten their lists, so this is the rare case of one long field)."""
    markup = keyboard(rows(rendered.buttons))
    options = _call_options(bot)
    *first, last = split_text(rendered.text)
    sent = [(await bot.send_message(chat_id, part, **options)).message_id for part in first]
    if rendered.evidence_key is None:
        message = await bot.send_message(chat_id, last, reply_markup=markup, **options)
        return [*sent, message.message_id]
    key = rendered.evidence_key
    load = partial(deps.store.read, key)  # only when Telegram has no file id for it
    name = rendered.evidence_name or key.rsplit("/", 1)[-1]
    file_id, kind = rendered.evidence_file_id, rendered.evidence_file_kind
    if fits(last, CAPTION_LIMIT):
        message = await send_evidence(bot, chat_id, load, name=name, file_id=file_id,
                                      kind=kind, caption=last, reply_markup=markup, **options)
        return [*sent, message.message_id]
    # Too long for a caption: the text (with the buttons) first, the file as a reply to it.
    text_message: Message = await bot.send_message(chat_id, last, reply_markup=markup,
                                                   **options)
    # The text is out: the file may sleep out a short flood wait inside the call rather than
    # have the row (and so the text) sent again; a long wait still reschedules the row.
    file_message = await send_evidence(bot, chat_id, load, name=name, file_id=file_id,
                                       kind=kind, reply_to_message_id=text_message.message_id,
                                       **TIMEOUTS)
    return [*sent, text_message.message_id, file_message.message_id]


async def edit(bot: ExtBot[None], chat_id: int, message_id: int,
               rendered: RenderedMessage) -> bool:
    """Replace the text of a message the bot sent (the group's post updated during the day);
    False when it is gone or can no longer be edited, so the caller sends a new one."""
    try:
        await bot.edit_message_text(rendered.text, chat_id=chat_id, message_id=message_id,
                                    reply_markup=keyboard(rows(rendered.buttons)),
                                    **_call_options(bot))
    except BadRequest as exc:
        text = exc.message.lower()
        if "not modified" in text:  # the same figures: already showing
            return True
        if "not found" in text or "can't be edited" in text:
            return False
        raise
    return True


def retry_after_seconds(exc: RetryAfter) -> float:
    """How long a flood wait asks the bot to pause, in seconds."""
    with warnings.catch_warnings():  # PTB 22 warns that the int form will become a timedelta
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def forbidden_reason(message: str) -> str:
    """Why Telegram refuses to deliver to a user (a 403), as the reason we record."""
    text = message.lower()
    if "blocked" in text:
        return "blocked"
    if "deactivated" in text:
        return "deactivated"
    if "initiate" in text:
        return "cant_initiate"
    return "forbidden"
