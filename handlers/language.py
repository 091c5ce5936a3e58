"""``/bahasa`` (``/language``): a member chooses Indonesian or English for the bot's texts."""

from __future__ import annotations

from handlers.registry import Command, Feature, Press
from kla_bot.conversation.turn import Turn
from kla_bot.i18n import LANGUAGES, Translator
from kla_bot.services.language import (
    LanguageChoice,
    UnknownLanguage,
    choose_language,
    current_language,
)

CALLBACK_PREFIX = "lang:"


def _buttons(t: Translator) -> list[list[tuple[str, str]]]:
    return [[(t(f"language.name_{lang}"), f"{CALLBACK_PREFIX}{lang}") for lang in LANGUAGES]]


async def language_command(turn: Turn) -> None:
    """Show the current language with a button per language; ``/bahasa en`` switches at once."""
    deps = turn.deps
    wanted = turn.args[0].lower() if turn.args else None
    try:
        async with deps.db.transaction() as session:
            if wanted is None:
                choice = await current_language(session, deps.workspace, turn.who)
            else:
                choice = await choose_language(session, deps.workspace, turn.who, wanted)
    except UnknownLanguage as exc:
        await turn.reply((await turn.translator())(exc.key))
        return
    t = turn.translator_for(choice.stored)
    if not choice.registered:
        await turn.reply(t("language.unregistered"))
    elif wanted is not None:
        await turn.reply(t("language.changed"))
    else:
        await turn.reply(t("language.choose", current=t(f"language.name_{t.lang}")),
                         _buttons(t))


async def language_pressed(turn: Turn) -> None:
    """Switch to the pressed language and confirm in it (the button data is re-checked)."""
    deps = turn.deps
    wanted = (turn.inbound.press or "").removeprefix(CALLBACK_PREFIX)
    try:
        async with deps.db.transaction() as session:
            choice: LanguageChoice = await choose_language(session, deps.workspace, turn.who,
                                                           wanted)
    except UnknownLanguage as exc:
        await turn.tell((await turn.translator())(exc.key))
        return
    t = turn.translator_for(choice.stored)
    if not choice.registered:
        await turn.tell(t("language.unregistered"))
        return
    await turn.ack()
    await turn.show(t("language.changed"))


FEATURE = Feature(
    name="language",
    commands=(Command("bahasa", "language", language_command, "menu.bahasa"),),
    presses=(Press(CALLBACK_PREFIX, language_pressed),),
)
