"""Every button press is checked here before a feature sees it, and none goes unanswered.

Callback data comes back from the client untouched by Telegram, so it may be forged: a press
whose data is not plain ASCII, or names an id beyond the database's BIGINT, is answered "this
button is no longer valid" and goes no further; a press that no feature takes gets the same.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop, CallbackQueryHandler

from handlers.context import KlaContext, user_translator
from handlers.registry import Feature

BIGINT_MAX = 2**63 - 1


def well_formed(data: object) -> bool:
    """Plain ASCII ``word:word:…`` whose numbers all fit a database id."""
    if not isinstance(data, str) or not data.isascii() or not data.isprintable():
        return False
    return all(int(part) <= BIGINT_MAX for part in data.split(":") if part.isdigit())


async def stale(update: Update, context: KlaContext) -> None:
    """Answer the press so the client stops waiting, and say the button no longer works."""
    if update.callback_query is not None:
        t = await user_translator(update, context)
        await update.callback_query.answer(t("common.stale_button"), show_alert=True)


async def _refuse_malformed(update: Update, context: KlaContext) -> None:
    await stale(update, context)
    raise ApplicationHandlerStop


FEATURE = Feature(
    name="buttons",
    early=(CallbackQueryHandler(_refuse_malformed, pattern=lambda data: not well_formed(data)),),
    handlers=(CallbackQueryHandler(stale),),  # last of all: nothing else took the press
)
