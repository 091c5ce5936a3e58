"""/undang on WhatsApp: the invitation says to write to the business number (its wa.me link
types the member's code in, for a number WhatsApp does not tell), and the workbook follows."""

from __future__ import annotations

from tests.whatsapp.chat import ANI, CITRA, WaChat, texts


async def test_undang_on_whatsapp_says_to_write_to_the_number(chat: WaChat) -> None:
    citra = chat.person("Citra", CITRA)
    await chat.says(citra, citra.text("halo"))  # registers the K3 coordinator
    sent = await chat.says(citra, citra.text("/undang"))
    said = texts(sent)
    assert "1 anggota belum terdaftar" in said[0]
    assert said[1].startswith("Bapak/Ibu Ani, untuk mulai cukup kirim pesan WhatsApp")
    assert "ke nomor +6281100000000" in said[1]
    assert "https://wa.me/6281100000000?text=" in said[1]
    assert "<b>" not in "".join(said)
    assert sent[-1].type == "document"
    assert sent[-1].payload["document"]["filename"] == "undangan.xlsx"
    # Ani writes to the number from her own phone: registered, no code needed.
    ani = chat.person("Ani", ANI)
    assert "Selamat datang, Ani" in (await chat.says(ani, ani.text("halo")))[0].text

