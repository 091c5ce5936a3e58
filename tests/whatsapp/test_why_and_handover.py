"""``/kenapa`` and ``/alih`` typed on WhatsApp (the Telegram side: tests/both): the same
answers, and the coordinator's one-tap choice arrives as a WhatsApp button reply."""

from __future__ import annotations

from sqlalchemy import select

from handlers.handover import press_data
from kla_bot.models import OutboxMessage
from kla_bot.services.outbox_kinds import HandoverRequested, load
from tests.whatsapp.chat import ANI, CITRA, WaChat, texts


async def test_kenapa_on_whatsapp(chat: WaChat) -> None:
    ani = chat.person("Ani", ANI)
    await chat.says(ani, ani.text("halo"))
    answer = "\n".join(texts(await chat.says(ani, ani.text("kenapa"))))
    assert "belum pernah menerima pengingat" in answer
    assert "Pengingat berikutnya: 6 Mei, pukul 08.00 WITA" in answer


async def test_alih_on_whatsapp_then_the_coordinators_tap(chat: WaChat) -> None:
    ani, citra = chat.person("Ani", ANI), chat.person("Citra", CITRA)
    await chat.says(citra, citra.text("halo"))
    await chat.says(ani, ani.text("halo"))
    sent = texts(await chat.says(ani, ani.text("/alih dinas luar sampai Jumat")))
    assert "Permintaan pengalihan tugas sudah dikirim" in sent[-1]
    row = await chat.scalar(select(OutboxMessage).where(
        OutboxMessage.kind == "handover.requested"))
    assert row.recipient_id == chat.members["Citra"]
    request = load(row.kind, row.payload)
    assert isinstance(request, HandoverRequested)
    assert request.note == "dinas luar sampai Jumat" and request.cluster == "K3"
    citra_id = chat.members["Citra"]
    assert [c.member_id for c in request.choices] == [citra_id]
    done = await chat.says(citra, citra.press(
        press_data(request.requester_id, "K3", citra_id), "➡️ Citra"))
    assert "dialihkan ke Citra" in done[-1].text
    assert (await chat.task("K3-17a")).assignee_id == citra_id
