"""/undang without a phone, on every channel: a coordinator gets one ready-to-forward
invitation per unregistered member of their clusters, with that member's own link, and a
workbook. On WhatsApp the invitation says to just write to the number."""

from __future__ import annotations

from tests.both.conftest import Town


async def test_undang_lists_each_unregistered_member_with_their_link(town: Town) -> None:
    citra = await town.member("Citra")  # coordinator of K3; Ani (K3) has not registered
    sent = await citra.say("/undang")
    assert "1 anggota belum terdaftar" in sent[0]
    invitation = sent[1]
    assert invitation.text.startswith("Bapak/Ibu Ani, ")
    if citra.channel == "whatsapp":
        assert "cukup kirim pesan WhatsApp" in invitation and "https://wa.me/" in invitation
    else:
        assert "silakan buka tautan ini untuk mulai: https://t.me/" in invitation
    assert "Budi" not in "\n".join(s.text for s in sent)  # K1: not Citra's to invite
    assert sent[-1].file_name is not None and sent[-1].file_name.endswith(".xlsx")
