"""pywa's async client talks to the stand-in.

pywa has no base-URL option (``GraphAPI.__init__`` sets ``session.base_url`` to
``https://graph.facebook.com/v{api_version}``), but it takes the ``httpx.AsyncClient`` to use:
one whose transport is the in-process stand-in receives every request, whatever the host.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pywa_async import WhatsApp
from pywa_async.errors import (
    ExpiredAccessToken,
    InvalidParameter,
    MessageUndeliverable,
    RateLimitHit,
    ReEngagementMessage,
    TooManyMessages,
)
from pywa_async.types import Button, Section, SectionList, SectionRow
from pywa_async.types.templates import BodyText, TemplateLanguage

from kla_bot.standin_whatsapp import (
    CloudApiStandin,
    Person,
    RateLimits,
    WhatsAppUser,
    standin_client,
)
from tests.whatsapp.conftest import SITI


@pytest.fixture
async def wa(cloud: CloudApiStandin) -> AsyncIterator[WhatsApp]:
    session = standin_client(cloud)
    yield WhatsApp(
        phone_id=cloud.phone_number_id, token=cloud.token, session=session, api_version="23.0"
    )
    await session.aclose()


async def test_pywa_sends_through_the_standin(
    cloud: CloudApiStandin, siti: WhatsAppUser, wa: WhatsApp
) -> None:
    inbound = Person(cloud, siti).text("halo")
    await wa.mark_message_as_read(str(inbound.message_id))
    await wa.send_message(SITI, "📥 Berkas masuk untuk K3-17a sudah kami terima.")
    await wa.send_message(
        SITI,
        "Berkas untuk K3-17a",
        buttons=[Button("✅ Setujui", callback_data="ok:1"), Button("❌ Tolak", "no:1")],
    )
    rows = [SectionRow(title=f"K3-1{i}a", callback_data=f"task:{i}") for i in range(3)]
    await wa.send_message(
        SITI,
        "Berkas ini untuk tugas yang mana?",
        buttons=SectionList("Pilih tugas", sections=[Section("Tugas", rows=rows)]),
    )
    uploaded = await wa.upload_media(b"%PDF-1.4 demo", mime_type="application/pdf",
                                     filename="perda.pdf")
    await wa.send_document(SITI, uploaded.id, filename="perda.pdf", caption="K3-17a")
    await wa.send_template(
        SITI,
        name="kla_pengingat_harian",
        language=TemplateLanguage.INDONESIAN,
        params=[BodyText.params("H-7", "2")],
    )
    sent = cloud.transcript(siti)
    assert [m.type for m in sent] == ["text", "interactive", "interactive", "document", "template"]
    assert sent[0].text == "📥 Berkas masuk untuk K3-17a sudah kami terima."
    assert sent[1].choices == [("ok:1", "✅ Setujui"), ("no:1", "❌ Tolak")]
    assert [title for _, title in sent[2].choices] == ["K3-10a", "K3-11a", "K3-12a"]
    assert sent[3].payload["document"]["id"] == uploaded.id
    assert cloud.media[uploaded.id].content == b"%PDF-1.4 demo"
    assert (sent[4].text, sent[4].template_parameters) == ("kla_pengingat_harian", ["H-7", "2"])
    assert cloud.read == [inbound.message_id]


async def test_pywa_sees_the_cloud_api_errors(
    cloud: CloudApiStandin, siti: WhatsAppUser, wa: WhatsApp
) -> None:
    with pytest.raises(ReEngagementMessage):
        await wa.send_message(SITI, "di luar jendela 24 jam")
    Person(cloud, siti).text("halo")
    with pytest.raises(InvalidParameter):
        await wa.send_message(SITI, "Pilih", buttons=[Button(f"B{i}", f"b{i}") for i in range(4)])
    with pytest.raises(MessageUndeliverable):
        await wa.send_message("6289999999999", "halo")
    cloud.rate_limits = RateLimits(per_recipient=1)
    await wa.send_message(SITI, "satu")
    with pytest.raises(TooManyMessages):
        await wa.send_message(SITI, "dua")
    cloud.rate_limits = RateLimits(per_second=0)
    with pytest.raises(RateLimitHit):
        await wa.send_message(SITI, "tiga")
    assert [m.text for m in cloud.transcript(siti)] == ["satu"]
    cloud.token = "rotated"
    with pytest.raises(ExpiredAccessToken):
        await wa.send_message(SITI, "empat")


async def test_pywa_reads_media_size_and_downloads_with_the_token(
    cloud: CloudApiStandin, siti: WhatsAppUser, wa: WhatsApp
) -> None:
    note = Person(cloud, siti).document(b"%PDF-1.4 x", "scan.pdf")
    media_id = note.payload["entry"][0]["changes"][0]["value"]["messages"][0]["document"]["id"]
    url = await wa.get_media_url(media_id)
    assert (url.file_size, url.mime_type) == (10, "application/pdf")
    assert cloud.downloads == []
    assert await wa.get_media_bytes(url.url) == b"%PDF-1.4 x"
    assert cloud.downloads == [media_id]
