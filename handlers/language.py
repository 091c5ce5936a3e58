"""``/bahasa`` (``/language``): a member chooses Indonesian or English for the bot's texts."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from handlers.context import KlaContext, user_translator
from handlers.coordination import keyboard
from handlers.registry import Command, Feature
from kla_bot.domain import Who
from kla_bot.i18n import LANGUAGES, Translator
from kla_bot.services.language import (
    LanguageChoice,
    UnknownLanguage,
    choose_language,
    current_language,
)
from kla_bot.text_fit import toast

CALLBACK_PREFIX = "lang:"


def _keyboard(t: Translator) -> InlineKeyboardMarkup | None:
    return keyboard([[(t(f"language.name_{lang}"), f"{CALLBACK_PREFIX}{lang}")
                      for lang in LANGUAGES]])


async def language_command(update: Update, context: KlaContext) -> None:
    """Show the current language with a button per language; ``/bahasa en`` switches at once."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    deps = context.deps
    wanted = context.args[0].lower() if context.args else None
    try:
        async with deps.db.transaction() as session:
            if wanted is None:
                choice = await current_language(session, deps.workspace, Who.telegram(user.id))
            else:
                choice = await choose_language(session, deps.workspace,
                                               Who.telegram(user.id), wanted)
    except UnknownLanguage as exc:
        await message.reply_text((await user_translator(update, context))(exc.key))
        return
    t = deps.translator(choice.stored, user.language_code)
    if not choice.registered:
        await message.reply_text(t("language.unregistered"))
    elif wanted is not None:
        await message.reply_text(t("language.changed"))
    else:
        await message.reply_text(t("language.choose", current=t(f"language.name_{t.lang}")),
                                 reply_markup=_keyboard(t))


async def language_pressed(update: Update, context: KlaContext) -> None:
    """Switch to the pressed language and confirm in it (the button data is re-checked)."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    deps = context.deps
    wanted = (query.data or "").removeprefix(CALLBACK_PREFIX)
    try:
        async with deps.db.transaction() as session:
            choice: LanguageChoice = await choose_language(
                session, deps.workspace, Who.telegram(user.id), wanted)
    except UnknownLanguage as exc:
        await query.answer(toast((await user_translator(update, context))(exc.key)),
                           show_alert=True)
        return
    t = deps.translator(choice.stored, user.language_code)
    if not choice.registered:
        await query.answer(toast(t("language.unregistered")), show_alert=True)
        return
    await query.answer()
    await query.edit_message_text(t("language.changed"))


FEATURE = Feature(
    name="language",
    commands=(Command("bahasa", "language", language_command, "menu.bahasa"),),
    handlers=(CallbackQueryHandler(language_pressed, pattern=rf"^{CALLBACK_PREFIX}"),),
)
