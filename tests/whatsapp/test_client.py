"""The pywa client reaches the configured base URL: the stand-in, in-process and over HTTP."""

from __future__ import annotations

import httpx
import pytest

from kla_bot.channels.whatsapp.client import graph_session, make_client
from kla_bot.config import WhatsAppSettings
from kla_bot.standin_whatsapp import (
    CloudApiServer,
    CloudApiStandin,
    Person,
    WhatsAppUser,
    create_standin_app,
)
from tests.whatsapp.conftest import SITI


def _settings(cloud: CloudApiStandin, base_url: str) -> WhatsAppSettings:
    return WhatsAppSettings(phone_number_id=cloud.phone_number_id, token=cloud.token,
                            app_secret=cloud.app_secret, verify_token="v", base_url=base_url)


async def test_requests_for_the_graph_host_go_to_the_base_url(
        cloud: CloudApiStandin, siti: WhatsAppUser) -> None:
    transport = httpx.ASGITransport(app=create_standin_app(cloud))
    settings = _settings(cloud, "http://standin.local")
    Person(cloud, siti).text("halo")  # opens the 24-hour window
    async with graph_session(settings, transport) as session:
        wa = make_client(settings, session)
        await wa.send_message(SITI, "halo")
    assert [m.text for m in cloud.transcript(siti)] == ["halo"]
    cloud.assert_no_surprises()


@pytest.mark.e2e
async def test_over_http_messages_and_media_reach_the_standin(
        cloud: CloudApiStandin, siti: WhatsAppUser) -> None:
    async with CloudApiServer(cloud) as server:
        settings = _settings(cloud, server.url)
        Person(cloud, siti).text("halo")
        async with graph_session(settings) as session:
            wa = make_client(settings, session)
            await wa.send_message(SITI, "halo")
            sent = Person(cloud, siti).document(b"%PDF-1.4 hello", "a.pdf", "application/pdf")
            media_id = sent.payload["entry"][0]["changes"][0]["value"]["messages"][0][
                "document"]["id"]
            url = await wa.get_media_url(media_id)
            got = await session.get(url.url, headers={"Authorization": f"Bearer {cloud.token}"})
    assert got.content == b"%PDF-1.4 hello"
    assert [m.text for m in cloud.transcript(siti)] == ["halo"]
    cloud.assert_no_surprises()
