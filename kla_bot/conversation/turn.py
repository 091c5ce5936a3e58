"""One input being handled: what was sent, by whom, where, and how to answer on its channel."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from kla_bot.conversation.inputs import Inbound, Place
from kla_bot.conversation.replies import Choice, Port, Reply, rows
from kla_bot.deps import Deps
from kla_bot.domain import Who
from kla_bot.i18n import Translator
from kla_bot.services import outbox

Buttons = Sequence[Sequence[tuple[str, str]]]


@dataclass
class Turn:
    """The handlers' whole view of an input: no channel types, only these values and calls."""

    deps: Deps
    port: Port
    inbound: Inbound

    @property
    def who(self) -> Who:
        return self.inbound.who

    @property
    def place(self) -> Place:
        return self.inbound.place

    @property
    def args(self) -> tuple[str, ...]:
        return self.inbound.args

    @property
    def pressed(self) -> bool:
        return self.inbound.press is not None

    def moved_to(self, place: Place) -> Turn:
        """The same input as if sent in ``place`` (a group command answered privately)."""
        return replace(self, inbound=replace(self.inbound, place=place, press=None))

    def translator_for(self, stored: str | None) -> Translator:
        """Texts in a member's stored language, else their app's, else the default."""
        return self.deps.translator(stored, self.inbound.language_code)

    async def translator(self) -> Translator:
        """Texts for the sender, honouring a registered member's /bahasa choice."""
        return await self.deps.user_translator(self.who, self.inbound.language_code)

    async def reply(self, text: str, buttons: Buttons = (), *, ask_contact: str | None = None,
                    clear_keyboard: bool = False) -> str:
        """Send ``text`` (with buttons) where the input came from, quoting it in a group;
        return the sent message's id."""
        quote = None if self.place.private else self.inbound.message_ref
        return await self.port.send(self.place, Reply(
            text, rows([list(r) for r in buttons]), ask_contact=ask_contact,
            clear_keyboard=clear_keyboard, reply_to=quote))

    async def send(self, place: Place, text: str, buttons: Buttons = ()) -> str:
        """Send ``text`` (with buttons) to ``place``; the sent message's id."""
        return await self.port.send(place, Reply(text, rows([list(r) for r in buttons])))

    async def show(self, text: str, buttons: Buttons = ()) -> str:
        """For a button press, replace the message that carried the button (channels that
        cannot edit send a new one); otherwise send a new message."""
        ref = self.inbound.message_ref
        if self.pressed and ref is not None:
            return await self.port.edit(self.place, ref,
                                        Reply(text, rows([list(r) for r in buttons])))
        return await self.reply(text, buttons)

    async def tell(self, text: str) -> None:
        """A short answer: a note on the pressed button, or a message."""
        if self.pressed:
            await self.port.answer_press(text, alert=True)
        else:
            await self.reply(text)

    async def ack(self) -> None:
        """Acknowledge a button press (a no-op for anything else)."""
        if self.pressed:
            await self.port.answer_press()

    async def remember_one_task(self, message_ref: str, task_ids: list[int],
                                place: Place | None = None) -> None:
        """A message about exactly one task: a reply to it files evidence under that task."""
        if len(task_ids) != 1:
            return
        where = place or self.place
        async with self.deps.db.transaction() as session:
            await outbox.remember_sent(session, channel=where.channel, chat=where.id,
                                       message=message_ref, task_ids=task_ids,
                                       now=self.deps.clock.now())


__all__ = ["Buttons", "Choice", "Turn"]
