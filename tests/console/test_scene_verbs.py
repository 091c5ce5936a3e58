"""The verbs the demo scenes add: ``:group`` / ``:private`` and ``:date``."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from kla_bot.clock import ManualClock
from kla_bot.config import Settings
from kla_bot.console.actions import jump_target
from kla_bot.console.scenes import SCENES, scene_lines
from kla_bot.console.verbs import Invalid, SetDate, SwitchChat, parse_line
from kla_bot.i18n import Translator
from tests.console.helpers import console

t = Translator("id")
WITA = ZoneInfo("Asia/Makassar")


def test_group_and_private_switch_the_chat() -> None:
    assert parse_line(":group") == SwitchChat(group=True)
    assert parse_line(":grup") == SwitchChat(group=True)
    assert parse_line(":private") == SwitchChat(group=False)


def test_date_takes_a_day_or_a_day_before_the_verification() -> None:
    assert parse_line(":date 2025-05-15 07:45") == SetDate(time(7, 45), day=date(2025, 5, 15))
    assert parse_line(":date H-1") == SetDate(time(8, 30), days_before=1)
    assert parse_line(":date h 10:00") == SetDate(time(10, 0), days_before=0)
    for bad in (":date", ":date besok", ":date 2025-13-01", ":date H-1 25:00", ":date a b c"):
        assert parse_line(bad) == Invalid("console_scenes.usage_date"), bad


def test_the_jump_target_counts_back_from_the_verification_day() -> None:
    target = jump_target(SetDate(time(8, 30), days_before=1), WITA, date(2025, 5, 16))
    assert target == datetime(2025, 5, 15, 8, 30, tzinfo=WITA)


def test_every_scene_fills_in_the_workspace_folder(tmp_path: Path) -> None:
    for name in SCENES:
        lines = scene_lines(name, tmp_path)
        assert not any("{dir}" in line for line in lines)
    assert f":file {tmp_path}/tugas-tambahan.xlsx" in scene_lines("secretariat", tmp_path)


async def test_a_member_in_the_group_sees_which_chat_a_message_is_in(
        settings: Settings, clock: ManualClock, tmp_path: Path) -> None:
    async with console(settings, clock, tmp_path) as user:
        await user.type(":as 0812-0000-0001")
        await user.type("/start")
        await user.type(":contact")
        joined = await user.type(":group")
        assert "Gugus Tugas KLA" in joined
        linked = await user.type("/hubungkan")
        assert "· grup «" in linked  # the group's message, marked as such
        assert "· obrolan pribadi" not in linked
        await user.type(":private")
        tasks = await user.type("/tugas")
        assert "· obrolan pribadi" in tasks and "KL-2a" in tasks


async def test_someone_outside_the_group_is_told_a_message_arrived_there(
        settings: Settings, clock: ManualClock, tmp_path: Path) -> None:
    async with console(settings, clock, tmp_path) as user:
        for line in (":as 0812-0000-0001", "/start", ":contact", ":group", "/hubungkan",
                     ":as 0812-0000-0005"):
            await user.type(line)
        morning = await user.type(":wait 08:00")
        assert t("console_scenes.message_in_group",
                 title="Gugus Tugas KLA Kabupaten Banjar") in morning


async def test_date_cannot_move_the_clock_back(settings: Settings, clock: ManualClock,
                                               tmp_path: Path) -> None:
    async with console(settings, clock, tmp_path) as user:
        before = clock.now()
        answer = await user.type(":date 2000-01-01")
        assert "Jam tidak bisa dimundurkan" in answer
        assert clock.now() == before
