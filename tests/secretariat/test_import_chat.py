"""The secretariat imports members and tasks by sending spreadsheets: a preview first,
Terapkan writes exactly it, Batal nothing; bad rows are listed and skipped; tasks dropped from
a re-import are cancelled only on a second confirmation; others are told who may import."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.domain import TaskState
from kla_bot.models import Evidence, Member, OutboxMessage, Task
from kla_bot.services import reminders, review
from kla_bot.services.outbox_kinds import OutboxKind
from kla_bot.services.status import build_status
from kla_bot.standin import BotApiStandin
from tests.coordinators.chat import chat_world
from tests.coordinators.helpers import (
    AHMAD,
    DEWI,
    RINA,
    SITI,
    audit_actions,
    pdf_bytes,
    put_evidence,
    task_row,
)
from tests.secretariat.helpers import (
    csv_bytes,
    data_snapshot,
    fixture_rows,
    member_named,
    pending,
    send_file,
    xlsx_bytes,
)

MEMBERS_HEADER = ["Nama", "No. HP", "Instansi", "Peran", "Klaster", "Jabatan"]


async def test_a_good_members_file_is_previewed_then_applied(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    before = await data_snapshot(cw)
    data = csv_bytes([MEMBERS_HEADER,
                      ["Lina Kartika", "0812-0000-0011", "Bappeda", "anggota", "K2", "Staf"],
                      ["Joko Prasetyo", "0812-0000-0012", "Dinas Sosial", "koordinator", "K5",
                       "Kabid"],
                      ["Dewi Lestari", "0812 0000 0005", "Disdukcapil Banjar", "anggota", "K1",
                       ""],
                      ["Rina Marlina", "62812-0000-0003", "Dinas Kesehatan", "anggota", "K3",
                       ""]])
    answer = await send_file(cw, SITI, data, "anggota-baru.csv")
    preview = answer[-1]
    assert "Pratinjau impor" in preview.plain
    assert "Anggota (lembar anggota-baru.csv): 2 baru, 1 berubah, 1 tidak berubah" \
        in preview.plain
    assert "Kolom yang diabaikan: 'Jabatan'" in preview.plain
    assert preview.buttons == ["Terapkan", "Batal"]
    assert await data_snapshot(cw) == before  # a preview writes nothing

    await cw.press(SITI, preview, "Terapkan")  # the preview becomes the result
    assert "Impor diterapkan" in preview.plain and preview.buttons == []
    assert "Anggota: 2 baru, 1 diperbarui, 1 tidak berubah, 0 baris salah dilewati" \
        in preview.plain
    joko = await member_named(cw, "Joko Prasetyo")
    assert joko is not None and joko.role == "coordinator" and joko.cluster_codes == ["K5"]
    assert (await cw.world.member(DEWI)).agency == "Disdukcapil Banjar"
    actions = await audit_actions(cw.world.deps)
    imported = [a for a in actions if a[1] == "member.imported"][-3:]
    assert {label for label, _, _ in imported} == {"Hj. Siti Rahmah"}
    assert [a[1] for a in actions][-1] == "import.applied"
    assert [p.state for p in await pending(cw)] == ["applied"]


async def test_bad_rows_are_listed_and_apply_writes_only_the_good_ones(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    data = xlsx_bytes(("Data Anggota", [
        ["DAFTAR ANGGOTA GUGUS TUGAS KLA"],
        MEMBERS_HEADER[:5],
        ["Lina Kartika", "0812-0000-0011", "Bappeda", "anggota", "K2"],
        ["Tono Wibowo", "0812-0000-0013", "Dinas Sosial", "ketua", "K5"],
        ["Ani Suryani", "12345", "Dinas PUPR", "anggota", "K9"],
        ["Joko Prasetyo", "0812-0000-0012", "Dinas Sosial", "koordinator", "K5"]]))
    preview = (await send_file(cw, SITI, data, "anggota.xlsx"))[-1]
    text = preview.plain
    assert "Anggota (lembar Data Anggota): 2 baru, 0 berubah, 0 tidak berubah" in text
    assert "2 baris salah, tidak akan diimpor:" in text
    assert "baris 4: peran 'ketua' tidak dikenal" in text
    assert "baris 5: telepon: '12345' bukan nomor telepon yang berlaku; klaster K9 tidak dikenal" \
        in text
    await cw.press(SITI, preview, "Terapkan")
    assert await member_named(cw, "Lina Kartika") is not None
    assert await member_named(cw, "Joko Prasetyo") is not None
    assert await member_named(cw, "Tono Wibowo") is None
    assert await member_named(cw, "Ani Suryani") is None
    applied = [d for _, a, d in await audit_actions(cw.world.deps) if a == "import.applied"]
    assert applied[0]["sheets"][0]["bad_rows"] == [4, 5]


async def test_nothing_changes_without_the_apply_press(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    before = await data_snapshot(cw)
    rows = fixture_rows("tugas.csv")
    rows[1][3] = "7"  # K3-17a: 5 → 7 points
    rows = [r for r in rows if r[0] != "K1-4a"]
    preview = (await send_file(cw, SITI, csv_bytes(rows), "tugas.csv"))[-1]
    assert "Tugas (lembar tugas.csv): 0 baru, 1 berubah, 6 tidak berubah" in preview.plain
    assert "1 tugas tidak ada lagi di berkas: K1-4a" in preview.plain
    assert await data_snapshot(cw) == before
    await cw.press(SITI, preview, "Batal")
    assert "Impor dibatalkan. Tidak ada yang berubah." in preview.plain
    assert await data_snapshot(cw) == before
    # The old button (a second press, a forged one) does nothing either.
    pending_id = (await pending(cw))[0].id
    toast = await cw.press_data(SITI, preview, f"imp:apply:{pending_id}")
    assert toast is not None and "sudah tidak berlaku" in toast
    assert await data_snapshot(cw) == before
    actions = [a[1] for a in await audit_actions(cw.world.deps)]
    assert actions[-2:] == ["import.previewed", "import.cancelled"]


async def test_data_changed_between_preview_and_apply_gives_a_new_preview(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    data = csv_bytes([MEMBERS_HEADER[:5],
                      ["Dewi Lestari", "0812 0000 0005", "Disdukcapil Banjar", "anggota", "K1"]])
    preview = (await send_file(cw, SITI, data, "dewi.csv"))[-1]
    assert "0 baru, 1 berubah, 0 tidak berubah" in preview.plain
    deps = cw.world.deps
    async with deps.db.transaction() as s:  # someone else sets the same agency meanwhile
        await s.execute(update(Member).where(Member.id == cw.world.ids[DEWI])
                        .values(agency="Disdukcapil Banjar"))
    before = await data_snapshot(cw)
    fresh = (await cw.press(SITI, preview, "Terapkan"))[-1]
    assert "Data berubah sejak pratinjau dibuat" in preview.plain and preview.buttons == []
    assert "Pratinjau impor dewi.csv" in fresh.plain
    assert "0 baru, 0 berubah, 1 tidak berubah" in fresh.plain
    assert fresh.buttons == ["Terapkan", "Batal"]
    assert await data_snapshot(cw) == before
    assert "import.stale" in [a[1] for a in await audit_actions(deps)]
    await cw.press(SITI, fresh, "Terapkan")
    assert "Impor diterapkan" in fresh.plain


async def test_a_task_dropped_from_a_reimport_is_cancelled_only_when_confirmed(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    world, deps = cw.world, cw.world.deps
    evidence_id = await put_evidence(world, "K3-17a", RINA, pdf_bytes("perda"), "perda.pdf")
    rows = [r for r in fixture_rows("tugas.csv") if r[0] not in ("K3-17a", "K3-13a")]
    preview = (await send_file(cw, SITI, csv_bytes(rows), "tugas-revisi.csv"))[-1]
    assert "2 tugas tidak ada lagi di berkas: K3-13a, K3-17a" in preview.plain
    question = (await cw.press(SITI, preview, "Terapkan"))[-1]
    assert "Impor diterapkan" in preview.plain
    assert "Batalkan tugas ini?" in question.plain
    assert question.buttons == ["Batalkan 2 tugas", "Biarkan"]
    # Applied but not confirmed: nothing is cancelled.
    assert (await task_row(deps, "K3-17a")).state == TaskState.SUBMITTED
    assert (await task_row(deps, "K3-13a")).state == TaskState.OPEN

    await cw.press(SITI, question, "Batalkan 2 tugas")
    assert "2 tugas dibatalkan: K3-13a, K3-17a." in question.plain
    k3_17a = await task_row(deps, "K3-17a")
    assert k3_17a.state == TaskState.CANCELLED
    async with deps.db.transaction() as s:  # kept with its evidence
        evidence = await s.get(Evidence, evidence_id)
        assert evidence is not None and evidence.task_id == k3_17a.id
    cancelled = [d for _, a, d in await audit_actions(deps) if a == "task.cancelled"]
    assert sorted(d["code"] for d in cancelled) == ["K3-13a", "K3-17a"]
    assert {d["previous_state"] for d in cancelled} == {"open", "submitted"}

    # No longer in /tugas, the status counts or the reminders.
    tugas = "\n".join(m.plain for m in await cw.say(RINA, "/tugas"))
    assert "k3-15a" in tugas and "K3-17a" not in tugas
    now = deps.clock.now()
    async with deps.db.transaction() as s:
        report = await build_status(s, deps.workspace, deps.settings, now)
        assert report.tasks.total == 6
        siti = await s.get(Member, world.ids[SITI])
        assert siti is not None
        queued = await reminders.remind_now(s, deps.workspace, deps.settings, siti,
                                            now + timedelta(minutes=1))
        assert queued.queued > 0
    async with deps.db.transaction() as s:
        digests = list(await s.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == OutboxKind.DIGEST)))
        reminded = {i for d in digests for i in d.payload["task_ids"]}
        cancelled_ids = set(await s.scalars(select(Task.id).where(
            Task.state == TaskState.CANCELLED)))
    assert reminded and not reminded & cancelled_ids
    assert (await task_row(deps, "K3-15a")).id in reminded

    # Its file waits for no review; a decision on an old card leaves the task cancelled.
    async with deps.db.transaction() as s:
        ahmad = await s.get(Member, world.ids[AHMAD])
        assert ahmad is not None
        assert (await review.waiting_for(s, deps.workspace, ahmad)).total == 0
        await review.accept(s, deps.workspace, ahmad, evidence_id, deps.clock.now())
    assert (await task_row(deps, "K3-17a")).state == TaskState.CANCELLED

    # Listed again, the tasks are live again, as their files say.
    preview = (await send_file(cw, SITI, csv_bytes(fixture_rows("tugas.csv")), "tugas.csv"))[-1]
    assert "0 baru, 2 berubah, 6 tidak berubah" in preview.plain
    await cw.press(SITI, preview, "Terapkan")
    assert (await task_row(deps, "K3-17a")).state == TaskState.APPROVED
    assert (await task_row(deps, "K3-13a")).state == TaskState.OPEN


async def test_keeping_the_dropped_tasks_cancels_nothing(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    rows = [r for r in fixture_rows("tugas.csv") if r[0] != "K4-19a"]
    preview = (await send_file(cw, SITI, csv_bytes(rows), "tugas.csv"))[-1]
    question = (await cw.press(SITI, preview, "Terapkan"))[-1]
    await cw.press(SITI, question, "Biarkan")
    assert "Tidak ada yang dibatalkan" in question.plain
    assert (await task_row(cw.world.deps, "K4-19a")).state == TaskState.OPEN
    assert "import.kept_missing" in [a[1] for a in await audit_actions(cw.world.deps)]


async def test_a_member_cannot_import_and_is_told_who_can(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    before = await data_snapshot(cw)
    data = csv_bytes([*fixture_rows("anggota.csv"),
                      ["Lina Kartika", "0812-0000-0011", "Bappeda", "anggota", "K2", ""]])
    for who in (RINA, AHMAD):  # a member and a coordinator
        answer = (await send_file(cw, who, data, "anggota.csv"))[-1].plain
        assert "hanya sekretariat Gugus Tugas KLA yang dapat mengimpor data" in answer
        assert "Hj. Siti Rahmah" in answer
    assert await data_snapshot(cw) == before  # not imported, not filed as evidence either
    assert await pending(cw) == []


async def test_a_members_roster_without_roles_from_a_member_is_evidence(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    roster = xlsx_bytes(("Forum Anak", [
        ["Nama", "No. HP", "Instansi"],
        ["Andi Saputra", "0812-0000-0031", "SMPN 1 Martapura"]]))
    answer = (await send_file(cw, RINA, roster, "forum-anak.xlsx"))[-1]
    assert "hanya sekretariat" not in answer.plain
    assert any(d and d.startswith("ev:") for d in answer.callback_data)  # which task?
    assert await pending(cw) == []


async def test_a_spreadsheet_that_is_not_an_import_sheet_is_evidence_as_before(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    data = xlsx_bytes(("Rekap", [["Kecamatan", "Jumlah Akta"], ["Banjarbaru", 1200]]))
    answer = await send_file(cw, SITI, data, "rekap-akta.xlsx")
    assert "Pratinjau impor" not in answer[-1].plain
    assert any(d and d.startswith("ev:") for d in answer[-1].callback_data)
    assert await pending(cw) == []
