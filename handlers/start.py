"""``/start``: the welcome."""

from __future__ import annotations

from telegram import Update

from handlers.context import KlaContext
from handlers.registry import Command, Feature


async def start(update: Update, context: KlaContext) -> None:
    """Greet the user in their language."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    t = context.deps.translator(None, user.language_code)
    await message.reply_text(t("start.welcome", name=user.first_name,
                               regency=context.deps.workspace.regency))


FEATURE = Feature(
    name="start",
    commands=(Command("start", None, start, "menu.start"),),
)
