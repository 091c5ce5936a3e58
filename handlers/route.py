"""Which feature takes an input: the one routing rule for every channel.

A button press goes to the feature whose prefix it carries (malformed or unclaimed presses are
answered "no longer valid"); a command to its feature (answered privately when asked in a
group and it names people: :mod:`handlers.privacy`); a contact, a file or plain text to the
features that read them, in ``FEATURES`` order. On a channel without a command menu
(WhatsApp) a private message whose first word is a command name counts as that command, so
"tugas" works like "/tugas" (not for commands that are everyday words, ``Command.bare``).
"""

from __future__ import annotations

from dataclasses import replace

from handlers import FEATURES, privacy
from handlers.buttons import stale, well_formed
from handlers.registry import Command, TextReader
from kla_bot.conversation.turn import Turn
from kla_bot.phones import try_normalize_sent_phone

MENU_CHANNELS = frozenset({"telegram"})


def commands() -> list[Command]:
    return [command for feature in FEATURES for command in feature.commands]


def command_named(name: str) -> Command | None:
    wanted = name.lower()
    return next((c for c in commands() if wanted in c.names), None)


def text_readers() -> list[TextReader]:
    first = [f.reads_text for f in FEATURES if f.reads_text and f.reads_text_first]
    rest = [f.reads_text for f in FEATURES if f.reads_text and not f.reads_text_first]
    return [*first, *rest]


async def dispatch(turn: Turn) -> None:
    """Run the handler for this input (or the polite answer when none takes it), in the
    sender's regency."""
    turn = await in_senders_regency(turn)
    inbound = turn.inbound
    if inbound.press is not None:
        await _press(turn, inbound.press)
        return
    name, args = inbound.command, inbound.args
    if name is None and inbound.text and inbound.private and inbound.file is None and (
            turn.place.channel not in MENU_CHANNELS):
        first, *rest = inbound.text.split()
        found = command_named(first.lstrip("/"))
        if found is not None and (found.bare or first.startswith("/")):
            name, args = first.lstrip("/"), tuple(rest)
    if name is not None:
        await _command(turn, name, args)
        return
    if inbound.contact is not None:
        for feature in FEATURES:
            if feature.reads_contacts is not None and inbound.private:
                await feature.reads_contacts(turn)
                return
        return
    if inbound.file is not None:
        for feature in FEATURES:
            if feature.takes_files is not None and await feature.takes_files(turn):
                return
        for feature in FEATURES:
            if feature.reads_files is not None:
                await feature.reads_files(turn)
                return
        return
    if inbound.text:
        for reader in text_readers():
            if await reader(turn):
                return


async def in_senders_regency(turn: Turn) -> Turn:
    """The turn with the dependencies of the sender's regency: a member's, a linked group's,
    or for a newcomer the one listing the phone they share or the invite they use (the
    configured regency when nothing says, or when the deployment has one)."""
    inbound = turn.inbound
    phone = try_normalize_sent_phone(inbound.contact.phone) if inbound.contact else None
    code = inbound.args[0] if inbound.command == "start" and inbound.args else None
    regency_id = await turn.deps.regencies.regency_of(
        turn.who, None if inbound.private else turn.place.id, phone=phone, code=code)
    return replace(turn, deps=await turn.deps.for_regency(regency_id))


async def _press(turn: Turn, data: str) -> None:
    if well_formed(data):
        for feature in FEATURES:
            for press in feature.presses:
                if press.matches(data):
                    await press.run(turn)
                    return
    await stale(turn)


async def _command(turn: Turn, name: str, args: tuple[str, ...]) -> None:
    command = command_named(name)
    if command is None:
        if turn.inbound.private:
            await turn.reply((await turn.translator())("common.unknown_command"))
        return
    turn = replace(turn, inbound=replace(turn.inbound, command=command.name, args=args))
    if not turn.inbound.private and command.in_group is not None and await command.in_group(
            turn):
        return
    if command.private and not turn.inbound.private:
        await privacy.answer_privately(turn, command)
        return
    await command.run(turn)
