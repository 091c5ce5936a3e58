"""Private-only commands asked in a group are answered in the asker's private chat.

Everyone in a group reads what the bot posts there, so an answer that names people, phone
numbers or someone's own files (``Command.private``) goes to the asker alone; the group only
hears where the answer went, or that the asker should open a private chat with the bot first.
"""

from __future__ import annotations

from handlers.group import tell_stranger
from handlers.registry import Command
from kla_bot.conversation.inputs import Place
from kla_bot.conversation.replies import ChannelRefused
from kla_bot.conversation.turn import Turn
from kla_bot.services.members import by_who


async def private_place(turn: Turn) -> Place | None:
    """The asker's private chat on this channel, when they are a reachable member."""
    deps = turn.deps
    async with deps.db.transaction() as session:
        member = await by_who(session, deps.workspace, turn.who)
    if member is None or not member.reachable:
        return None
    if turn.who.channel != "telegram":  # one chat per person there: the address is it
        return Place(turn.who.channel, turn.who.address)
    return Place("telegram", str(member.chat_id)) if member.chat_id is not None else None


async def answer_privately(turn: Turn, command: Command) -> None:
    """Run ``command`` as if it had been sent in the asker's private chat."""
    t = await turn.translator()
    target = await private_place(turn)
    if target is None and await tell_stranger(turn):  # not registered: told once, not more
        return
    if target is None:
        await turn.reply(t("privacy.open_private", bot=turn.port.bot_name))
        return
    try:
        await command.run(turn.moved_to(target))
    except ChannelRefused:  # they blocked the bot or never pressed Start: nothing reached them
        await turn.reply(t("privacy.open_private", bot=turn.port.bot_name))
        return
    await turn.reply(t("privacy.sent_privately"))
