"""A bot whose outbox sender serves Telegram (the Bot API stand-in) and WhatsApp (the Cloud API
stand-in, in-process), on the test's clock; members written straight to the database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.channels.telegram.sender import drain, sender_of
from kla_bot.channels.whatsapp.client import graph_session, make_client
from kla_bot.channels.whatsapp.outbox import WhatsAppOutbox
from kla_bot.clock import ManualClock, local_today
from kla_bot.config import Settings
from kla_bot.deps import Deps
from kla_bot.models import Member, MemberAddress, OutboxMessage
from kla_bot.services import delivery, outbox
from kla_bot.services.outbox_kinds import (
    Digest,
    DigestTask,
    EvidenceSubmitted,
    OutboxPayload,
)
from kla_bot.standin import BotApiStandin
from kla_bot.standin_whatsapp import CloudApiStandin, Person, WhatsAppUser, create_standin_app
from tests.reminders.helpers import started_user
from tests.reminders.seed import add_member

DAY = date(2025, 5, 5)  # the test clock's day (H-11)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test configuration with a [whatsapp] section for the in-process stand-in."""
    return settings.replace(whatsapp={"phone_number_id": "106540352242922",
                                      "token": "STANDIN-TOKEN", "app_secret": "s",
                                      "verify_token": "v"})


class OutboundWorld:
    def __init__(self, app: KlaApplication, cloud: CloudApiStandin, telegram: BotApiStandin,
                 clock: ManualClock) -> None:
        self.app, self.cloud, self.telegram, self.clock = app, cloud, telegram, clock
        self.deps: Deps = app.bot_data.deps

    async def drain(self) -> int:
        return await drain(self.app)

    async def member(self, name: str, *, wa_id: str | None = None, chat_id: int | None = None,
                     role: str = "member", language: str | None = None,
                     clusters: tuple[str, ...] = ("K3",)) -> Member:
        """A member on WhatsApp (``wa_id``), on Telegram (``chat_id``), or on both; a WhatsApp
        member has not written yet (the window is closed)."""
        if chat_id is not None:
            started_user(self.telegram, chat_id, name)
        async with self.deps.db.transaction() as s:
            member = await add_member(s, self.deps.workspace, self.clock.now(), name=name,
                                      role=role, chat_id=chat_id, language=language,
                                      clusters=clusters)
            if wa_id is not None:
                member.registered_at = member.registered_at or self.clock.now()
                s.add(MemberAddress(member_id=member.id, channel="whatsapp", address=wa_id,
                                    has_phone=True, reachable=True, last_inbound_at=None,
                                    created_at=self.clock.now()))
        return member

    def user(self, name: str, wa_id: str) -> WhatsAppUser:
        return self.cloud.add_user(name, wa_id)

    async def writes(self, member: Member, user: WhatsAppUser) -> int:
        """The member writes on WhatsApp: the stand-in and the bot both see the message (what
        the inbound side does), and held messages become due."""
        Person(self.cloud, user).text("halo")
        async with self.deps.db.transaction() as s:
            address = await s.scalar(select(MemberAddress).where(
                MemberAddress.member_id == member.id))
            assert address is not None
            address.last_inbound_at = self.clock.now()
            address.reachable = True
            return await delivery.window_opened(s, member.id, now=self.clock.now())

    async def queue(self, key: str, member: Member, payload: OutboxPayload) -> None:
        async with self.deps.db.transaction() as s:
            reminder = isinstance(payload, Digest)
            await outbox.enqueue(s, dedupe_key=key, recipient_id=member.id, payload=payload,
                                 now=self.clock.now(),
                                 day=local_today(self.clock, self.deps.settings.tz)
                                 if reminder else None,
                                 tz=self.deps.settings.tz if reminder else None)

    async def rows(self) -> list[OutboxMessage]:
        async with self.deps.db.transaction() as s:
            return list(await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))

    async def address(self, member: Member) -> MemberAddress:
        async with self.deps.db.transaction() as s:
            address = await s.scalar(select(MemberAddress).where(
                MemberAddress.member_id == member.id))
            assert address is not None
            return address


@pytest.fixture
async def world(bot: KlaApplication, cloud: CloudApiStandin, standin: BotApiStandin,
                clock: ManualClock) -> AsyncIterator[OutboundWorld]:
    deps: Deps = bot.bot_data.deps
    assert deps.settings.whatsapp is not None
    transport = httpx.ASGITransport(app=create_standin_app(cloud))
    async with graph_session(deps.settings.whatsapp, transport) as session:
        client = make_client(deps.settings.whatsapp, session)
        sender_of(bot).add(WhatsAppOutbox(client, deps, paced=False))
        yield OutboundWorld(bot, cloud, standin, clock)


def digest(*codes: str, **extra: Any) -> Digest:
    tasks = tuple(DigestTask(id=n, code=code, title=f"Perda {code}",
                             due=DAY + timedelta(days=3 + n), points=Decimal("1.5"))
                  for n, code in enumerate(codes, start=1))
    return Digest(days_left=11, day=DAY, verification_date=date(2025, 5, 16),
                  tasks=tasks, **extra)  # no task_ids: these tasks are not in the database


def evidence_card(storage_key: str, sha: str, size: int) -> EvidenceSubmitted:
    return EvidenceSubmitted(evidence_id=1, task_code="K3-17a",
                             task_title="Perda KTR", indicator="17. Kawasan Tanpa Rokok",
                             cluster="K3", points=Decimal("1.5"), member_name="Budi",
                             agency="Dinas Kesehatan", file_name="perda.pdf", bytes=size,
                             sha256=sha, mime="application/pdf", storage_key=storage_key)
