"""A WhatsApp conversation end to end in-process: webhook → durable inbox → identify → router →
pywa → the Cloud API stand-in."""

from __future__ import annotations

from sqlalchemy import func, select

from kla_bot.models import Invite, MemberAddress
from kla_bot.services import registration
from tests.members.conftest import jpeg_bytes, pdf_bytes
from tests.whatsapp.chat import ANI, CITRA, WaChat, texts


async def test_first_message_registers_a_member(chat: WaChat) -> None:
    ani = chat.person("Ani", ANI)
    sent = await chat.says(ani, ani.text("halo"))
    assert "Selamat datang, Ani" in sent[0].text
    assert "Bapak/Ibu terdaftar sebagai Ani (Dinas Kesehatan)" in sent[1].text
    assert any("K3-17a" in m.text for m in sent)
    assert "<b>" not in "".join(texts(sent))  # WhatsApp markup, never HTML
    address = await chat.scalar(select(MemberAddress))
    assert (address.member_id, address.address) == (chat.members["Ani"], ANI)
    # The next message is an ordinary one: no second welcome.
    again = await chat.says(ani, ani.text("halo"))
    assert not any("Selamat datang" in m.text for m in again)


async def test_unknown_number_is_told_how_to_register(chat: WaChat) -> None:
    stranger = chat.person("Tamu", "6289999999999")
    sent = await chat.says(stranger, stranger.text("tugas"))
    assert texts(sent) == [
        "Mohon maaf, nomor WhatsApp ini belum terdaftar di Gugus Tugas KLA. Silakan hubungi "
        "Sekretariat Gugus Tugas KLA agar nomor Bapak/Ibu didaftarkan, lalu kirim pesan lagi "
        "ke nomor ini. Bila sudah menerima kode undangan, kirimkan kodenya di sini."]
    assert await chat.scalar(select(func.count()).select_from(MemberAddress)) == 0


async def test_business_scoped_user_needs_an_invite_then_redeems_it(chat: WaChat) -> None:
    dewi = chat.person("Dewi", None, user_id="ID.1234567890123456")
    sent = await chat.says(dewi, dewi.text("halo"))
    assert "kode undangan" in sent[0].text
    assert "tidak berlaku" in (await chat.says(dewi, dewi.text("SALAHKODE1")))[0].text
    async with chat.deps.db.transaction() as s:
        code, _ = await registration.create_invite(s, chat.deps.workspace, phone="+6281200000004",
                                                   created_by=None, now=chat.clock.now())
    sent = await chat.says(dewi, dewi.text(code.lower()))
    assert "Selamat datang, Dewi" in sent[0].text
    assert (await chat.scalar(select(Invite.used_at))) is not None
    address = await chat.scalar(select(MemberAddress))
    assert (address.address, address.has_phone) == ("ID.1234567890123456", False)


async def test_tugas_lists_tasks_with_choices(chat: WaChat) -> None:
    ani = chat.person("Ani", ANI)
    await chat.says(ani, ani.text("halo"))
    for typed in ("tugas", "/tugas", "Tugas"):
        sent = await chat.says(ani, ani.text(typed))
        assert "Tugas Bapak/Ibu" in sent[0].text
        choices = [c for m in sent for c in m.choices]
        assert {data for data, _ in choices} >= {
            f"tk:send:{chat.tasks['K3-17a']}", f"tk:send:{chat.tasks['K3-12']}"}
        assert all(m.type in ("text", "interactive") for m in sent)


async def test_evidence_by_reply_to_the_bots_task_message(chat: WaChat) -> None:
    ani = chat.person("Ani", ANI)
    await chat.says(ani, ani.text("halo"))
    sent = await chat.says(ani, ani.text("tugas"))
    send = next(m for m in sent if m.choices)
    data = f"tk:send:{chat.tasks['K3-17a']}"
    title = dict(send.choices)[data]
    prompt = (await chat.says(ani, ani.press(data, title, reply_to=send.message_id)))[-1]
    assert "K3-17a" in prompt.text
    await chat.says(ani, ani.text("/batal"))  # the reply alone must be enough
    receipt = await chat.says(ani, ani.document(pdf_bytes(text="ktr"), "Perbup KTR.pdf",
                                                reply_to=prompt.message_id))
    assert "Berkas masuk untuk *K3-17a*" in receipt[-1].text
    assert (await chat.task("K3-17a")).state == "submitted"
    evidence = await chat.evidence()
    assert [(e.mime, e.original_name) for e in evidence] == [("application/pdf",
                                                              "Perbup KTR.pdf")]


async def test_evidence_by_caption_with_a_task_code(chat: WaChat) -> None:
    ani = chat.person("Ani", ANI)
    await chat.says(ani, ani.text("halo"))
    receipt = await chat.says(ani, ani.image(jpeg_bytes(), caption="foto untuk k3-12"))
    assert "Berkas masuk untuk *K3-12*" in receipt[-1].text
    assert [e.mime for e in await chat.evidence()] == ["image/jpeg"]


async def test_evidence_by_choosing_from_a_list(chat: WaChat) -> None:
    ani = chat.person("Ani", ANI)
    await chat.says(ani, ani.text("halo"))
    question = await chat.says(ani, ani.document(pdf_bytes(), "laporan.pdf"))
    asked = question[-1]
    assert asked.type == "interactive" and len(asked.choices) == 3  # two tasks and "cancel"
    data, title = next((d, t) for d, t in asked.choices if d.endswith(str(chat.tasks["K3-12"])))
    receipt = await chat.says(ani, ani.choose(data, title, reply_to=asked.message_id))
    assert "Berkas masuk untuk *K3-12*" in receipt[-1].text
    assert (await chat.task("K3-12")).state == "submitted"


async def test_a_coordinator_reviews_on_whatsapp(chat: WaChat) -> None:
    ani, citra = chat.person("Ani", ANI), chat.person("Citra", CITRA)
    await chat.says(ani, ani.text("halo"))
    await chat.says(ani, ani.document(pdf_bytes(text="p"), "perbup.pdf", caption="K3-17a"))
    await chat.says(citra, citra.text("halo"))
    cards = await chat.says(citra, citra.text("tinjau"))
    card = next(m for m in cards if any(d.startswith("rv:") for d, _ in m.choices))
    accept, title = card.choices[0]
    answer = await chat.says(citra, citra.press(accept, title, reply_to=card.message_id))
    assert "disetujui" in answer[-1].text
    assert (await chat.task("K3-17a")).state == "approved"


async def test_template_button_runs_its_command(chat: WaChat) -> None:
    ani = chat.person("Ani", ANI)
    await chat.says(ani, ani.text("halo"))
    sent = await chat.says(ani, ani.press_template_button("cmd:tugas", "Buka tugas"))
    assert "Tugas Bapak/Ibu" in sent[0].text
