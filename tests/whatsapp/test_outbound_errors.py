"""How each Cloud API answer maps to the sender's outcome: the channel's limits wait, a user's
pair limit delays that row, 5xx, network errors and a rejected token are transient (nothing is
lost), any other 4xx fails the row."""

from __future__ import annotations

import httpx
import pytest
from pywa_async.errors import WhatsAppError

from kla_bot.channels.telegram.sender import sender_of
from kla_bot.channels.whatsapp.client import graph_session, make_client
from kla_bot.channels.whatsapp.outbox import PAIR_INTERVAL, WhatsAppOutbox, _outcome
from kla_bot.outbox_channel import Failed, FloodWait, Outcome, Transient
from tests.whatsapp.outbound_world import OutboundWorld, digest, settings, world

__all__ = ["settings", "world"]  # the fixtures


def _error(status: int, code: int) -> WhatsAppError:
    response = httpx.Response(status, request=httpx.Request("POST", "https://graph.test/m"))
    return WhatsAppError.from_dict({"code": code, "message": f"({code}) test"}, response=response)


@pytest.mark.parametrize(("status", "code", "expected"), [
    (400, 130429, FloodWait(2.0, "130429 (130429) test")),
    (400, 80007, FloodWait(60.0, "80007 (80007) test")),
    (400, 4, FloodWait(60.0, "4 (4) test")),
    (400, 131056, FloodWait(PAIR_INTERVAL, "131056 (131056) test", everyone=False)),
    (500, 1, Transient("1 (1) test")),
    (503, 131000, Transient("131000 (131000) test")),
    (401, 190, Transient("190 (190) test")),
    (400, 131009, Failed("131009 (131009) test")),
    (400, 132001, Failed("132001 (132001) test")),
])
def test_cloud_api_errors_map_to_outcomes(status: int, code: int, expected: Outcome) -> None:
    assert _outcome(_error(status, code)) == expected


class _Down(httpx.AsyncBaseTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)


async def test_a_network_error_is_retried_later_not_lost(world: OutboundWorld) -> None:
    whatsapp = world.deps.settings.whatsapp
    assert whatsapp is not None
    rina = await world.member("Rina", wa_id="6281200000003")
    await world.queue("d1", rina, digest("K3-17a"))
    async with graph_session(whatsapp, _Down()) as session:
        sender_of(world.app).add(WhatsAppOutbox(make_client(whatsapp, session), world.deps,
                                                paced=False))
        assert await world.drain() == 0
    (row,) = await world.rows()
    assert (row.state, row.attempts) == ("pending", 1)
    assert "ConnectError" in (row.last_error or "")
    assert row.not_before > world.clock.now()
