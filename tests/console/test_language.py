"""``/bahasa`` (``/language``): a registered member switches between Indonesian and English."""

from __future__ import annotations

from pathlib import Path

from kla_bot.clock import ManualClock
from kla_bot.config import Settings
from kla_bot.db import Database
from kla_bot.i18n import Translator
from kla_bot.models import Member
from kla_bot.standin.html import strip_html
from tests.console.helpers import console


class Shown:
    """Catalog texts as the user sees them on screen (HTML tags gone)."""

    def __init__(self, lang: str) -> None:
        self.t = Translator(lang)

    def __call__(self, key: str, **params: object) -> str:
        return strip_html(self.t(key, **params))


ID, EN = Shown("id"), Shown("en")


async def stored_language(settings: Settings, phone: str) -> str | None:
    from sqlalchemy import select

    db = Database(settings.database.url)
    try:
        async with db.transaction() as session:
            return await session.scalar(select(Member.language).where(Member.phone == phone))
    finally:
        await db.dispose()


async def test_a_stranger_is_asked_to_register_and_nothing_is_stored(
        settings: Settings, clock: ManualClock, tmp_path: Path) -> None:
    async with console(settings, clock, tmp_path) as user:
        await user.type(":as 0812-0000-0008")  # not registered yet
        assert ID("language.unregistered") in await user.type("/bahasa")
        assert ID("language.unregistered") in await user.type("/language en")
    assert await stored_language(settings, "+6281200000008") is None


async def test_pressing_english_switches_and_confirms_in_english(
        settings: Settings, clock: ManualClock, tmp_path: Path) -> None:
    async with console(settings, clock, tmp_path) as user:
        await user.type(":as 0812-0000-0008")
        await user.type(":contact")
        menu = await user.type("/bahasa")
        assert ID("language.choose", current="Bahasa Indonesia") in menu
        assert "Bahasa Indonesia" in menu and "English" in menu
        switched = await user.type(":press English")
        assert EN("language.changed") in switched and ID("console.edited") in switched
        assert EN("language.choose", current="English") in await user.type("/language")
        tasks = await user.type("/tugas")
        assert "Wednesday, 14 May 2025" in tasks and "K3-17a" in tasks
    assert await stored_language(settings, "+6281200000008") == "en"


async def test_the_unknown_command_reply_follows_the_chosen_language(
        settings: Settings, clock: ManualClock, tmp_path: Path) -> None:
    async with console(settings, clock, tmp_path) as user:
        await user.type(":as 0812-0000-0008")
        await user.type(":contact")
        await user.type("/bahasa en")
        assert EN("common.unknown_command") in await user.type("/tidakada")


async def test_the_command_argument_switches_at_once_and_back(
        settings: Settings, clock: ManualClock, tmp_path: Path) -> None:
    async with console(settings, clock, tmp_path) as user:
        await user.type(":as 0812-0000-0008")
        await user.type(":contact")
        assert EN("language.changed") in await user.type("/bahasa EN")
        assert ID("language.changed") in await user.type("/language id")
        assert ID("language.unknown") in await user.type("/bahasa fr")
    assert await stored_language(settings, "+6281200000008") == "id"


async def test_a_forged_language_button_changes_nothing(
        settings: Settings, clock: ManualClock, tmp_path: Path) -> None:
    async with console(settings, clock, tmp_path) as user:
        await user.type(":as 0812-0000-0008")
        await user.type(":contact")
        await user.type("/bahasa")
        session = user.session
        _, message_id = max(session.current.shown)  # (chat, message): all private here
        update = session.current.user.private.press_data(message_id, "lang:fr")
        await session.settle(update)
        assert ID("language.unknown") in user.new_output()
    assert await stored_language(settings, "+6281200000008") is None


async def test_english_telegram_users_get_english_until_they_choose(
        settings: Settings, clock: ManualClock, tmp_path: Path) -> None:
    async with console(settings, clock, tmp_path, lang="en") as user:
        await user.type(":as 0812-0000-0008")
        assert EN("language.unregistered") in await user.type("/language")
