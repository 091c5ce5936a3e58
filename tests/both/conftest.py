"""Conversation tests written once, run on every channel: ``town`` is parametrised by channel."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from kla_bot.channels.telegram.sender import drain
from kla_bot.channels.whatsapp.outbox import serve_outbox
from kla_bot.clock import ManualClock
from kla_bot.deps import Deps
from kla_bot.standin_whatsapp import CloudApiStandin
from tests.both.driver import Phone
from tests.both.telegram import TelegramPhone
from tests.both.whatsapp import WhatsAppPhone
from tests.members.conftest import (
    ANI_PHONE,
    BUDI_PHONE,
    CITRA_PHONE,
    DEWI_PHONE,
    members_world,
)
from tests.seeded import SeededReads
from tests.whatsapp.chat import wa_chat

SARI_PHONE = "+6281200000005"  # the secretariat, seeded by the tests that need her
PEOPLE = {"Ani": (ANI_PHONE, 5001), "Budi": (BUDI_PHONE, 5002), "Citra": (CITRA_PHONE, 5003),
          "Dewi": (DEWI_PHONE, 5004), "Sari": (SARI_PHONE, 5005),
          "Tamu": ("+6281399999999", 5099)}  # a stranger: no member has this number


@dataclass
class Town(SeededReads):
    """The members' task force (tests.members.conftest.seed), reached through one channel."""

    channel: str
    deps: Deps
    clock: ManualClock
    members: dict[str, int]
    tasks: dict[str, int]
    phone: Callable[[str], Phone]
    deliver: Callable[[], Awaitable[int]]  # send what the outbox holds

    async def member(self, name: str) -> Phone:
        """``name``'s chat, registered the channel's way."""
        phone = self.phone(name)
        await phone.register()
        return phone


@pytest.fixture(params=["telegram", "whatsapp"])
async def town(request: pytest.FixtureRequest, deps: Deps, clock: ManualClock,
               tmp_path: Path) -> AsyncIterator[Town]:
    if request.param == "telegram":
        async with members_world(deps, clock, tmp_path) as world:

            def telegram(name: str) -> Phone:
                phone, user_id = PEOPLE[name]
                return TelegramPhone(world, name, phone, user_id)

            yield Town("telegram", deps, clock, world.members, world.tasks, telegram,
                       lambda: drain(world.app))
        return
    async with wa_chat(deps, clock, CloudApiStandin(clock.now)) as chat:
        sender = serve_outbox(deps, chat.runtime.client, paced=False)

        def whatsapp(name: str) -> Phone:
            return WhatsAppPhone(chat, name, PEOPLE[name][0].removeprefix("+"))

        yield Town("whatsapp", deps, clock, chat.members, chat.tasks, whatsapp, sender.drain)
        chat.cloud.assert_no_surprises()
