"""The application as built by the one factory: menu per language, unknown commands."""

from __future__ import annotations

from kla_bot.channels.telegram.application import all_commands
from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.standin import BotApiStandin, deliver


async def test_menu_is_registered_in_both_languages(bot: KlaApplication,
                                                    standin: BotApiStandin) -> None:
    indonesian = standin.commands_for(language_code="")
    english = standin.commands_for(language_code="en")
    menu = [c for c in all_commands() if c.in_menu]
    assert indonesian == [c.name for c in menu]
    assert english == [c.alias or c.name for c in menu]
    assert "tugas" in indonesian and "tasks" in english


async def test_unknown_command_points_to_help(bot: KlaApplication,
                                              standin: BotApiStandin) -> None:
    chat = standin.add_user("Ayu", language_code="en").private
    await deliver(bot, chat.send("/frobnicate"))
    assert "/help" in chat.last_text()
