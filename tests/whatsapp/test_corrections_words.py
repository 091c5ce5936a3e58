"""Corrections are everyday words ("tambah", "ubah"): on WhatsApp, where a bare first word may
be a command, they need their slash, so a coordinator's sentence is never taken for one."""

from __future__ import annotations

from tests.whatsapp.chat import CITRA, WaChat, texts


async def test_corrections_need_their_slash_on_whatsapp(chat: WaChat) -> None:
    """"Tambah tanda tangan…" typed by a coordinator is text (a rejection reason, a note), not
    /tambah; with the slash it is the command."""
    citra = chat.person("Citra", CITRA)
    await chat.says(citra, citra.text("halo"))
    plain = texts(await chat.says(citra, citra.text("tambah tanda tangan kepala dinas")))
    assert not any("Cara pakai" in t or "belum dapat ditambahkan" in t for t in plain)
    command = texts(await chat.says(citra, citra.text("/tambah")))
    assert any("Cara pakai" in t and "/tambah KODE" in t for t in command), command
    assert any("Cara pakai" in t and "/ubah KODE" in t
               for t in texts(await chat.says(citra, citra.text("/ubah"))))
