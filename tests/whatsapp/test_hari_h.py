"""Hari H on WhatsApp: the checklist in WhatsApp markup, and /cari sending the approved file
as a document with its index line as the caption (typed with or without the slash)."""

from __future__ import annotations

from kla_bot.models import Member
from kla_bot.services import review
from tests.members.conftest import pdf_bytes
from tests.whatsapp.chat import ANI, CITRA, WaChat


async def test_find_sends_the_approved_document_with_its_index_line(chat: WaChat) -> None:
    ani, citra = chat.person("Ani", ANI), chat.person("Citra", CITRA)
    await chat.says(ani, ani.text("halo"))
    await chat.says(citra, citra.text("halo"))
    await chat.says(ani, ani.document(pdf_bytes(text="ktr"), "Perbup KTR.pdf",
                                      caption="K3-17a"))
    await chat.says(ani, ani.document(pdf_bytes(text="lahir"), "persalinan.pdf",
                                      caption="K3-12"))
    ktr = next(e for e in await chat.evidence() if e.original_name == "Perbup KTR.pdf")
    async with chat.deps.db.transaction() as s:
        coordinator = await s.get(Member, chat.members["Citra"])
        assert coordinator is not None
        await review.accept(s, chat.deps.workspace, coordinator, ktr.id, chat.clock.now())

    checklist = "\n".join(m.text for m in await chat.says(citra, citra.text("harih")))
    assert "✅ K3-17a" in checklist and "🟡 K3-12" in checklist and "<b>" not in checklist

    for typed in ("cari 17", "/cari rokok"):
        sent = await chat.says(citra, citra.text(typed))
        documents = [m for m in sent if m.type == "document"]
        assert len(documents) == 1, typed
        assert documents[0].payload["document"].get("filename") == "Perbup KTR.pdf"
        assert documents[0].text.startswith("Indikator 17 — ")
        assert "K3-17a Perbup Kawasan Tanpa Rokok · disetujui" in documents[0].text
        assert "oleh Citra" in documents[0].text
    waiting = await chat.says(citra, citra.text("cari K3-12"))
    assert not [m for m in waiting if m.type == "document"]
    assert "menunggu tinjauan" in waiting[-1].text
