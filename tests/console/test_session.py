"""The console's verbs against the real bot (in-process stand-in, test database)."""

from __future__ import annotations

from pathlib import Path

from kla_bot.clock import ManualClock
from kla_bot.config import Settings
from kla_bot.console.session import telegram_id_for
from kla_bot.i18n import Translator
from tests.console.helpers import console

t = Translator("id")
SAMPLE = Path(__file__).resolve().parents[2] / "kla_bot/data/demo/contoh-perda-ktr.pdf"


def test_a_phone_gives_the_same_telegram_account_every_time() -> None:
    assert telegram_id_for("+6281200000008") == 81200000008
    assert telegram_id_for("+6281200000008") != telegram_id_for("+6281200000005")


async def test_a_guest_has_no_contact_to_share(settings: Settings, clock: ManualClock,
                                               tmp_path: Path) -> None:
    async with console(settings, clock, tmp_path) as user:
        assert t("console.no_phone") in await user.type(":contact")
        welcome = await user.type("/start")
        assert "KLA Bot  #2" in welcome and t("console.guest") in welcome


async def test_pressing_the_keyboard_button_shares_the_contact(
        settings: Settings, clock: ManualClock, tmp_path: Path) -> None:
    async with console(settings, clock, tmp_path) as user:
        assert "Budi Santoso (0812-0000-0008)" in await user.type(":as 0812-0000-0008")
        start = await user.type("/start")
        assert "[1] ‹" in start
        registered = await user.type(":press 1")
        assert "Budi Santoso" in registered and "Dinas Kesehatan" in registered
        assert "K3-17a" in registered  # the tasks follow the registration


async def test_unknown_buttons_files_and_messages_are_explained(
        settings: Settings, clock: ManualClock, tmp_path: Path) -> None:
    async with console(settings, clock, tmp_path) as user:
        await user.type(":as 0812-0000-0008")
        assert t("console.no_such_button", button=42) in await user.type(":press 42")
        missing = tmp_path / "nope.pdf"
        assert t("console.no_such_file", path=str(missing)) in await user.type(
            f":file {missing}")
        assert t("console.no_such_message") in await user.type(":reply 99 halo")
        assert t("console.bad_phone", phone="12") in await user.type(":as 12")


async def test_a_button_in_someone_elses_chat_cannot_be_pressed(
        settings: Settings, clock: ManualClock, tmp_path: Path) -> None:
    async with console(settings, clock, tmp_path) as user:
        await user.type(":as 0812-0000-0008")
        await user.type("/start")  # keyboard button [1] in Budi's chat
        await user.type(":as 0812-0000-0005")
        assert t("console.button_of_other_chat") in await user.type(":press 1")


async def test_a_reply_with_a_file_and_a_note_for_the_other_persona(
        settings: Settings, clock: ManualClock, tmp_path: Path) -> None:
    async with console(settings, clock, tmp_path) as user:
        await user.type(":as 0812-0000-0005")
        await user.type(":contact")  # the K3 coordinator is registered
        await user.type(":as 0812-0000-0008")
        await user.type(":contact")
        tasks = await user.type("/tugas")
        assert "K3-17a" in tasks
        receipt = await user.type(f":reply {SAMPLE} K3-17a")
        assert "K3-17a" in receipt and "contoh-perda-ktr.pdf" in receipt
        await user.type(":as 0812-0000-0005")
        review = await user.type("/tinjau")
        saved = [line for line in review.splitlines() if "contoh-perda-ktr.pdf" in line
                 and "📎" in line]
        assert saved, review
        accepted = await user.type(":press Setujui")
        assert "K3-17a" in accepted
        assert t("console.message_for", name="Budi Santoso", phone="0812-0000-0008") in accepted
        budi = await user.type(":as 0812-0000-0008")
        assert "dr. Hendra Saputra" in budi and "K3-17a" in budi


async def test_wait_runs_the_morning_reminders_on_the_way(
        settings: Settings, clock: ManualClock, tmp_path: Path) -> None:
    async with console(settings, clock, tmp_path) as user:
        await user.type(":as 0812-0000-0008")
        await user.type(":contact")
        out = await user.type(":wait 1d")  # Monday 09:00 → Tuesday 09:00, past the 08:00 slot
        lines = out.splitlines()
        stops = [line for line in lines if line.startswith("—")]
        assert len(stops) == 2 and "pukul 08.00 WITA" in stops[0] and "pukul 09.00 WITA" in stops[1]
        assert "Selasa, 6 Mei 2025" in stops[0]
        digest = out[out.index(stops[0]):out.index(stops[1])]
        assert "H-10" in digest and "K3-12a" in digest
        wednesday = await user.type(":wait 08:00")
        assert "H-9" in wednesday and "H-10" not in wednesday  # no repeat of Tuesday's
