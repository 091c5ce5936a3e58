"""The Cloud API stand-in validates like the real one and keeps what the business sent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from kla_bot.clock import ManualClock
from kla_bot.standin_whatsapp import (
    CloudApiServer,
    CloudApiStandin,
    Person,
    RateLimits,
    WhatsAppUser,
)
from tests.whatsapp.conftest import SITI

PHONE = "106540352242922"


def text(to: str, body: str) -> dict[str, Any]:
    return {"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": body}}


def buttons(to: str, *titles: str) -> dict[str, Any]:
    replies = [
        {"type": "reply", "reply": {"id": f"b{i}", "title": t}} for i, t in enumerate(titles)
    ]
    interactive = {"type": "button", "body": {"text": "Pilih"}, "action": {"buttons": replies}}
    return {"messaging_product": "whatsapp", "to": to, "type": "interactive",
            "interactive": interactive}


def a_list(to: str, rows: list[dict[str, str]]) -> dict[str, Any]:
    action = {"button": "Tugas", "sections": [{"title": "Tugas", "rows": rows}]}
    interactive = {"type": "list", "body": {"text": "Pilih tugas"}, "action": action}
    return {"messaging_product": "whatsapp", "to": to, "type": "interactive",
            "interactive": interactive}


def template(to: str) -> dict[str, Any]:
    body = {"type": "body", "parameters": [{"type": "text", "text": "H-7"}]}
    tpl = {"name": "kla_pengingat_harian", "language": {"code": "id"}, "components": [body]}
    return {"messaging_product": "whatsapp", "to": to, "type": "template", "template": tpl}


async def error_of(graph: httpx.AsyncClient, payload: dict[str, Any]) -> dict[str, Any]:
    answer = await graph.post(f"/{PHONE}/messages", json=payload)
    assert answer.status_code >= 400, answer.text
    error: dict[str, Any] = answer.json()["error"]
    assert {"message", "type", "code", "fbtrace_id"} <= error.keys()
    return error


async def test_the_24_hour_window_needs_a_template_outside_it(
    cloud: CloudApiStandin, siti: WhatsAppUser, graph: httpx.AsyncClient, clock: ManualClock
) -> None:
    assert (await error_of(graph, text(SITI, "halo")))["code"] == 131047
    assert (await graph.post(f"/{PHONE}/messages", json=template(SITI))).status_code == 200
    Person(cloud, siti).text("halo")
    clock.advance(timedelta(hours=23, minutes=59))
    answer = await graph.post(f"/{PHONE}/messages", json=text("+62 812-0000-0001", "Siap"))
    assert answer.json()["contacts"] == [{"input": "+62 812-0000-0001", "wa_id": SITI}]
    clock.advance(timedelta(minutes=2))
    assert (await error_of(graph, text(SITI, "terlambat")))["code"] == 131047
    sent = cloud.transcript(siti)
    assert [(m.type, m.text) for m in sent] == [
        ("template", "kla_pengingat_harian"), ("text", "Siap")
    ]
    assert sent[0].template_parameters == ["H-7"]


async def test_interactive_limits(
    cloud: CloudApiStandin, siti: WhatsAppUser, graph: httpx.AsyncClient
) -> None:
    Person(cloud, siti).text("halo")
    assert (await error_of(graph, buttons(SITI, "a", "b", "c", "d")))["code"] == 131009
    assert (await error_of(graph, buttons(SITI, "x" * 21)))["code"] == 131009
    three = buttons(SITI, "✅ Setujui", "❌ Tolak", "x" * 20)
    ok = await graph.post(f"/{PHONE}/messages", json=three)
    assert ok.status_code == 200
    rows = [{"id": f"r{i}", "title": f"K3-{i}"} for i in range(11)]
    assert (await error_of(graph, a_list(SITI, rows)))["code"] == 131009
    assert (await error_of(graph, a_list(SITI, [{"id": "r", "title": "t" * 25}])))["code"] == 131009
    long_description = [{"id": "r", "title": "K3-17a", "description": "d" * 73}]
    assert (await error_of(graph, a_list(SITI, long_description)))["code"] == 131009
    fine = [{"id": "r", "title": "t" * 24, "description": "d" * 72}]
    assert (await graph.post(f"/{PHONE}/messages", json=a_list(SITI, fine))).status_code == 200
    assert (await error_of(graph, text(SITI, "x" * 4097)))["code"] == 100
    assert [m.choices[0][1] for m in cloud.transcript(siti)] == ["✅ Setujui", "t" * 24]


async def test_token_recipient_and_rate_limits(
    cloud: CloudApiStandin, siti: WhatsAppUser, graph: httpx.AsyncClient, clock: ManualClock
) -> None:
    Person(cloud, siti).text("halo")
    wrong = await graph.post(
        f"/{PHONE}/messages", json=text(SITI, "x"), headers={"authorization": "Bearer nope"}
    )
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == 190
    assert (await error_of(graph, text("6289999999999", "x")))["code"] == 131026
    cloud.rate_limits = RateLimits(per_recipient=2)
    for _ in range(2):
        assert (await graph.post(f"/{PHONE}/messages", json=text(SITI, "x"))).status_code == 200
    assert (await error_of(graph, text(SITI, "x")))["code"] == 131056
    clock.advance(timedelta(seconds=6))
    cloud.rate_limits = RateLimits(per_second=1)
    assert (await graph.post(f"/{PHONE}/messages", json=text(SITI, "x"))).status_code == 200
    assert (await error_of(graph, text(SITI, "x")))["code"] == 130429


async def test_media_upload_metadata_and_download_need_the_token(
    cloud: CloudApiStandin, graph: httpx.AsyncClient
) -> None:
    files = {"file": ("perda.pdf", b"%PDF-1.4 demo", "application/pdf")}
    data = {"messaging_product": "whatsapp", "type": "application/pdf"}
    media_id = (await graph.post(f"/{PHONE}/media", files=files, data=data)).json()["id"]
    info = (await graph.get(f"/{media_id}")).json()
    assert info["file_size"] == 13 and info["mime_type"] == "application/pdf"
    assert len(info["sha256"]) == 64
    anonymous = await graph.get(info["url"], headers={"authorization": ""})
    assert anonymous.status_code == 401 and cloud.downloads == []
    assert (await graph.get(info["url"])).content == b"%PDF-1.4 demo"
    assert cloud.downloads == [media_id]


async def test_an_unknown_endpoint_trips(
    cloud: CloudApiStandin, graph: httpx.AsyncClient
) -> None:
    answer = await graph.post(f"/{PHONE}/message_templates", json={})
    assert answer.json()["error"]["code"] == 100
    with pytest.raises(AssertionError, match="message_templates"):
        cloud.assert_no_surprises()
    cloud.unexpected.clear()


async def test_a_150_mb_document_is_measured_before_any_download(
    cloud: CloudApiStandin, siti: WhatsAppUser, graph: httpx.AsyncClient
) -> None:
    big = Person(cloud, siti).document(None, "scan.pdf", size=150 * 1024 * 1024)
    media_id = big.payload["entry"][0]["changes"][0]["value"]["messages"][0]["document"]["id"]
    assert (await graph.get(f"/{media_id}")).json()["file_size"] == 150 * 1024 * 1024
    assert cloud.downloads == []


async def test_the_http_face_serves_the_same_state(
    cloud: CloudApiStandin, siti: WhatsAppUser
) -> None:
    Person(cloud, siti).text("halo")
    async with CloudApiServer(cloud) as server, httpx.AsyncClient(
        trust_env=False,
        base_url=f"{server.url}/v23.0", headers={"authorization": f"Bearer {cloud.token}"}
    ) as http:
        assert (await http.post(f"/{PHONE}/messages", json=text(SITI, "lewat HTTP"))).is_success
        media = cloud.store_media(b"abc", "image/jpeg")
        url = (await http.get(f"/{media.media_id}")).json()["url"]
        assert url.startswith(server.url)
        assert (await http.get(url)).content == b"abc"
    assert [m.text for m in cloud.transcript(siti)] == ["lewat HTTP"]
