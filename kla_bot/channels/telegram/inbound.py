"""Telegram updates as neutral inputs, and the one handler that feeds them to the router."""

from __future__ import annotations

import re

from telegram import Bot, Message, MessageEntity, Update
from telegram.constants import ChatType

from handlers.route import dispatch
from kla_bot.channels.telegram.context import KlaContext
from kla_bot.conversation.inputs import ContactIn, Inbound, IncomingFile, Place
from kla_bot.conversation.turn import Turn
from kla_bot.domain import Who

__all__ = ["inbound_from", "on_update"]


def _incoming(message: Message) -> IncomingFile | None:
    if message.document is not None:
        d = message.document
        return IncomingFile(d.file_id, d.file_unique_id, "document", d.file_name, d.file_size,
                            message.media_group_id, d.mime_type)
    if message.photo:
        p = max(message.photo, key=lambda size: (size.width * size.height, size.file_size or 0))
        return IncomingFile(p.file_id, p.file_unique_id, "photo", None, p.file_size,
                            message.media_group_id)
    return None


def _command(message: Message) -> tuple[str, str, tuple[str, ...]] | None:
    """``(name, addressee, args)`` of a command (``/tugas@kla_bot a b``), else None."""
    text = message.text or ""
    entity = message.entities[0] if message.entities else None
    if entity is None or entity.type != MessageEntity.BOT_COMMAND or entity.offset != 0:
        return None
    name, _, target = text[1:entity.length].partition("@")
    return name.lower(), target.lower(), tuple(text[entity.length:].split())


def _choices(message: Message | None) -> tuple[str, ...]:
    markup = message.reply_markup if message is not None else None
    if markup is None:
        return ()
    return tuple(str(button.callback_data) for row in markup.inline_keyboard for button in row
                 if button.callback_data is not None)


def inbound_from(update: Update, bot: Bot) -> Inbound | None:
    """The neutral input of a message or button press (None: nothing for the features)."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or update.channel_post or update.edited_channel_post:
        return None
    who, place = Who.telegram(user.id), Place("telegram", str(chat.id),
                                              private=chat.type == ChatType.PRIVATE)
    query = update.callback_query
    if query is not None:
        return Inbound(who, place, user.first_name, user.language_code, press=query.data or "",
                       message_ref=str(query.message.message_id) if query.message else None)
    message = update.effective_message
    if message is None:
        return None
    command = _command(message)
    if command is not None and command[1] not in ("", bot.username.lower()):
        return None  # a command for another bot in the group
    reply = message.reply_to_message
    text = message.text or message.caption
    contact = message.contact
    return Inbound(
        who, place, user.first_name, user.language_code, text=text,
        command=command[0] if command else None, args=command[2] if command else (),
        file=_incoming(message),
        contact=ContactIn(contact.phone_number,
                          str(contact.user_id) if contact.user_id else None) if contact else None,
        reply_to=str(reply.message_id) if reply else None,
        reply_to_bot=bool(reply and reply.from_user and reply.from_user.id == bot.id),
        reply_to_choices=_choices(reply),
        mentions_bot=re.search(rf"@{re.escape(bot.username)}\b", text or "",
                               re.IGNORECASE) is not None,
        message_ref=str(message.message_id))


async def on_update(update: Update, context: KlaContext) -> None:
    """Every update: to the router as a neutral input, answered through Telegram."""
    from kla_bot.channels.telegram.port import TelegramPort

    inbound = inbound_from(update, context.bot)
    if inbound is None:
        return
    deps = context.deps
    port = TelegramPort(context.bot, deps.file_source, update.callback_query)
    await dispatch(Turn(deps, port, inbound))
