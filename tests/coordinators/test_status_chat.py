"""/status in chat equals ``status --json``; coordinators see their clusters; members and
strangers are refused every coordinator command; /tugaskan and /anggota."""

from __future__ import annotations

import argparse
import json
from typing import Any

import pytest

from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.cli_data import run_status
from kla_bot.i18n import translator
from kla_bot.services import review
from kla_bot.standin import BotApiStandin
from tests.conftest import START
from tests.coordinators.chat import ChatWorld, chat_world
from tests.coordinators.helpers import (
    AHMAD,
    BUDI,
    DEWI,
    RINA,
    SITI,
    YUSUF,
    audit_actions,
    outbox_rows,
    pdf_bytes,
    put_evidence,
    task_row,
)

ID = translator("id")


async def _decide(cw: ChatWorld, who: int, ev: int, accept: bool) -> None:
    deps = cw.world.deps
    member = await cw.world.member(who)
    async with deps.db.transaction() as s:
        if accept:
            await review.accept(s, deps.workspace, member, ev, deps.clock.now())
        else:
            await review.ask_reason(s, deps.workspace, member, ev, deps.clock.now(),
                                    channel="telegram", chat=str(member.chat_id),
                                    card_message=None)
    if not accept:
        async with deps.db.transaction() as s:
            await review.reject(s, deps.workspace, member, ev, "buram", deps.clock.now())


async def _status_json(settings: Any, capsys: pytest.CaptureFixture[str],
                       monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("KLA_BOT_NOW", START.isoformat())
    capsys.readouterr()
    assert await run_status(argparse.Namespace(json=True), settings) == 0
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


async def test_status_numbers_equal_status_json_after_uploads_and_reviews(
        bot: KlaApplication, standin: BotApiStandin, settings: Any,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    cw = await chat_world(bot, standin)
    w = cw.world
    await _decide(cw, AHMAD, await put_evidence(w, "K3-17a", RINA, pdf_bytes("1"), "a.pdf"), True)
    await put_evidence(w, "K3-15a", RINA, pdf_bytes("2"), "b.pdf")
    await _decide(cw, SITI, await put_evidence(w, "K1-4a", DEWI, pdf_bytes("3"), "c.pdf"), False)
    await _decide(cw, SITI, await put_evidence(w, "K4-19a", BUDI, pdf_bytes("4"), "d.pdf"), True)
    await put_evidence(w, "K5-21a", YUSUF, pdf_bytes("5"), "e.pdf")
    data = await _status_json(settings, capsys, monkeypatch)
    answers = await cw.say(SITI, "/status")
    text, photo = answers[0].plain, answers[1]
    s = data["score"]
    assert (f"Nilai kabupaten: terakhir {ID.num(s['last'])} · target {s['target_predicate']} "
            f"{s['target']} · kurang {ID.num(s['gap'])} poin") in text
    assert (f"Disetujui {ID.num(s['approved_points'])} · 🟡 menunggu tinjauan "
            f"{ID.num(s['submitted_points'])} · ⬜ terbuka {ID.num(s['open_points'])} poin") in text
    assert (f"Proyeksi {ID.num(s['projected'])} · masih perlu {ID.num(s['still_needed'])}"
            in text)
    tasks = data["tasks"]
    assert (f"Tugas: {tasks['total']} · terbuka {tasks['open']} · menunggu tinjauan "
            f"{tasks['submitted']}"
            f" · disetujui {tasks['approved']} · lewat tenggat {tasks['overdue']}") in text
    for c in data["clusters"]:
        line = (f"{c['code']} {c['name']}: {c['approved']}/{c['submitted']}/{c['open']} · "
                f"{ID.num(c['approved_points'])}/{ID.num(c['points'])} poin")
        assert line in text, line
    assert s["approved_points"] == 9 and s["submitted_points"] == 6  # the script's own sums
    assert f"H-{data['days_left']}" in text
    behind = sorted((m for m in data["members"] if m["overdue"]),
                    key=lambda m: (-m["overdue"], -m["open"], m["name"].casefold()))[:5]
    assert behind or "Tidak ada tugas yang lewat tenggat" in text
    for m in behind:
        assert (f"• {m['name']} ({m['agency']}): {m['overdue']} lewat tenggat, "
                f"{m['open']} terbuka") in text
    assert photo.method == "sendPhoto" and photo.photo is not None
    assert photo.photo.file_size > 20_000


async def test_coordinator_sees_own_clusters_and_one_cluster_task_by_task(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    text = (await cw.say(AHMAD, "/status"))[0].plain
    assert "Klaster Bapak/Ibu: K3" in text and "K3 Kesehatan" in text and "K1 Hak Sipil" not in text
    detail = (await cw.say(YUSUF, "/status k5"))[0].plain
    assert "K5 Perlindungan Khusus" in detail and "K5-21a" in detail
    k3 = (await cw.say(AHMAD, "/status K3"))[0].plain
    assert [code for code in ("K3-17a", "k3-15a", "K3-13a") if code in k3] == \
        ["K3-17a", "k3-15a", "K3-13a"]
    assert "bukan klaster yang Bapak/Ibu koordinasikan" in \
        (await cw.say(AHMAD, "/status K1"))[0].plain
    assert "tidak dikenal" in (await cw.say(SITI, "/status K9"))[0].plain


COORDINATOR_COMMANDS = ["/status", "/status K3", "/tinjau", "/review",
                        "/tugaskan K3-17a 0812-0000-0004", "/tugaskan", "/assign K3-17a x",
                        "/anggota", "/members"]


async def test_a_member_is_denied_every_coordinator_command(bot: KlaApplication,
                                                           standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin, register=(1, 2, 3, 4, 5, 6))
    for command in COORDINATOR_COMMANDS:
        answers = await cw.say(RINA, command)
        assert [m.plain for m in answers] == [
            "Maaf, perintah ini hanya untuk koordinator klaster dan sekretariat Gugus Tugas KLA."
        ], command
    for command in ("/laporan", "/report"):
        for who in (RINA, AHMAD):
            assert (await cw.say(who, command))[-1].plain == \
                "Maaf, perintah ini hanya untuk sekretariat Gugus Tugas KLA."
    assert all(m.method == "sendMessage" for m in cw.chats[RINA].messages())
    assert (await task_row(cw.world.deps, "K3-17a")).assignee_id == cw.world.ids[RINA]


async def test_a_stranger_is_asked_to_register(bot: KlaApplication,
                                               standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin, register=(2, 3))
    for command in ("/status", "/tinjau", "/anggota", "/laporan", "/tugaskan K3-17a 1"):
        assert "belum terdaftar" in (await cw.say(DEWI, command))[-1].plain


async def test_reassign_within_the_cluster_tells_both_members(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    done = (await cw.say(AHMAD, "/tugaskan k3-17A 0812-0000-0004"))[-1].plain
    assert "dialihkan dari Rina Marlina ke Budi Santoso" in done
    assert (await task_row(cw.world.deps, "K3-17a")).assignee_id == cw.world.ids[BUDI]
    await cw.drain()
    assert "dialihkan ke Budi Santoso oleh dr. Ahmad Fauzi" in cw.last(RINA).plain
    budi = cw.last(BUDI)
    assert "sekarang menjadi tanggung jawab Bapak/Ibu" in budi.plain
    assert budi.buttons == ["📤 Kirim berkas"]
    assert [a[1] for a in await audit_actions(cw.world.deps)][-1] == "task.reassign"
    assert "bukan anggota klaster K3" in \
        (await cw.say(AHMAD, "/tugaskan K3-17a 0812-0000-0005"))[-1].plain
    assert "K1 bukan klaster" in (await cw.say(AHMAD, "/tugaskan K1-4a 0812-0000-0005"))[-1].plain
    assert "tidak ditemukan" in (await cw.say(AHMAD, "/tugaskan X-1 0812-0000-0004"))[-1].plain
    assert "Cara pakai" in (await cw.say(AHMAD, "/tugaskan"))[-1].plain
    assert len(await outbox_rows(cw.world.deps, "task.reassigned")) == 2


async def test_roster_groups_registered_not_yet_and_unreachable(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin, register=(1, 2, 3, 6))
    deps = cw.world.deps
    async with deps.db.transaction() as s:
        yusuf = await s.get(type(await cw.world.member(YUSUF)), cw.world.ids[YUSUF])
        assert yusuf is not None
        yusuf.reachable = False
    text = "\n".join(m.plain for m in await cw.say(SITI, "/anggota"))
    not_yet = text.split("Belum terdaftar")[1].split("Tidak dapat dihubungi")[0]
    gone = text.split("Tidak dapat dihubungi")[1].split("Terdaftar (")[0]
    assert "Budi Santoso" in not_yet and "Dewi Lestari" in not_yet
    assert "+6281200000004" in not_yet and "Yusuf Maulana" in gone
    assert "Budi Santoso (anggota) — Dinas Pendidikan" in not_yet and "1 lewat tenggat" in not_yet
    k3 = "\n".join(m.plain for m in await cw.say(AHMAD, "/members"))
    assert "klaster K3" in k3 and "Dewi Lestari" not in k3 and "Budi Santoso" in k3
