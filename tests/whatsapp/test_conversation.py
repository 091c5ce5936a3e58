"""A WhatsApp conversation end to end in-process: webhook → inbox → identify → router → pywa →
the Cloud API stand-in."""

from __future__ import annotations

from tests.whatsapp.chat import ANI, WaChat, texts


async def test_first_message_registers_a_member(chat: WaChat) -> None:
    ani = chat.person("Ani", ANI)
    sent = await chat.says(ani, ani.text("halo"))
    print(texts(sent))
    assert "Selamat datang" in sent[0].text
