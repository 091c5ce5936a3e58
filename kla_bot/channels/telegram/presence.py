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
    """Mark the sender reachable again if they were not (one read otherwise)."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or chat.type != ChatType.PRIVATE:
        return
    status = update.my_chat_member.new_chat_member.status if update.my_chat_member else None
    if status in (ChatMember.BANNED, ChatMember.LEFT):  # that update *is* the block
        return
    deps = await context.deps.for_regency(
        await context.deps.regencies.of_sender(Who.telegram(user.id), None))
    async with deps.db.transaction() as session:
        await registration.reachable_again(session, deps.workspace, telegram_user_id=user.id,
                                           chat_id=chat.id, now=deps.clock.now(),
                                           via=_via(update))


HANDLER = TypeHandler(Update, seen)
