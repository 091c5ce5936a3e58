"""A WhatsApp conversation in-process: the seeded task force, the Cloud API stand-in, and the
bot's WhatsApp runtime (webhook app, pywa client, durable inbox) on the test's database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import func, select

from kla_bot.channels.whatsapp.runtime import WhatsAppRuntime
from kla_bot.clock import ManualClock
from kla_bot.config import WhatsAppSettings
from kla_bot.deps import Deps
from kla_bot.models import InboundMessage
from kla_bot.standin_whatsapp import (
    CloudApiStandin,
    Notification,
    Outgoing,
    Person,
    WebhookPoster,
    WhatsAppUser,
    create_standin_app,
)
from tests.seeded import SeededReads

VERIFY = "verify-token-for-tests"
BUSINESS_NUMBER = "6281100000000"
# The seeded members' phones (tests.members.conftest.seed) as WhatsApp ids.
ANI, BUDI, CITRA, DEWI = "6281200000001", "6281200000002", "6281200000003", "6281200000004"


def wa_settings(cloud: CloudApiStandin) -> WhatsAppSettings:
    return WhatsAppSettings(phone_number_id=cloud.phone_number_id, token=cloud.token,
                            app_secret=cloud.app_secret, verify_token=VERIFY,
                            number=BUSINESS_NUMBER)


@dataclass
class WaChat(SeededReads):
    deps: Deps
    clock: ManualClock
    cloud: CloudApiStandin
    runtime: WhatsAppRuntime
    poster: WebhookPoster
    members: dict[str, int]
    tasks: dict[str, int]
    transport: httpx.AsyncBaseTransport
    people: dict[str, Person] = field(default_factory=dict)

    def person(self, name: str, wa_id: str | None, user_id: str | None = None) -> Person:
        if name not in self.people:
            self.people[name] = Person(self.cloud, self.cloud.add_user(name, wa_id,
                                                                      user_id=user_id))
        return self.people[name]

    async def post(self, notification: Notification, **options: Any) -> httpx.Response:
        """Post as WhatsApp does; in-process the handling is over when this returns."""
        return await self.poster.post(notification, **options)

    async def says(self, person: Person, notification: Notification) -> list[Outgoing]:
        """Post one message; what the bot sent that person in answer."""
        before = len(self.cloud.transcript(person.user))
        response = await self.post(notification)
        assert response.status_code == 200, response.text
        return self.cloud.transcript(person.user)[before:]

    async def restart(self) -> None:
        """A new runtime on the same database, as after a restart; waits for its catch-up."""
        await self.runtime.stop()
        await self.poster.aclose()
        self.runtime = WhatsAppRuntime(self.deps, wa_settings(self.cloud),
                                       transport=self.transport)
        self.poster = WebhookPoster(self.cloud, self.runtime.app)
        await self.runtime.start()
        await self.runtime.caught_up()

    async def inbox_rows(self) -> int:
        return int(await self.scalar(select(func.count()).select_from(InboundMessage)))


@asynccontextmanager
async def wa_chat(deps: Deps, clock: ManualClock, cloud: CloudApiStandin,
                  transport: httpx.AsyncBaseTransport | None = None) -> AsyncIterator[WaChat]:
    from tests.members.conftest import seed

    members, tasks = await seed(deps, clock)
    transport = transport or httpx.ASGITransport(app=create_standin_app(cloud))
    runtime = WhatsAppRuntime(deps, wa_settings(cloud), transport=transport)
    await runtime.start()
    await runtime.caught_up()
    poster = WebhookPoster(cloud, runtime.app)
    chat = WaChat(deps, clock, cloud, runtime, poster, members, tasks, transport)
    try:
        yield chat
    finally:
        await chat.runtime.stop()
        await chat.poster.aclose()


def texts(sent: list[Outgoing]) -> list[str]:
    return [m.text for m in sent]


__all__ = ["ANI", "BUDI", "CITRA", "DEWI", "VERIFY", "WaChat", "WhatsAppUser", "texts",
           "wa_chat", "wa_settings"]
