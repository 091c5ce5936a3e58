"""The coordinators' chat world: the Banjar task force in the stand-in, one driver each."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Update

from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.channels.telegram.sender import drain
from kla_bot.standin import BotApiStandin, ChatDriver, SentMessage, deliver
from tests.coordinators.helpers import NAMES, World, seed, user_id


@dataclass
class ChatWorld:
    world: World
    app: KlaApplication
    state: BotApiStandin
    chats: dict[int, ChatDriver]

    async def do(self, update: Update) -> None:
        """Hand one user action to the bot and wait until it is handled."""
        assert await deliver(self.app, update)

    async def say(self, who: int, text: str, reply_to: object = None) -> list[SentMessage]:
        """``who`` types ``text``; the bot's answers to them."""
        mark = self.state.mark()
        await self.do(self.chats[who].send(text, reply_to=reply_to))
        return self.chats[who].since(mark)

    async def press(self, who: int, message: SentMessage, button: str) -> list[SentMessage]:
        mark = self.state.mark()
        await self.do(self.chats[who].press(message, button))
        return self.chats[who].since(mark)

    async def press_data(self, who: int, message: SentMessage, data: str) -> str | None:
        """A (forged) button press; the toast the bot answered with."""
        await self.do(self.chats[who].press_data(message, data))
        return self.chats[who].callback_answers()[-1].text

    async def drain(self) -> int:
        return await drain(self.app)

    def last(self, who: int) -> SentMessage:
        return self.chats[who].last()


async def chat_world(app: KlaApplication, state: BotApiStandin,
                     register: tuple[int, ...] = (1, 2, 3, 4, 5, 6)) -> ChatWorld:
    world = await seed(app.bot_data.deps, register=register)
    chats: dict[int, ChatDriver] = {}
    for n, name in NAMES.items():
        user = state.add_user(name.split()[-1], user_id=user_id(n))
        user.started = n in register  # registered members have pressed Start
        chats[n] = state.chat(user)
    return ChatWorld(world, app, state, chats)
