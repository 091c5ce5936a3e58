"""Replies on Telegram: HTML texts, inline keyboards, the share-contact button, edits."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)
from telegram.error import BadRequest, Forbidden
from telegram.helpers import create_deep_linked_url

from kla_bot.channels.telegram.evidence import send_evidence
from kla_bot.conversation.groups import GroupAccess
from kla_bot.conversation.inputs import IncomingFile, Place
from kla_bot.conversation.replies import Attachment, ChannelRefused, Choice, Reply
from kla_bot.files import FileSource
from kla_bot.services.intake_record import IntakeFailed
from kla_bot.text_fit import (
    CALLBACK_DATA_BYTES,
    CAPTION_LIMIT,
    fits,
    label,
    split_text,
    toast,
)

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


def keyboard(choices: tuple[tuple[Choice, ...], ...]) -> InlineKeyboardMarkup | None:
    """Inline buttons; labels are catalog HTML, shown as the plain text Telegram draws."""
    if not choices:
        return None
    for row in choices:
        for choice in row:
            if len(choice.data.encode()) > CALLBACK_DATA_BYTES:
                raise ValueError(f"callback data over {CALLBACK_DATA_BYTES} bytes: "
                                 f"{choice.data!r}")
    return InlineKeyboardMarkup([[InlineKeyboardButton(label(c.label), callback_data=c.data)
                                  for c in row] for row in choices])


def markup_of(reply: Reply) -> Markup | None:
    if reply.ask_contact is not None:
        return ReplyKeyboardMarkup([[KeyboardButton(label(reply.ask_contact),
                                                    request_contact=True)]],
                                   resize_keyboard=True, one_time_keyboard=True)
    if reply.clear_keyboard:
        return ReplyKeyboardRemove()
    return keyboard(reply.choices)


class TelegramPort:
    """The conversation's port to Telegram for one update (``query``: the press, if any)."""

    channel = "telegram"

    def __init__(self, bot: Bot, file_source: FileSource,
                 query: CallbackQuery | None = None) -> None:
        self._bot, self._files, self._query = bot, file_source, query

    @property
    def bot_name(self) -> str:
        return self._bot.username

    def invite_link(self, code: str) -> str:
        return create_deep_linked_url(self._bot.username, code)

    async def send(self, place: Place, reply: Reply) -> str:
        """Send in parts when too long (the buttons on the last), an attachment with the text
        as its caption when it fits; a 403 is ``ChannelRefused``. A missing attachment raises
        FileNotFoundError before anything is sent."""
        *first, last = split_text(reply.text)
        chat = int(place.id)
        quote = (ReplyParameters(int(reply.reply_to), allow_sending_without_reply=True)
                 if reply.reply_to else None)
        attachment = reply.attachment
        try:
            for part in first:
                await self._bot.send_message(chat, part, reply_parameters=quote)
            if attachment is not None and fits(last, CAPTION_LIMIT):
                sent = await self._attach(chat, attachment, caption=last,
                                          reply_markup=markup_of(reply), reply_parameters=quote)
                return str(sent.message_id)
            sent = await self._bot.send_message(chat, last, reply_parameters=quote,
                                                reply_markup=markup_of(reply))
            if attachment is not None:
                await self._attach(chat, attachment,
                                   reply_parameters=ReplyParameters(sent.message_id))
        except Forbidden as exc:
            raise ChannelRefused(exc.message) from exc
        return str(sent.message_id)

    async def _attach(self, chat: int, attachment: Attachment, **options: Any) -> Message:
        message = await self._attach_file(chat, attachment, **options)
        if attachment.sent is not None:
            sent = message.photo[-1] if message.photo else message.document
            attachment.sent.telegram_file_id = sent.file_id if sent is not None else None
        return message

    async def _attach_file(self, chat: int, attachment: Attachment, **options: Any) -> Message:
        if attachment.data is not None:
            if attachment.photo:
                if attachment.telegram_file_id:  # the same picture again: no upload
                    with contextlib.suppress(BadRequest):  # an id Telegram no longer knows
                        return await self._bot.send_photo(chat, attachment.telegram_file_id,
                                                          **options)
                return await self._bot.send_photo(chat, attachment.data, **options)
            return await self._bot.send_document(chat, attachment.data,
                                                 filename=attachment.name, **options)
        source = attachment.path or attachment.load
        if source is None:
            raise ValueError("an attachment needs a path, data or a loader")
        return await send_evidence(self._bot, chat, source, name=attachment.name,
                                   file_id=attachment.telegram_file_id,
                                   kind=attachment.telegram_kind, **options)

    async def remove_choices(self, place: Place, message_ref: str) -> None:
        # Already without buttons, deleted, or a chat that blocked the bot: nothing to take off.
        with contextlib.suppress(BadRequest, Forbidden):
            await self._bot.edit_message_reply_markup(int(place.id), int(message_ref),
                                                      reply_markup=None)

    async def edit(self, place: Place, message_ref: str, reply: Reply) -> str:
        try:
            await self._bot.edit_message_text(reply.text, chat_id=int(place.id),
                                              message_id=int(message_ref),
                                              reply_markup=keyboard(reply.choices))
        except BadRequest as exc:
            if "not modified" not in exc.message.lower():
                raise
        return message_ref

    async def group_access(self, place: Place) -> GroupAccess:
        """getMe (privacy mode: ``can_read_all_group_messages``), getChatMember (admin?)."""
        me = await self._bot.get_me()
        member = await self._bot.get_chat_member(int(place.id), me.id)
        chat = await self._bot.get_chat(int(place.id))
        return GroupAccess(title=chat.title or place.id,
                           reads_all=bool(me.can_read_all_group_messages),
                           admin=member.status in ("administrator", "creator"))

    async def answer_press(self, text: str | None = None, *, alert: bool = False) -> None:
        if self._query is not None:
            await self._query.answer(toast(text) if text else None, show_alert=alert)

    async def download(self, file: IncomingFile) -> AsyncIterator[bytes]:
        telegram_file = await self._bot.get_file(file.file_id)
        if not telegram_file.file_path:
            raise IntakeFailed("no file_path from getFile")
        async for chunk in self._files.stream(telegram_file.file_path):
            yield chunk
