"""Replies on WhatsApp through pywa: WhatsApp text markup, reply buttons or lists, documents.

WhatsApp cannot edit a sent message or take its buttons off: an edit is a new message, and
removing choices does nothing (a stale button press is answered "no longer valid" by the
router). There is no spinner to stop on a press either: a press's alert is a message.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import httpx
from pywa_async.client import WhatsApp
from pywa_async.errors import MessageUndeliverable, ReEngagementMessage
from pywa_async.types.callback import Button, Section, SectionList, SectionRow

from kla_bot.channels.whatsapp.render import ROW_TITLE, Outgoing, outgoing, wa_text
from kla_bot.config import WhatsAppSettings
from kla_bot.conversation.inputs import IncomingFile, Place
from kla_bot.conversation.replies import Attachment, ChannelRefused, Reply
from kla_bot.i18n import Translator
from kla_bot.services.intake_record import IntakeFailed
from kla_bot.text_fit import shorten

CAPTION_LIMIT = 1024  # a media message's caption


def invite_link(number: str, code: str) -> str:
    """``https://wa.me/<digits>?text=<code>``: opens a chat with the business number with the
    code typed in; without a configured number, the code alone (typed by hand)."""
    digits = re.sub(r"\D", "", number)
    return f"https://wa.me/{digits}?text={quote(code)}" if digits else code


class WhatsAppPort:
    """The conversation's port to WhatsApp, for one input from ``sender`` (``t``: the sender's
    texts, for the few words the channel adds itself, such as a list's button)."""

    channel = "whatsapp"

    def __init__(self, client: WhatsApp, settings: WhatsAppSettings,
                 session: httpx.AsyncClient, t: Translator, sender: Place) -> None:
        self._client, self._settings, self._session, self._t = client, settings, session, t
        self._sender = sender

    @property
    def bot_name(self) -> str:
        digits = re.sub(r"\D", "", self._settings.number)
        return f"+{digits}" if digits else "WhatsApp"

    def invite_link(self, code: str) -> str:
        return invite_link(self._settings.number, code)

    async def send(self, place: Place, reply: Reply) -> str:
        """Each WhatsApp message of ``reply`` in turn (the first quoting ``reply_to``); an
        attachment carries the text as its caption when it fits and there are no choices.
        "Not a WhatsApp user" or a closed 24-hour window is ``ChannelRefused``."""
        quote_id = reply.reply_to
        try:
            attachment = reply.attachment
            caption = wa_text(reply.text).strip()
            if attachment is not None and not reply.choices and len(caption) <= CAPTION_LIMIT:
                return await self._attach(place.id, attachment, caption or None, quote_id)
            sent = ""
            for message in outgoing(reply, self._t):
                sent = await self._one(place.id, message, quote_id)
                quote_id = None
            if attachment is not None:
                sent = await self._attach(place.id, attachment, None, None)
            return sent
        except (ReEngagementMessage, MessageUndeliverable) as exc:
            raise ChannelRefused(str(exc)) from exc

    async def _one(self, to: str, message: Outgoing, quote_id: str | None) -> str:
        buttons: list[Button] | SectionList | None = None
        if message.buttons:
            buttons = [Button(title, callback_data=data) for title, data in message.buttons]
        elif message.rows:
            rows = [SectionRow(row.title, callback_data=row.id,
                               description=row.description or None) for row in message.rows]
            buttons = SectionList(message.list_button, sections=[
                Section(shorten(message.list_button, ROW_TITLE), rows=rows)])
        sent = await self._client.send_message(to, message.text, buttons=buttons,
                                               reply_to_message_id=quote_id)
        return str(sent.id)

    async def _attach(self, to: str, attachment: Attachment, caption: str | None,
                      quote_id: str | None) -> str:
        content: bytes | Path | None = (attachment.data if attachment.data is not None
                                        else attachment.path)
        if content is None and attachment.load is not None:
            content = await attachment.load()  # FileNotFoundError when the store lacks it
        if content is None:
            raise ValueError("an attachment needs a path, data or a loader")
        if attachment.path is not None and not attachment.path.is_file():
            raise FileNotFoundError(attachment.path)
        mime = mimetypes.guess_type(attachment.name)[0] or (
            "image/png" if attachment.photo else "application/octet-stream")
        if attachment.photo:
            sent = await self._client.send_image(to, content, caption=caption, mime_type=mime,
                                                 reply_to_message_id=quote_id)
        else:
            sent = await self._client.send_document(to, content, filename=attachment.name,
                                                    caption=caption, mime_type=mime,
                                                    reply_to_message_id=quote_id)
        return str(sent.id)

    async def edit(self, place: Place, message_ref: str, reply: Reply) -> str:
        return await self.send(place, reply)  # WhatsApp has no editing: a new message

    async def remove_choices(self, place: Place, message_ref: str) -> None:
        return None  # a sent message's buttons stay; a stale press is answered by the router

    async def answer_press(self, text: str | None = None, *, alert: bool = False) -> None:
        """No spinner to stop and no toast: a note on the press goes as a message."""
        if text:
            await self.send(self._sender, Reply(text))

    async def download(self, file: IncomingFile) -> AsyncIterator[bytes]:
        """The media URL (asked now: it lasts minutes), then the bytes with the bearer token."""
        info = await self._client.get_media_url(file.file_id)
        if not info.url:
            raise IntakeFailed("no url for the media")
        headers = {"authorization": f"Bearer {self._settings.token}"}
        async with self._session.stream("GET", info.url, headers=headers) as response:
            response.raise_for_status()
            async for chunk in response.aiter_bytes():
                yield chunk
