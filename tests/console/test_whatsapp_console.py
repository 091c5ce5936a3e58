"""``console --channel whatsapp``: the demo task force chatting through the WhatsApp stand-in,
read as the transcript a pipe would show."""

from __future__ import annotations

import io
from pathlib import Path

from kla_bot.clock import ManualClock
from kla_bot.config import Settings
from kla_bot.console.demo import SAMPLE_PDF, load_demo_data
from kla_bot.console.main import converse
from kla_bot.console.screen import Screen
from kla_bot.console.verbs import parse_line
from kla_bot.console.whatsapp import WhatsAppConsoleSession
from kla_bot.i18n import Translator

DEMO_DIR = Path(__file__).resolve().parents[2] / "kla_bot" / "data" / "demo"


class WaTypist:
    def __init__(self, session: WhatsAppConsoleSession, out: io.StringIO) -> None:
        self.session, self.out, self._read = session, out, 0

    async def type(self, line: str) -> str:
        action = parse_line(line)
        assert action is not None
        self.session.screen.echo(self.session.current.label, line)
        await self.session.act(action)
        text = self.out.getvalue()[self._read:]
        self._read = len(self.out.getvalue())
        return text


async def test_a_member_registers_lists_tasks_sends_evidence_and_is_reviewed(
        settings: Settings, clock: ManualClock, tmp_path: Path) -> None:
    await load_demo_data(settings, clock)
    out = io.StringIO()
    screen = Screen(out, Translator("id"), interactive=False)
    session = await WhatsAppConsoleSession.open(settings, screen, tmp_path / "files", clock)
    wa = WaTypist(session, out)
    try:
        assert "Budi Santoso" in await wa.type(":as 0812-0000-0008")
        welcome = await wa.type("halo")
        assert "Selamat datang, Budi Santoso" in welcome
        tasks = await wa.type("tugas")
        assert "☰ 📎 Kirim berkas K3-17a" in tasks  # a list row, numbered for :press
        receipt = await wa.type(f":file {DEMO_DIR / SAMPLE_PDF} K3-17a")
        assert "Berkas masuk untuk *K3-17a*" in receipt
        await wa.type(":as 0812-0000-0005")
        await wa.type("halo")
        cards = await wa.type("tinjau")
        assert "K3-17a" in cards
        decided = await wa.type(":press Setujui")
        assert "disetujui" in decided
        contact = await wa.type(":contact")
        assert "tidak perlu membagikan kontak" in contact
    finally:
        await session.close()


async def test_the_console_command_opens_the_whatsapp_channel(
        settings: Settings, clock: ManualClock, tmp_path: Path) -> None:
    await load_demo_data(settings, clock)
    out = io.StringIO()
    code = await converse(settings, clock, tmp_path / "files", as_phone="0812-0000-0008",
                          stdin=io.StringIO("halo\n:quit\n"), stdout=out, channel="whatsapp")
    assert code == 0
    text = out.getvalue()
    assert "Konsol kla-bot di WhatsApp" in text and "Selamat datang, Budi Santoso" in text
