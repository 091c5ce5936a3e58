"""/kabupaten: the secretariat sees its own regency's settings and changes one as a
correction (before → after, written only on Ya, audited); the countdown and default due dates
follow; coordinators and members are refused, bad values change nothing; in a deployment of
several regencies each secretariat changes only its own."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.models import PendingCorrection
from kla_bot.services import regencies
from kla_bot.services.regencies import RegencyProfile
from kla_bot.standin import BotApiStandin
from tests.coordinators.chat import ChatWorld, chat_world
from tests.coordinators.helpers import AHMAD, RINA, SITI, audit_actions, task_row
from tests.regencies.world import (
    BANJAR,
    BANJARBARU,
    BARU_SITI,
    OFFICER,
    OPERATOR,
    province_world,
)


async def _home(cw: ChatWorld) -> RegencyProfile:
    deps = cw.world.deps
    async with deps.db.transaction() as s:
        found = await regencies.profile_of(s, deps.workspace.regency_id)
    assert found is not None
    return found


async def _pending_rows(cw: ChatWorld) -> int:
    async with cw.world.deps.db.transaction() as s:
        return int(await s.scalar(select(func.count()).select_from(PendingCorrection)) or 0)


async def test_the_secretariat_sees_its_regency_settings(bot: KlaApplication,
                                                         standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    text = (await cw.say(SITI, "/kabupaten"))[-1].plain
    for line in ("Kabupaten Banjar", "Provinsi: -",
                 "Tanggal verifikasi: Jumat, 16 Mei 2025 (H-11)", "Zona waktu: WITA",
                 "Target: Nindya", "Nilai terakhir: 685", "Hari libur daerah: tidak ada"):
        assert line in text, line
    english = (await cw.say(SITI, "/regency"))[-1].plain
    assert "Kabupaten Banjar" in english  # the alias answers too


async def test_a_new_verification_date_is_shown_applied_on_ya_and_the_countdown_follows(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    assert "H-11" in (await cw.say(SITI, "/status"))[0].plain
    shown = (await cw.say(SITI, "/kabupaten tanggal 2025-05-23"))[-1]
    assert ("Kabupaten Banjar — tanggal verifikasi: Jumat, 16 Mei 2025 → Jumat, 23 Mei 2025"
            in shown.plain)
    assert shown.buttons == ["Ya, terapkan", "Batal"]
    assert (await _home(cw)).verification_date == date(2025, 5, 16)  # shown, not written

    await cw.press(SITI, shown, "Ya, terapkan")
    assert "Koreksi diterapkan" in cw.last(SITI).plain
    assert (await _home(cw)).verification_date == date(2025, 5, 23)
    status = (await cw.say(SITI, "/status"))[0].plain
    assert "H-18" in status and "Jumat, 23 Mei 2025" in status
    assert "(H-18)" in (await cw.say(SITI, "/kabupaten"))[-1].plain
    # A task with the default due date (two days before the day) moved with it.
    assert (await task_row(cw.world.deps, "K3-15a")).due_date == date(2025, 5, 21)
    change = next(e for e in await audit_actions(cw.world.deps) if e[1] == "regency.change")
    assert change[0] == "Hj. Siti Rahmah"
    assert (change[2]["field"], change[2]["before"], change[2]["after"]) == (
        "date", "2025-05-16", "2025-05-23")
    # The same button again writes nothing more.
    async with cw.world.deps.db.transaction() as s:
        pending = await s.scalar(select(func.max(PendingCorrection.id)))
    toast = await cw.press_data(SITI, shown, f"cor:ok:{pending}")
    assert toast is not None and "sudah tidak berlaku" in toast


async def test_coordinators_and_members_are_refused(bot: KlaApplication,
                                                   standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    for who in (AHMAD, RINA):
        for command in ("/kabupaten", "/kabupaten tanggal 2025-05-23"):
            answer = (await cw.say(who, command))[-1]
            assert "Maaf, perintah ini hanya untuk" in answer.plain, (who, command)
            assert not answer.buttons
    assert (await _home(cw)).verification_date == date(2025, 5, 16)
    assert await _pending_rows(cw) == 0


async def test_bad_values_are_refused_and_change_nothing(bot: KlaApplication,
                                                        standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    before = await _home(cw)
    refusals = {
        "/kabupaten tanggal 23-05-2025": "Tanggal «23-05-2025» tidak dapat dibaca",
        "/kabupaten zona Mars": "Zona waktu «Mars» tidak dikenal",
        "/kabupaten target Emas": "Target harus salah satu dari: Pratama, Madya, Nindya",
        "/kabupaten skor 2000": "Nilai harus angka 0 sampai 1000",
        "/kabupaten provinsi Jawa Timur": "«provinsi» tidak dapat diubah di sini",
        "/kabupaten tanggal": "Cara pakai: /kabupaten tanggal|zona|target|skor|libur",
        "/kabupaten target Nindya": "sudah seperti itu",
    }
    for command, expected in refusals.items():
        answer = (await cw.say(SITI, command))[-1]
        assert expected in answer.plain, (command, answer.plain)
        assert not answer.buttons
    assert await _home(cw) == before
    assert await _pending_rows(cw) == 0


async def test_batal_zone_score_target_and_holidays(bot: KlaApplication,
                                                    standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    shown = (await cw.say(SITI, "/kabupaten zona WIB"))[-1]
    assert "zona waktu: WITA → WIB" in shown.plain
    await cw.press(SITI, shown, "Batal")
    assert "tidak ada yang berubah" in cw.last(SITI).plain
    assert (await _home(cw)).zone_label == "WITA"

    for command, line in (("/kabupaten zona wib", "zona waktu: WITA → WIB"),
                          ("/kabupaten skor 712,5", "nilai terakhir: 685 → 712,5"),
                          ("/kabupaten target utama", "target: Nindya → Utama"),
                          ("/kabupaten libur 2025-05-20",
                           "hari libur daerah: tidak ada → 20 Mei 2025")):
        shown = (await cw.say(SITI, command))[-1]
        assert line in shown.plain, (command, shown.plain)
        await cw.press(SITI, shown, "Ya, terapkan")
        assert "Koreksi diterapkan" in cw.last(SITI).plain
    home = await _home(cw)
    assert (home.timezone, str(home.last_score), home.target_predicate, home.holidays) == (
        "Asia/Jakarta", "712.50", "Utama", (date(2025, 5, 20),))
    # The settings every update now reads: /kabupaten, and /status in the new zone.
    text = (await cw.say(SITI, "/kabupaten"))[-1].plain
    assert "Zona waktu: WIB" in text and "Hari libur daerah: 20 Mei 2025" in text
    assert "target Utama 801" in (await cw.say(SITI, "/status"))[0].plain
    # Naming a listed holiday again removes it.
    shown = (await cw.say(SITI, "/kabupaten libur 2025-05-20"))[-1]
    assert "hari libur daerah: 20 Mei 2025 → tidak ada" in shown.plain
    await cw.press(SITI, shown, "Ya, terapkan")
    assert (await _home(cw)).holidays == ()


async def test_a_change_made_meanwhile_makes_the_shown_one_stale(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    shown = (await cw.say(SITI, "/kabupaten tanggal 2025-05-23"))[-1]
    deps = cw.world.deps
    async with deps.db.transaction() as s:  # the operator, on the command line
        await regencies.change(s, deps.workspace.regency_id, "tanggal", "2025-05-30",
                               actor=OPERATOR, now=deps.clock.now())
    await cw.press(SITI, shown, "Ya, terapkan")
    alert = cw.chats[SITI].callback_answers()[-1].text
    assert alert is not None and "Data berubah sejak koreksi ini ditampilkan" in alert
    assert (await _home(cw)).verification_date == date(2025, 5, 30)


async def test_each_secretariat_changes_only_its_own_regency(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    pw = await province_world(bot, standin)
    shown = (await pw.say(BARU_SITI, "/kabupaten tanggal 2025-06-27"))[-1]
    assert "Kota Banjarbaru — tanggal verifikasi: Jumat, 20 Juni 2025 → Jumat, 27 Juni 2025" \
        in shown.plain
    await pw.cw.press(BARU_SITI, shown, "Ya, terapkan")
    async with pw.deps.db.transaction() as s:
        baru = await regencies.profile_of(s, pw.profiles[BANJARBARU].regency_id)
        banjar = await regencies.profile_of(s, pw.profiles[BANJAR].regency_id)
    assert baru is not None and baru.verification_date == date(2025, 6, 27)
    assert banjar is not None and banjar.verification_date == date(2025, 5, 16)
    # The province officer's summary and Banjarbaru's own /status follow.
    summary = "\n".join(m.plain for m in await pw.say(OFFICER, "/status"))
    assert "Kota Banjarbaru — H-53" in summary and "Kabupaten Banjar — H-11" in summary
    assert "H-53" in (await pw.say(BARU_SITI, "/status"))[0].plain
    # Banjar's secretariat is not shown Banjarbaru's settings.
    assert "Kota Banjarbaru" not in (await pw.say(SITI, "/kabupaten"))[-1].plain


async def test_the_configured_regency_follows_a_change_when_there_are_several(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    pw = await province_world(bot, standin)
    shown = (await pw.say(SITI, "/kabupaten tanggal 2025-05-19"))[-1]
    await pw.cw.press(SITI, shown, "Ya, terapkan")
    assert "H-14" in (await pw.say(SITI, "/status"))[0].plain
    assert "H-46" in (await pw.say(BARU_SITI, "/status"))[0].plain
