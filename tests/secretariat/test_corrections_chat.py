"""Small corrections in chat: each shown as before → after, applied only on Ya, audited; Batal
and bad input change nothing; members may not correct; coordinators only in their clusters."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.domain import TaskState
from kla_bot.standin import BotApiStandin
from tests.coordinators.chat import ChatWorld, chat_world
from tests.coordinators.helpers import AHMAD, RINA, SITI, audit_actions, task_row
from tests.secretariat.helpers import data_snapshot, member_named


async def _confirm(cw: ChatWorld, who: int, command: str) -> str:
    """``who`` types a correction and presses Ya; the confirmation's text."""
    shown = (await cw.say(who, command))[-1]
    assert shown.buttons == ["Ya, terapkan", "Batal"], shown.plain
    await cw.press(who, shown, "Ya, terapkan")
    return cw.last(who).plain


async def _actions(cw: ChatWorld) -> list[str]:
    return [a[1] for a in await audit_actions(cw.world.deps)]


async def test_a_due_date_change_is_shown_then_applied_and_audited(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    before = await data_snapshot(cw)
    shown = (await cw.say(SITI, "/ubah K3-17a tenggat 2025-05-12"))[-1]
    assert "K3-17a — tenggat: Jumat, 9 Mei 2025 → Senin, 12 Mei 2025" in shown.plain
    assert "tidak ada yang berubah" in shown.plain
    assert await data_snapshot(cw) == before  # shown, not written
    await cw.press(SITI, shown, "Ya, terapkan")
    assert "Koreksi diterapkan" in cw.last(SITI).plain
    assert (await task_row(cw.world.deps, "K3-17a")).due_date == date(2025, 5, 12)
    event = next(e for e in await audit_actions(cw.world.deps) if e[1] == "task.corrected")
    assert event[0] == "Hj. Siti Rahmah"
    assert event[2]["field"] == "due"
    assert (event[2]["before"], event[2]["after"]) == ("2025-05-09", "2025-05-12")


async def test_points_title_cancel_add_and_move_are_each_applied_and_audited(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    deps = cw.world.deps
    assert "poin: 5 → 1,5" in await _confirm(cw, SITI, "/ubah K3-17a poin 1,5")
    assert (await task_row(deps, "K3-17a")).points == Decimal("1.5")
    assert "«Perda KTR dan SK Tim»" in await _confirm(
        cw, SITI, "/ubah K3-17a judul Perda KTR dan SK Tim")
    assert (await task_row(deps, "K3-17a")).title == "Perda KTR dan SK Tim"
    assert "status: terbuka → dibatalkan" in await _confirm(cw, SITI, "/batalkan K3-15a")
    assert (await task_row(deps, "K3-15a")).state == TaskState.CANCELLED
    added = await _confirm(cw, SITI, "/tambah K3-20 17 1,5 0812-0000-0003 2025-05-10 SK KTR")
    assert "Tugas baru K3-20: indikator 17, 1,5 poin, penanggung jawab Rina Marlina" in added
    new = await task_row(deps, "K3-20")
    assert (new.title, new.points, new.due_date, new.state) == (
        "SK KTR", Decimal("1.5"), date(2025, 5, 10), "open")
    assert "klaster: K3 → K4" in await _confirm(cw, SITI, "/pindah 0812-0000-0003 K4")
    rina = await member_named(cw, "Rina Marlina")
    assert rina is not None and rina.cluster_codes == ["K4"]
    actions = await _actions(cw)
    assert actions.count("task.corrected") == 2
    for action in ("task.cancelled", "task.added", "member.move"):
        assert action in actions


async def test_batal_changes_nothing_and_the_proposal_cannot_be_applied_after(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    before = await data_snapshot(cw)
    shown = (await cw.say(SITI, "/batalkan K3-17a"))[-1]
    await cw.press(SITI, shown, "Batal")
    assert "Koreksi dibatalkan, tidak ada yang berubah" in cw.last(SITI).plain
    assert await data_snapshot(cw) == before
    assert "correction.discarded" in await _actions(cw)
    toast = await cw.press_data(SITI, shown, "cor:ok:1")
    assert toast is not None and "sudah tidak berlaku" in toast
    assert await data_snapshot(cw) == before


async def test_bad_input_gets_the_expected_form_and_changes_nothing(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    before = await data_snapshot(cw)
    answers = {
        "/ubah": "Cara pakai: /ubah KODE tenggat 2025-05-10",
        "/ubah K3-17a warna merah": "Cara pakai",
        "/ubah K3-17a tenggat besok": "Tenggat «besok» tidak dapat dibaca",
        "/ubah K3-17a poin banyak": "Poin «banyak» tidak dapat dibaca",
        "/ubah K9-99 poin 2": "Tugas K9-99 tidak ditemukan",
        "/ubah K3-17a poin 5": "sudah seperti itu",
        "/batalkan": "Cara pakai: /batalkan KODE",
        "/tambah K3-20 17": "Cara pakai: /tambah KODE INDIKATOR",
        "/tambah K3-20 99 1 0812-0000-0003 Judul": "Tugas ini belum dapat ditambahkan",
        "/tambah K3-17a 17 1 0812-0000-0003 Judul": "sudah ada",
        "/pindah 0812-0000-0003 K9": "Cara pakai: /pindah NOMOR_HP KLASTER",
        "/pindah 0812-9999-9999 K4": "belum terdaftar",
        "/cuti 0812-0000-0003 kapan-kapan": "Cara pakai: /cuti NOMOR_HP",
        "/cuti 0812-0000-0003 2025-05-01": "sudah lewat",
    }
    for command, expected in answers.items():
        said = (await cw.say(SITI, command))[-1]
        assert expected in said.plain, (command, said.plain)
        assert not said.buttons, command
    assert await data_snapshot(cw) == before


async def test_a_member_cannot_correct_and_a_coordinator_only_in_their_clusters(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    before = await data_snapshot(cw)
    for command in ("/ubah K3-17a poin 1", "/batalkan K3-17a", "/cuti 0812-0000-0003 2025-05-09",
                    "/ubah"):
        assert "hanya untuk koordinator" in (await cw.say(RINA, command))[-1].plain, command
    # Ahmad coordinates K3: not K4's task, not moving Rina out of his clusters.
    assert "K4" in (await cw.say(AHMAD, "/ubah K4-19a poin 1"))[-1].plain
    assert not cw.last(AHMAD).buttons
    assert not (await cw.say(AHMAD, "/pindah 0812-0000-0003 K4"))[-1].buttons
    # A proposal is its proposer's: Rina pressing Siti's Ya (forged) applies nothing.
    shown = (await cw.say(SITI, "/batalkan K3-17a"))[-1]
    toast = await cw.press_data(RINA, shown, "cor:ok:1")
    assert toast is not None and "sudah tidak berlaku" in toast
    assert await data_snapshot(cw) == before
    # In his own cluster he may.
    assert "poin: 5 → 4" in await _confirm(cw, AHMAD, "/ubah K3-17a poin 4")


async def test_a_proposal_overtaken_by_another_change_is_not_applied(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    first = (await cw.say(SITI, "/ubah K3-17a poin 2"))[-1]
    await _confirm(cw, SITI, "/ubah K3-17a poin 3")
    await cw.press(SITI, first, "Ya, terapkan")
    toast = cw.chats[SITI].callback_answers()[-1].text
    assert toast is not None and "Data berubah sejak koreksi ini ditampilkan" in toast
    assert (await task_row(cw.world.deps, "K3-17a")).points == Decimal("3")
