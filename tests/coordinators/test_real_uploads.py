"""The whole loop with real uploads through the stand-in: members send files in chat, the
coordinators' notifications carry the file and the buttons, decisions reach the members, and
the export holds exactly the uploaded bytes in cluster/indicator folders."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.i18n import translator
from kla_bot.services import export
from kla_bot.standin import BotApiStandin
from tests.coordinators.chat import chat_world
from tests.coordinators.helpers import AHMAD, DEWI, RINA, SITI, task_row
from tests.members.conftest import pdf_bytes


async def test_uploads_reviews_and_export_match(bot: KlaApplication, standin: BotApiStandin,
                                                tmp_path: Path) -> None:
    cw = await chat_world(bot, standin)
    perda, akta = pdf_bytes(2, "perda"), pdf_bytes(1, "akta")
    await cw.do(cw.chats[RINA].send_document(perda, file_name="Perda KTR.pdf",
                                             caption="K3-17a"))
    await cw.do(cw.chats[DEWI].send_document(akta, file_name="akta 2024.pdf", caption="K1-4a"))
    assert (await task_row(cw.world.deps, "K3-17a")).state == "submitted"
    await cw.drain()
    note = next(m for m in reversed(cw.chats[AHMAD].messages()) if m.document is not None)
    assert note.document is not None and note.document.file_name == "Perda KTR.pdf"
    assert note.buttons == ["✅ Setujui", "❌ Tolak"]
    await cw.press(AHMAD, note, "✅ Setujui")
    # The secretariat is not notified of uploads; it reviews through /tinjau.
    siti_note = next(m for m in await cw.say(SITI, "/tinjau") if m.document is not None)
    assert "K1-4a" in siti_note.plain
    await cw.press(SITI, siti_note, "✅ Setujui")
    await cw.drain()
    assert "disetujui oleh dr. Ahmad Fauzi" in cw.last(RINA).plain
    assert "disetujui oleh Hj. Siti Rahmah" in cw.last(DEWI).plain
    deps = cw.world.deps
    t = translator("id")
    async with deps.db.transaction() as s:
        data = await export.collect(s, deps.workspace, deps.settings, None, False,
                                    deps.clock.now(), t)
    result = export.write_archive(data, deps.store, tmp_path / "x.zip", t)
    with zipfile.ZipFile(result.parts[0]) as zf:
        files = {n: hashlib.sha256(zf.read(n)).hexdigest() for n in zf.namelist()
                 if n.endswith(".pdf")}
    assert files == {
        "K3 Kesehatan Dasar dan Kesejahteraan/17 Tersedia Kawasan Tanpa Rokok dan Tidak Ada "
        "Iklan, Promosi, dan Sponsor Rokok/K3-17a - Perda KTR.pdf":
            hashlib.sha256(perda).hexdigest(),
        "K1 Hak Sipil dan Kebebasan/04 Anak yang Memiliki Akta Kelahiran/K1-4a - akta 2024.pdf":
            hashlib.sha256(akta).hexdigest()}
    assert result.problems == []
