"""Private-only commands asked in a group are answered in the asker's private chat.

Everyone in a group reads what the bot posts there, so an answer that names people, phone
numbers or someone's own files (``Command.private``) goes to the asker alone; the group only
hears where the answer went, or that the asker should open a private chat with the bot first.
"""

from __future__ import annotations

from telegram import Chat, Message, Update
from telegram.constants import ChatType
from telegram.error import Forbidden

from handlers.context import KlaContext, user_translator
from handlers.registry import Command, HandlerCallback
from kla_bot.services.members import by_telegram_user


def dispatcher(command: Command) -> HandlerCallback:
    """The callback to register for ``command``: as is, or answering groups privately."""
    if not command.private:
        return command.callback

    async def privately(update: Update, context: KlaContext) -> None:
        chat, message = update.effective_chat, update.effective_message
        if chat is None or chat.type == ChatType.PRIVATE or message is None:
            await command.callback(update, context)
            return
        await answer_privately(update, context, command)

    return privately


async def answer_privately(update: Update, context: KlaContext, command: Command) -> None:
    """Run ``command`` as if it had been sent in the asker's private chat."""
    message, user = update.effective_message, update.effective_user
    assert message is not None
    t = await user_translator(update, context)
    deps = context.deps
    target: int | None = None
    if user is not None:
        async with deps.db.transaction() as session:
            member = await by_telegram_user(session, deps.workspace, user.id)
            if member is not None and member.reachable:
                target = member.chat_id
    if target is None:
        await message.reply_text(t("privacy.open_private", bot=context.bot.username))
        return
    try:
        await command.callback(_moved(update, message, target, context), context)
    except Forbidden:  # they blocked the bot or never pressed Start: nothing reached them
        await message.reply_text(t("privacy.open_private", bot=context.bot.username))
        return
    await message.reply_text(t("privacy.sent_privately"))


def _moved(update: Update, message: Message, chat_id: int, context: KlaContext) -> Update:
    """The same command, as if typed in the private chat ``chat_id``."""
    moved = Message(message_id=message.message_id, date=message.date,
                    chat=Chat(chat_id, ChatType.PRIVATE), from_user=message.from_user,
                    text=message.text, entities=message.entities)
    moved.set_bot(context.bot)
    return Update(update.update_id, message=moved)
