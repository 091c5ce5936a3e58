"""One outbox message on the wire: render it, send it (text, buttons, evidence file), and read
Telegram's refusals. The outbox sender decides what to do with each outcome."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from telegram import Message
from telegram.error import RetryAfter
from telegram.warnings import PTBDeprecationWarning

from handlers.rate_limit import NO_RETRY, FloodAwareRateLimiter
from handlers.registry import KlaApplication, Rendered, Renderer
from kla_bot.channels.telegram.evidence import send_evidence
from kla_bot.channels.telegram.port import keyboard
from kla_bot.conversation.replies import rows
from kla_bot.deps import Deps
from kla_bot.services.delivery import Claimed
from kla_bot.services.outbox_kinds import OutboxKind
from kla_bot.storage import evidence_path
from kla_bot.text_fit import CAPTION_LIMIT, fits, split_text

log = logging.getLogger(__name__)

# Short enough that one request ends within outbox_sender.SEND_BUDGET; the sender's lease
# heartbeat covers a send of two requests.
TIMEOUTS: dict[str, Any] = {"connect_timeout": 5, "read_timeout": 10, "write_timeout": 10,
                            "pool_timeout": 3}


def _call_options(app: KlaApplication) -> dict[str, Any]:
    """The time-outs, and — with the bot's rate limiter — no flood wait slept out inside the
    call: a 429 comes straight back, so the sender can reschedule the row instead of holding it
    past its lease."""
    if isinstance(app.bot.rate_limiter, FloodAwareRateLimiter):
        return {**TIMEOUTS, "rate_limit_args": NO_RETRY}
    return TIMEOUTS


def render(deps: Deps, table: Mapping[OutboxKind, Renderer], row: Claimed) -> Rendered:
    """The row's message in its recipient's language, by the renderer of its kind."""
    payload = row.message()
    renderer = table.get(payload.kind)
    if renderer is None:
        raise LookupError(f"no renderer for outbox kind {row.kind!r}")
    return renderer(payload, deps.translator(row.language))


async def send(app: KlaApplication, deps: Deps, chat_id: int, rendered: Rendered) -> list[int]:
    """Send the text (with its buttons) and the attached evidence file, if any; return the
    Telegram message ids. A text too long for one message goes in parts, the buttons on the
    last one (renderers shorten their lists, so this is the rare case of one long field)."""
    markup = keyboard(rows(rendered.buttons))
    options = _call_options(app)
    *first, last = split_text(rendered.text)
    sent = [(await app.bot.send_message(chat_id, part, **options)).message_id for part in first]
    if rendered.evidence_key is None:
        message = await app.bot.send_message(chat_id, last, reply_markup=markup, **options)
        return [*sent, message.message_id]
    path = evidence_path(deps.storage_dir, rendered.evidence_key)
    name = rendered.evidence_name or path.name
    file_id, kind = rendered.evidence_file_id, rendered.evidence_file_kind
    if fits(last, CAPTION_LIMIT):
        message = await send_evidence(app.bot, chat_id, path, name=name, file_id=file_id,
                                      kind=kind, caption=last, reply_markup=markup, **options)
        return [*sent, message.message_id]
    # Too long for a caption: the text (with the buttons) first, the file as a reply to it.
    text_message: Message = await app.bot.send_message(chat_id, last,
                                                       reply_markup=markup, **options)
    # The text is out: the file may sleep out a short flood wait inside the call rather than
    # have the row (and so the text) sent again; a long wait still reschedules the row.
    file_message = await send_evidence(app.bot, chat_id, path, name=name, file_id=file_id,
                                       kind=kind, reply_to_message_id=text_message.message_id,
                                       **TIMEOUTS)
    return [*sent, text_message.message_id, file_message.message_id]


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
