"""The WhatsApp port on its own: what WhatsApp cannot do (edit, remove buttons, toasts) becomes
what it can, attachments are uploaded, a closed window or a non-user is ChannelRefused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from kla_bot.channels.whatsapp.client import graph_session, make_client
from kla_bot.channels.whatsapp.port import WhatsAppPort, invite_link
from kla_bot.clock import ManualClock
from kla_bot.conversation.inputs import IncomingFile, Place
from kla_bot.conversation.replies import Attachment, ChannelRefused, Choice, Reply
from kla_bot.i18n import translator
from kla_bot.standin_whatsapp import CloudApiStandin, Person, WhatsAppUser, create_standin_app
from tests.whatsapp.chat import wa_settings
from tests.whatsapp.conftest import SITI

HERE = Place("whatsapp", SITI)


@pytest.fixture
async def port(cloud: CloudApiStandin) -> AsyncIterator[WhatsAppPort]:
    settings = wa_settings(cloud)
    session = graph_session(settings, httpx.ASGITransport(app=create_standin_app(cloud)))
    yield WhatsAppPort(make_client(settings, session), settings, session, translator("id"), HERE)
    await session.aclose()


def test_invite_link_opens_the_business_chat_with_the_code() -> None:
    assert invite_link("+62 811-0000-0000", "ABCD234567") == (
        "https://wa.me/6281100000000?text=ABCD234567")
    assert invite_link("", "ABCD234567") == "ABCD234567"


async def test_edit_is_a_new_message_and_presses_answer_with_messages(
        port: WhatsAppPort, cloud: CloudApiStandin, siti: WhatsAppUser) -> None:
    Person(cloud, siti).text("halo")  # opens the 24-hour window
    first = await port.send(HERE, Reply("<b>Tugas</b> &amp; berkas",
                                        ((Choice("✅ Setujui", "rv:ok:1"),),)))
    second = await port.edit(HERE, first, Reply("Sudah <i>disetujui</i>"))
    await port.remove_choices(HERE, first)  # nothing to do on WhatsApp
    await port.answer_press()  # no spinner: nothing sent
    await port.answer_press("Sudah diputuskan.", alert=True)
    sent = cloud.transcript(siti)
    assert second != first and [m.text for m in sent] == [
        "*Tugas* & berkas", "Sudah _disetujui_", "Sudah diputuskan."]
    assert sent[0].choices == [("rv:ok:1", "✅ Setujui")]


async def test_attachments_are_uploaded_with_the_text_as_caption(
        port: WhatsAppPort, cloud: CloudApiStandin, siti: WhatsAppUser, tmp_path: Path) -> None:
    Person(cloud, siti).text("halo")
    path = tmp_path / "perbup.pdf"
    path.write_bytes(b"%PDF-1.4 perbup")
    await port.send(HERE, Reply("Berkas <b>K3-17a</b>", attachment=Attachment("perbup.pdf",
                                                                              path=path)))
    await port.send(HERE, Reply("Grafik", attachment=Attachment("chart.png", data=b"\x89PNG",
                                                                photo=True)))
    document, image = cloud.transcript(siti)
    assert (document.type, document.text) == ("document", "Berkas *K3-17a*")
    assert document.payload["document"]["filename"] == "perbup.pdf"
    assert cloud.media[document.payload["document"]["id"]].content == b"%PDF-1.4 perbup"
    assert (image.type, image.text) == ("image", "Grafik")


async def test_closed_window_and_non_users_are_channel_refused(
        port: WhatsAppPort, cloud: CloudApiStandin, siti: WhatsAppUser,
        clock: ManualClock) -> None:
    Person(cloud, siti).text("halo")
    clock.advance(timedelta(hours=25))
    with pytest.raises(ChannelRefused):
        await port.send(HERE, Reply("Pengingat"))
    with pytest.raises(ChannelRefused):
        await port.send(Place("whatsapp", "6289999999999"), Reply("Halo"))


async def test_download_streams_the_media_with_the_bearer_token(
        port: WhatsAppPort, cloud: CloudApiStandin, siti: WhatsAppUser) -> None:
    media = cloud.store_media(b"x" * 200_000, "application/pdf", filename="a.pdf")
    file = IncomingFile(media.media_id, media.sha256, "document", "a.pdf", media.file_size)
    received = b"".join([chunk async for chunk in port.download(file)])
    assert received == b"x" * 200_000 and cloud.downloads == [media.media_id]
