"""The Telegram side of :mod:`tests.both.driver`: the Bot API stand-in, in-process."""

from __future__ import annotations

from kla_bot.domain import Channel
from kla_bot.standin import ChatDriver, SentMessage
from tests.both.driver import Phone, Said, choice_titled
from tests.members.conftest import World


def said(message: SentMessage) -> Said:
    name = (message.document.file_name if message.document is not None
            else "photo" if message.photo is not None else None)
    return Said(message.plain, tuple(message.buttons), message, name)


class TelegramPhone(Phone):
    channel: Channel = "telegram"

    def __init__(self, world: World, name: str, phone: str, user_id: int) -> None:
        self.world = world
        self.phone = phone
        self.chat: ChatDriver = world.chat(world.user(name, user_id))

    async def _answers(self, update: object) -> list[Said]:
        mark = len(self.chat.messages())
        await self.world.do(update)  # type: ignore[arg-type]
        return [said(m) for m in self.chat.messages()[mark:]]

    async def register(self) -> list[Said]:
        await self._answers(self.chat.send("/start"))
        return await self._answers(self.chat.share_contact(self.phone))

    async def say(self, text: str, *, reply_to: Said | None = None) -> list[Said]:
        return await self._answers(self.chat.send(text, reply_to=_message_id(reply_to)))

    async def press(self, said: Said, choice: str) -> list[Said]:
        return await self._answers(self.chat.press(said.ref, choice_titled(said, choice)))

    async def send_file(self, data: bytes, *, name: str, mime: str, caption: str | None = None,
                        reply_to: Said | None = None) -> list[Said]:
        return await self._answers(self.chat.send_document(
            data, file_name=name, mime_type=mime, caption=caption,
            reply_to=_message_id(reply_to)))

    def history(self) -> list[Said]:
        return [said(m) for m in self.chat.messages()]


def _message_id(reply_to: Said | None) -> int | None:
    if reply_to is None:
        return None
    ref = reply_to.ref
    assert isinstance(ref, SentMessage)
    return ref.message_id
