"""Noticing that a member who blocked the bot is back: any update from their private chat.

Registered in a group of its own ahead of every feature
(:func:`kla_bot.channels.telegram.application.register_handlers`), so it sees every update —
a command, text, file, button press or shared contact — and only records; the update then
goes on to its feature's handler as usual.
"""

from __future__ import annotations

from telegram import ChatMember, Update
from telegram.constants import ChatType
from telegram.ext import TypeHandler

from kla_bot.channels.telegram.context import KlaContext
from kla_bot.comebacks import Sighting
from kla_bot.deps import Deps
from kla_bot.domain import Who
from kla_bot.services import registration

GROUP = -2  # before the early handlers (-1) and the features' handlers (0)


def _via(update: Update) -> str:
    message = update.effective_message
    if update.callback_query is not None:
        return "button"
    if update.my_chat_member is not None:
        return "unblocked"
    if message is None:
        return "update"
    if message.contact is not None:
        return "contact"
    if message.document is not None or message.photo:
        return "file"
    if (message.text or "").startswith("/"):
        return "command"
    return "message"


async def seen(update: Update, context: KlaContext) -> None:
    """Mark the sender reachable again if they were not (no query otherwise: ``Comebacks``)."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or chat.type != ChatType.PRIVATE:
        return
    status = update.my_chat_member.new_chat_member.status if update.my_chat_member else None
    if status in (ChatMember.BANNED, ChatMember.LEFT):  # that update *is* the block
        return
    deps = context.deps
    sighting = Sighting(deps.clock.now(), chat.id, _via(update))
    for telegram_user_id, seen_then in await deps.comebacks.sighted(user.id, sighting):
        await _reachable_again(deps, telegram_user_id, seen_then)


async def _reachable_again(deps: Deps, telegram_user_id: int, sighting: Sighting) -> None:
    """Mark them reachable in their regency (the unit of work checks again inside it)."""
    here = await deps.for_regency(
        await deps.regencies.of_sender(Who.telegram(telegram_user_id), None))
    async with here.db.transaction() as session:
        await registration.reachable_again(session, here.workspace,
                                           telegram_user_id=telegram_user_id,
                                           chat_id=sighting.chat_id, now=sighting.at,
                                           via=sighting.via)
    deps.comebacks.reachable(telegram_user_id)


HANDLER = TypeHandler(Update, seen)
