"""A province officer's /status: the regencies of their province one line each (numbers of
the status service, one query for all), any of them opened in full by button or name, none of
another province; the officer acts nowhere. Members see only their own regency's tasks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, select, update

from handlers.status import ProvinceAnswer, province_texts
from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.domain import Role, TaskState
from kla_bot.i18n import translator
from kla_bot.models import Member, Task
from kla_bot.services import province_status, regencies
from kla_bot.services.import_rows import ROLE_ALIASES
from kla_bot.services.imports import ImportRejected, check_tasks
from kla_bot.services.status import build_headline
from kla_bot.services.status_model import Score, TaskCounts
from kla_bot.standin import BotApiStandin
from kla_bot.tabular import Row
from kla_bot.text_fit import fits
from tests.coordinators.helpers import AHMAD, RINA, SITI
from tests.regencies.world import (
    AMBON,
    BANJAR,
    BANJARBARU,
    BARU_RINA,
    BARU_SITI,
    OFFICER,
    OPERATOR,
    PROVINCE,
    ProvinceWorld,
    province_world,
)


async def _numbered(pw: ProvinceWorld) -> None:
    """Banjar: one task approved, one waiting for review, K4-19a overdue; Banjarbaru: two
    approved (K4-19a among them: nothing overdue); Ambon untouched."""
    await pw.set_state(BANJAR, "K3-17a", TaskState.APPROVED)
    await pw.set_state(BANJAR, "K3-13a", TaskState.SUBMITTED)
    await pw.set_state(BANJARBARU, "K1-4a", TaskState.APPROVED)
    await pw.set_state(BANJARBARU, "K4-19a", TaskState.APPROVED)


async def test_the_officer_sees_the_two_regencies_of_the_province_with_their_numbers(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    pw = await province_world(bot, standin)
    await _numbered(pw)
    answer = await pw.say(OFFICER, "/status")
    text = "\n".join(m.plain for m in answer)
    assert f"Status KLA Provinsi {PROVINCE} — 2 kabupaten/kota" in text
    assert ("Kabupaten Banjar — H-11 · proyeksi 690 dari Nindya 701 · 1/1/6 · "
            "⚠️ 1 lewat tenggat") in text
    assert "Kota Banjarbaru — H-46 · proyeksi 557 dari Madya 601 · 2/0/6\n" in text
    assert AMBON not in text
    assert answer[-1].buttons == [f"Buka {BANJAR}", f"Buka {BANJARBARU}"]
    assert not any(m.photo for m in answer)  # the summary is text only

    # The same numbers as each regency's own status service.
    for name in (BANJAR, BANJARBARU):
        here = pw.deps.in_regency(pw.profiles[name])
        async with pw.deps.db.transaction() as s:
            own = await build_headline(s, here.workspace, here.settings, pw.deps.clock.now())
            province = province_status.province_of(
                await _officer(s), list(pw.profiles.values()))
            line = next(r for r in await province_status.summaries(
                s, province, pw.deps.clock.now()) if r.name == name)
        assert (line.days_left, line.score.projected, line.score.target, line.tasks) == (
            own.days_left, own.score.projected, own.score.target, own.tasks)


async def _officer(session: Any) -> Member:
    officer = await session.scalar(select(Member).where(Member.role == Role.PROVINCE))
    assert officer is not None
    return officer  # type: ignore[no-any-return]


async def test_the_summary_is_one_query_whatever_the_number_of_regencies(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    pw = await province_world(bot, standin)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    engine = pw.deps.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        async with pw.deps.db.transaction() as s:
            everywhere = province_status.Province("x", tuple(
                pw.profiles[name] for name in (BANJAR, BANJARBARU, AMBON)))
            lines = await province_status.summaries(s, everywhere, pw.deps.clock.now())
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert [line.name for line in lines] == [BANJAR, BANJARBARU, AMBON]  # in the order given
    assert len([s for s in statements if "tasks" in s]) == 1
    # Ambon counts its overdue on its own calendar (WIT): K4-19a is late there too.
    assert lines[2].tasks.overdue == 1 and lines[2].days_left == 25


async def test_opening_a_regency_shows_its_whole_status_and_another_province_stays_closed(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    pw = await province_world(bot, standin)
    await _numbered(pw)
    summary = (await pw.say(OFFICER, "/status"))[-1]
    opened = await pw.cw.press(OFFICER, summary, f"Buka {BANJARBARU}")
    text = "\n".join(m.plain for m in opened if not m.photo)
    assert "Status KLA Kota Banjarbaru — H-46" in text
    assert "Disetujui 7 · 🟡 menunggu tinjauan 0 · ⬜ terbuka 16,5 poin" in text
    assert "Klaster Bapak/Ibu" not in text  # the whole regency, as its secretariat sees it
    assert "/status K3" not in text  # cluster details are not the officer's
    assert any(m.photo for m in opened)  # with its chart
    assert any(m.caption and BANJARBARU in m.caption for m in opened)

    by_prefix = await pw.say(OFFICER, "/status kota banjarb")
    assert "Status KLA Kota Banjarbaru — H-46" in by_prefix[0].plain
    by_name = await pw.say(OFFICER, "/status Kabupaten Banjar")
    assert "Status KLA Kabupaten Banjar — H-11" in by_name[0].plain

    for other in ("/status Kota Ambon", "/status Ambon", "/status K3"):
        refused = await pw.say(OFFICER, other)
        assert len(refused) == 1 and "tidak ada di Provinsi Kalimantan Selatan" in \
            refused[0].plain and AMBON not in refused[0].plain.split("Pilih salah satu")[1]
    ambon = pw.profiles[AMBON].regency_id
    toast = await pw.cw.press_data(OFFICER, summary, f"prov:open:{ambon}")
    assert toast is not None and "tidak ada di Provinsi" in toast


async def test_the_officer_reads_but_acts_nowhere(bot: KlaApplication,
                                                  standin: BotApiStandin) -> None:
    pw = await province_world(bot, standin)
    for command in ("/tinjau", "/tugaskan K3-17a 0812-0000-0002", "/ubah K3-17a poin 9",
                    "/ingatkan", "/anggota", "/laporan", "/kabupaten"):
        answer = await pw.say(OFFICER, command)
        assert answer and "Maaf, perintah ini hanya untuk" in answer[-1].plain, command
    async with pw.deps.db.transaction() as s:
        assert (await s.scalar(select(Task.points).where(
            Task.cycle_id == pw.profiles[BANJAR].cycle_id, Task.code_key == "K3-17A"))) == 5
    # No tasks for the officer: an import naming them, or /tugaskan, finds nobody.
    refused = await pw.say(SITI, "/tugaskan K3-17a 0812-0000-0099")
    assert "0812-0000-0099" in refused[-1].plain
    async with pw.deps.db.transaction() as s:
        with pytest.raises(ImportRejected) as rejected:
            await check_tasks(s, pw.deps.workspace, [Row(2, {
                "code": "K3-99", "indicator": "17", "title": "Surat", "points": "1",
                "assignee": "0812-0000-0099", "due": "", "notes": "", "period": ""})], "t.csv")
    assert [r.key for e in rejected.value.errors for r in e.reasons] == [
        "imports.reason.assignee_not_member"]
    assert ROLE_ALIASES["provinsi"] == ROLE_ALIASES["province"] == Role.PROVINCE
    # A coordinator's /status is unchanged: their regency only.
    ahmad = "\n".join(m.plain for m in await pw.say(AHMAD, "/status"))
    assert "Status KLA Kabupaten Banjar" in ahmad and BANJARBARU not in ahmad


async def test_members_see_only_their_own_regencys_tasks(bot: KlaApplication,
                                                        standin: BotApiStandin) -> None:
    pw = await province_world(bot, standin)
    async with pw.deps.db.transaction() as s:
        await s.execute(update(Task).where(
            Task.cycle_id == pw.profiles[BANJARBARU].cycle_id, Task.code_key == "K3-17A")
            .values(title="Perda KTR Kota Banjarbaru"))
    banjar = "\n".join(m.plain for m in await pw.say(RINA, "/tugas"))
    baru = "\n".join(m.plain for m in await pw.say(BARU_RINA, "/tugas"))
    assert "Salinan Perda KTR yang sudah diundangkan" in banjar
    assert "Perda KTR Kota Banjarbaru" not in banjar
    assert "Perda KTR Kota Banjarbaru" in baru
    assert "Salinan Perda KTR yang sudah diundangkan" not in baru
    # Banjarbaru's secretariat sees Banjarbaru's status, not Banjar's.
    status = (await pw.say(BARU_SITI, "/status"))[0].plain
    assert "Status KLA Kota Banjarbaru — H-46" in status


def test_a_long_province_is_split_within_telegrams_limit_with_a_button_per_regency() -> None:
    score = Score.compute(last=Decimal(650), target_predicate="Nindya", approved=Decimal(12),
                          submitted=Decimal(3), open_=Decimal(40))
    lines = [province_status.RegencySummary(
        n, f"Kabupaten Dengan Nama Yang Sangat Panjang Sekali Nomor {n:02d} " * 3,
        date(2025, 6, 1), 27, score, TaskCounts(60, 40, 5, 15, 7)) for n in range(1, 41)]
    answer = ProvinceAnswer(province_status.Province("Jawa Timur", ()), lines)
    texts = province_texts(answer, translator("id"))
    assert len(texts) > 1 and all(fits(text) for text in texts)
    joined = "\n".join(texts)
    assert all(f"Nomor {n:02d}" in joined for n in range(1, 41))
    assert "40 kabupaten/kota" in texts[0] and "/status NAMA" in texts[-1]


async def test_an_officer_whose_regency_names_no_province_is_told_so(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    pw = await province_world(bot, standin)
    async with pw.deps.db.transaction() as s:
        await regencies.change(s, pw.deps.workspace.regency_id, "provinsi", "",
                               actor=OPERATOR, now=pw.deps.clock.now())
    pw.deps.regencies.forget()
    answer = await pw.say(OFFICER, "/status")
    assert len(answer) == 1 and "belum dicatat provinsinya" in answer[0].plain
    assert not answer[0].buttons
