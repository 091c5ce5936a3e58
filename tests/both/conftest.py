"""Conversation tests written once, run on every channel: ``town`` is parametrised by channel."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest

from handlers.outbox_sender import drain
from tests.both.driver import Phone
from tests.both.telegram import TelegramPhone
from tests.members.conftest import (  # noqa: F401  (the world fixture, reused)
    ANI_PHONE,
    BUDI_PHONE,
    CITRA_PHONE,
    DEWI_PHONE,
    World,
    world,
)

SARI_PHONE = "+6281200000005"  # the secretariat, seeded by the tests that need her
PEOPLE = {"Ani": (ANI_PHONE, 5001), "Budi": (BUDI_PHONE, 5002), "Citra": (CITRA_PHONE, 5003),
          "Dewi": (DEWI_PHONE, 5004), "Sari": (SARI_PHONE, 5005)}


@dataclass
class Town:
    """The members' world, reached through one channel."""

    world: World
    phone: Callable[[str], Phone]
    channel: str

    async def member(self, name: str) -> Phone:
        """``name``'s chat, registered the channel's way."""
        phone = self.phone(name)
        await phone.register()
        return phone

    async def deliver(self) -> int:
        """Send what the outbox holds (notifications, review results, reminders)."""
        return await drain(self.world.app)


@pytest.fixture(params=["telegram"])
async def town(request: pytest.FixtureRequest, world: World) -> AsyncIterator[Town]:  # noqa: F811
    def telegram(name: str) -> Phone:
        phone, user_id = PEOPLE[name]
        return TelegramPhone(world, name, phone, user_id)

    yield Town(world, telegram, request.param)
