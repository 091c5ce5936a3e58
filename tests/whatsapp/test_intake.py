"""The webhook's promises with the durable inbox: a forged or unsigned request changes nothing,
a message id is handled once (also after a restart), a file over the cap is refused before any
download, and a handling cut off mid-download is finished by the next start, once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import func, select

from kla_bot.clock import ManualClock
from kla_bot.deps import Deps
from kla_bot.models import AuditEvent, InboundMessage, MemberAddress
from kla_bot.standin_whatsapp import CloudApiStandin, create_standin_app, sign
from tests.members.conftest import pdf_bytes
from tests.whatsapp.chat import ANI, WaChat, texts, wa_chat


async def _counts(chat: WaChat) -> tuple[int, ...]:
    return tuple([int(await chat.scalar(select(func.count()).select_from(model)))
                  for model in (InboundMessage, MemberAddress, AuditEvent)])


async def test_forged_or_unsigned_webhook_is_refused_and_changes_nothing(chat: WaChat) -> None:
    ani = chat.person("Ani", ANI)
    message = ani.text("halo")
    before = await _counts(chat)
    unsigned = await chat.post(message, signature=None)
    forged = await chat.post(message, signature=sign("not-the-app-secret", message.body))
    assert (unsigned.status_code, forged.status_code) == (403, 403)
    assert await _counts(chat) == before
    assert chat.cloud.transcript(ani.user) == []


async def test_the_same_message_id_is_handled_once_even_after_a_restart(chat: WaChat) -> None:
    ani = chat.person("Ani", ANI)
    message = ani.text("halo")
    first = await chat.says(ani, message)
    assert "Selamat datang, Ani" in first[0].text
    assert await chat.says(ani, message) == []  # a redelivery
    await chat.restart()
    assert await chat.says(ani, message) == []  # and again, to a new process
    assert await chat.inbox_rows() == 1
    row = await chat.scalar(select(InboundMessage))
    assert row.external_id == message.message_id and row.handled_at is not None


async def test_a_150_mb_document_is_refused_before_download(chat: WaChat) -> None:
    ani = chat.person("Ani", ANI)
    await chat.says(ani, ani.text("halo"))
    big = ani.document(None, "arsip.pdf", size=150 * 1024 * 1024, caption="K3-17a")
    sent = await chat.says(ani, big)
    assert "lebih dari" in texts(sent)[-1] and "tidak saya unduh" in texts(sent)[-1]
    assert chat.cloud.downloads == []
    assert await chat.evidence() == []


class StallingDownloads(httpx.AsyncBaseTransport):
    """The stand-in, except that media downloads never finish while ``stall`` is set (the
    handling is then cut off, as by kill -9)."""

    def __init__(self, cloud: CloudApiStandin) -> None:
        self.inner = httpx.ASGITransport(app=create_standin_app(cloud))
        self.stall = True
        self.started = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.stall and "attachments" in request.url.path:
            self.started.set()
            await asyncio.Event().wait()
        return await self.inner.handle_async_request(request)


@pytest.fixture
async def stalling(deps: Deps, clock: ManualClock,
                   cloud: CloudApiStandin) -> AsyncIterator[tuple[WaChat, StallingDownloads]]:
    transport = StallingDownloads(cloud)
    async with wa_chat(deps, clock, cloud, transport) as world:
        yield world, transport


async def test_a_handling_cut_off_mid_download_is_finished_once_by_the_next_start(
        stalling: tuple[WaChat, StallingDownloads]) -> None:
    chat, transport = stalling
    ani = chat.person("Ani", ANI)
    await chat.says(ani, ani.text("halo"))
    upload = ani.document(pdf_bytes(text="ktr"), "perbup.pdf", caption="K3-17a")
    posting = asyncio.create_task(chat.post(upload))
    await transport.started.wait()
    posting.cancel()  # the process dies mid-download
    with pytest.raises(asyncio.CancelledError):
        await posting
    assert await chat.evidence() == []
    row = await chat.scalar(select(InboundMessage).where(
        InboundMessage.external_id == upload.message_id))
    assert row is not None and row.handled_at is None  # kept before the (lost) answer
    transport.stall = False
    await chat.restart()
    assert [e.original_name for e in await chat.evidence()] == ["perbup.pdf"]
    assert "Berkas masuk untuk *K3-17a*" in chat.cloud.transcript(ani.user)[-1].text
    await chat.post(upload)  # WhatsApp redelivers what was never acknowledged
    await chat.restart()
    assert len(await chat.evidence()) == 1
    assert (await chat.task("K3-17a")).state == "submitted"
