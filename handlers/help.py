"""``/bantuan`` (``/help``): what the asking user can do here, by role."""

from __future__ import annotations

from handlers.registry import Command, Feature
from kla_bot.conversation.turn import Turn
from kla_bot.i18n import Raw, Translator
from kla_bot.services import registration


def commands_for(role: str | None) -> list[Command]:
    """The commands of the registration table a user of ``role`` (None: stranger) may use."""
    from handlers import FEATURES  # the table imports this module

    return [command for feature in FEATURES for command in feature.commands
            if command.in_menu and command.offered_to(role)]


def help_text(t: Translator, role: str | None, limit_mb: int) -> str:
    """The help for one role, in the user's language."""
    english = t.lang == "en"
    lines = [t(f"help.title_{role}" if role else "help.title_stranger"), ""]
    for command in commands_for(role):
        first, other = ((command.alias, command.name) if english and command.alias
                        else (command.name, command.alias))
        alias = Raw(t("help.alias", alias=other)) if other else ""
        mark = t("help.private_mark") if command.private else ""
        lines.append(t("help.command", name=first, alias=alias, text=t(command.menu_key)) + mark)
    if role is not None:
        lines += ["", t("help.evidence", limit_mb=limit_mb)]
    lines += ["", t("help.groups"), t("help.private_note")]
    return "\n".join(lines)


async def help_command(turn: Turn) -> None:
    """Explain what this user can do: their role's commands, sending evidence, groups."""
    deps = turn.deps
    async with deps.db.transaction() as session:
        member = await registration.who_is(session, deps.workspace, turn.who)
    t = turn.translator_for(member.language if member else None)
    await turn.reply(help_text(t, member.role if member else None,
                               deps.settings.storage.max_file_mb))


FEATURE = Feature(
    name="help",
    commands=(Command("bantuan", "help", help_command, "menu.bantuan"),),
)
