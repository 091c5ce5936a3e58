"""What the chat shows: the member hears why a file was refused and how to fix it (nothing is
recorded); the reviewer's card says what an accepted PDF carries."""

from __future__ import annotations

from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.standin import BotApiStandin
from tests import filemakers as fm
from tests.coordinators.chat import chat_world
from tests.coordinators.helpers import AHMAD, RINA, SITI
from tests.members.conftest import World


async def test_password_and_macro_files_are_refused_with_how_to_fix(world: World) -> None:
    ani = world.user("Ani", 5001)
    await world.link("Ani", ani)
    chat = world.chat(ani)
    cases = [
        (fm.encrypted_pdf("rahasia", "pemilik"), "Laporan.pdf",
         ["berkata sandi", "simpan ulang tanpa kata sandi, atau cetak ke pdf"]),
        (fm.encrypted_ooxml("docx"), "Laporan.docx", ["berkata sandi"]),
        (fm.macro_ooxml("xlsm"), "Laporan.xlsm",
         ["bermakro", "simpan ulang sebagai .docx, .xlsx atau .pptx, atau cetak ke pdf"]),
        (fm.xls(macro_sheet=True), "Rekap.xls", ["bermakro"]),
        (fm.webp_pixel_bomb(), "foto.webp", ["terlalu besar"]),
        (fm.deflate_bomb(), "Laporan.docx", ["terlalu besar saat dibuka"]),
    ]
    for data, name, expected in cases:
        await world.do(chat.send_document(data, file_name=name, caption="K3-12"))
        answer = chat.last_text().lower()
        assert all(words in answer for words in expected), answer
        assert "kirim sekali lagi" not in answer  # never "try again" for what fails again
    assert await world.evidence() == []
    assert world.stored_files() == []
    assert list((world.deps.storage_dir / "tmp").iterdir()) == []
    assert (await world.task("K3-12")).state == "open"


async def test_the_refusal_speaks_english_to_an_english_member(world: World) -> None:
    ani = world.user("Ani", 5001, language="en")
    await world.link("Ani", ani)
    chat = world.chat(ani)
    await world.do(chat.send_document(fm.encrypted_pdf("secret", "owner"), file_name="a.pdf",
                                      caption="K3-12"))
    assert "password-protected" in chat.last_text()
    assert "without a password, or print it to PDF" in chat.last_text()


async def test_the_reviewer_is_told_what_a_pdf_carries(bot: KlaApplication,
                                                       standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    await cw.do(cw.chats[RINA].send_document(fm.pdf_with_javascript(), file_name="Form.pdf",
                                             caption="K3-17a"))
    await cw.drain()
    note = next(m for m in reversed(cw.chats[AHMAD].messages()) if m.document is not None)
    assert "berkas ini berisi JavaScript" in note.plain
    card = next(m for m in await cw.say(SITI, "/tinjau") if m.document is not None)
    assert "berkas ini berisi JavaScript" in card.plain
    plain = fm.plain_pdf()
    await cw.do(cw.chats[RINA].send_document(plain, file_name="Biasa.pdf", caption="K3-17a"))
    await cw.drain()
    note = next(m for m in reversed(cw.chats[AHMAD].messages()) if m.document is not None)
    assert "Biasa.pdf" in note.plain and "Perhatian" not in note.plain
