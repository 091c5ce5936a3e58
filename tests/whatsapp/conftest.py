"""A Cloud API stand-in per test, on the test's clock; an unexpected request fails the test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from kla_bot.clock import ManualClock
from kla_bot.deps import Deps
from kla_bot.standin_whatsapp import CloudApiStandin, WhatsAppUser, standin_client
from tests.whatsapp.chat import WaChat, wa_chat

SITI = "6281200000001"


@pytest.fixture
async def cloud(clock: ManualClock) -> AsyncIterator[CloudApiStandin]:
    state = CloudApiStandin(clock.now)
    yield state
    state.assert_no_surprises()


@pytest.fixture
def siti(cloud: CloudApiStandin) -> WhatsAppUser:
    return cloud.add_user("Siti Rahmah", SITI)


@pytest.fixture
async def graph(cloud: CloudApiStandin) -> AsyncIterator[httpx.AsyncClient]:
    """A raw Graph API client, the way the Cloud API documents its requests."""
    async with standin_client(
        cloud,
        base_url="https://graph.facebook.com/v23.0",
        headers={"authorization": f"Bearer {cloud.token}"},
    ) as client:
        yield client


@pytest.fixture
async def chat(deps: Deps, clock: ManualClock,
               cloud: CloudApiStandin) -> AsyncIterator[WaChat]:
    """The seeded task force chatting with the bot's WhatsApp runtime in-process."""
    async with wa_chat(deps, clock, cloud) as world:
        yield world
