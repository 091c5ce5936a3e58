"""The WhatsApp side of :mod:`tests.both.driver`: the Cloud API stand-in, signed webhooks
posted to the bot's WhatsApp runtime in-process."""

from __future__ import annotations

import re

from kla_bot.domain import Channel
from kla_bot.standin_whatsapp import Notification, Outgoing, Person
from tests.both.driver import Phone, Said, choice_titled
from tests.whatsapp.chat import WaChat

# WhatsApp's own markup: *bold*, _italic_, ~strike~, ```mono``` — a reader sees the words.
_MARKUP = re.compile(r"```(.+?)```|\*([^*\n]+)\*|(?<!\w)_([^_\n]+)_(?!\w)|~([^~\n]+)~")


def plain(text: str) -> str:
    return _MARKUP.sub(lambda m: next(g for g in m.groups() if g is not None), text)


def said(message: Outgoing) -> Said:
    content = message.payload.get(message.type, {})
    name = content.get("filename") if message.type == "document" else (
        "photo" if message.type == "image" else None)
    return Said(plain(message.text), tuple(title for _, title in message.choices), message,
                name)


class WhatsAppPhone(Phone):
    channel: Channel = "whatsapp"

    def __init__(self, chat: WaChat, name: str, wa_id: str) -> None:
        self.chat = chat
        self.person: Person = chat.person(name, wa_id)

    async def _answers(self, notification: Notification) -> list[Said]:
        return [said(m) for m in await self.chat.says(self.person, notification)]

    async def register(self) -> list[Said]:
        return await self.say("halo")  # the first message registers an imported number

    async def say(self, text: str, *, reply_to: Said | None = None) -> list[Said]:
        return await self._answers(self.person.text(text, reply_to=_message_id(reply_to)))

    async def press(self, said: Said, choice: str) -> list[Said]:
        message = said.ref
        assert isinstance(message, Outgoing)
        title = choice_titled(said, choice)
        choice_id = next(i for i, t in message.choices if t == title)
        action = message.payload["interactive"]["action"]
        if "buttons" in action:
            pressed = self.person.press(choice_id, title, reply_to=message.message_id)
        else:
            pressed = self.person.choose(choice_id, title, reply_to=message.message_id)
        return await self._answers(pressed)

    async def send_file(self, data: bytes, *, name: str, mime: str, caption: str | None = None,
                        reply_to: Said | None = None) -> list[Said]:
        return await self._answers(self.person.document(
            data, name, mime, caption=caption, reply_to=_message_id(reply_to)))

    def history(self) -> list[Said]:
        return [said(m) for m in self.chat.cloud.transcript(self.person.user)]


def _message_id(reply_to: Said | None) -> str | None:
    if reply_to is None:
        return None
    ref = reply_to.ref
    assert isinstance(ref, Outgoing)
    return ref.message_id
