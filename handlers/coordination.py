"""Shared plumbing of the coordinators' handlers: who is asking, refusals, small formats."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from handlers.context import KlaContext
from kla_bot.domain import Who
from kla_bot.i18n import Translator
from kla_bot.models import Member
from kla_bot.services.access import AccessDenied, Session, registered_member
from kla_bot.text_fit import CALLBACK_DATA_BYTES, label, toast

T = TypeVar("T")
Work = Callable[[Session, Member], Awaitable[T]]


async def act(update: Update, context: KlaContext, work: Work[T]) -> tuple[T | None, Translator]:
    """Run ``work`` for the registered member behind the update, in one unit of work.

    A refusal (``AccessDenied``) rolls everything back and is told to the user politely, as
    a toast for a button press and as a message otherwise; the result is then None.
    """
    deps = context.deps
    user = update.effective_user
    code = user.language_code if user else None
    lang: str | None = None
    try:
        if user is None:
            raise AccessDenied("access.not_registered")
        async with deps.db.transaction() as session:
            member = await registered_member(session, deps.workspace, Who.telegram(user.id))
            lang = member.language
            result = await work(session, member)
        return result, deps.translator(lang, code)
    except AccessDenied as refusal:
        t = deps.translator(lang, code)
        await tell(update, t(refusal.key, **refusal.params))
        return None, t


async def tell(update: Update, text: str) -> None:
    """Answer a button press with a toast, or a message with a reply."""
    if update.callback_query is not None:
        await update.callback_query.answer(toast(text), show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text)


def keyboard(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup | None:
    """Inline buttons from (label, callback data) rows; labels come from the catalogs as HTML
    like every text, and are shown as the plain text Telegram draws on a button."""
    if not rows:
        return None
    for row in rows:
        for _, data in row:
            if len(data.encode()) > CALLBACK_DATA_BYTES:
                raise ValueError(f"callback data over {CALLBACK_DATA_BYTES} bytes: {data!r}")
    return InlineKeyboardMarkup([[InlineKeyboardButton(label(text), callback_data=data)
                                  for text, data in row] for row in rows])


def local_moment(moment: datetime, context: KlaContext) -> datetime:
    """A moment in ``verification.timezone``: its date and ``{x:time}`` are what people read."""
    return moment.astimezone(context.deps.settings.tz)


def args_of(context: KlaContext) -> list[str]:
    """The words after the command."""
    return list(context.args or [])
