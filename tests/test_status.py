"""The status report: the documented JSON shape, points and overdue in local time, few queries."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, select, update

from kla_bot.clock import ManualClock
from kla_bot.deps import Deps
from kla_bot.i18n import translator
from kla_bot.models import Evidence, Member, Task
from kla_bot.services.status import build_headline, build_status, cluster_detail
from kla_bot.status_text import render_status
from tests.conftest import WITA
from tests.import_helpers import import_fixtures


def _cluster(code: str, name: str, name_en: str, total: int, points: float | int,
             overdue: int = 0) -> dict[str, Any]:
    return {"code": code, "name": name, "name_en": name_en, "total": total, "open": total,
            "submitted": 0, "approved": 0, "overdue": overdue, "points": points,
            "approved_points": 0, "submitted_points": 0, "open_points": points}


def _member(name: str, agency: str, n: int, role: str, clusters: list[str], open_: int,
            overdue: int = 0) -> dict[str, Any]:
    return {"name": name, "agency": agency, "phone": f"+628120000000{n}", "role": role,
            "clusters": clusters, "registered": False, "reachable": True, "open": open_,
            "overdue": overdue, "submitted": 0, "approved": 0, "total": open_}


EXPECTED = {
    "regency": "Kabupaten Banjar", "verification_date": "2025-05-16",
    "timezone": "Asia/Makassar", "today": "2025-05-05", "days_left": 11,
    "score": {"last": 685, "target_predicate": "Nindya", "target": 701, "gap": 16,
              "approved_points": 0, "submitted_points": 0, "open_points": 23.5,
              "projected": 685, "still_needed": 16, "potential": 708.5,
              "projected_predicate": "Madya"},
    "tasks": {"total": 8, "open": 8, "submitted": 0, "approved": 0, "overdue": 1},
    "clusters": [
        _cluster("KL", "Kelembagaan", "Institutional", 1, 2),
        _cluster("K1", "Hak Sipil dan Kebebasan", "Civil Rights and Freedoms", 1, 3),
        _cluster("K2", "Lingkungan Keluarga dan Pengasuhan Alternatif",
                 "Family Environment and Alternative Care", 1, 1.5),
        _cluster("K3", "Kesehatan Dasar dan Kesejahteraan", "Basic Health and Welfare", 3, 10.5),
        _cluster("K4", "Pendidikan, Pemanfaatan Waktu Luang dan Kegiatan Budaya",
                 "Education, Leisure and Cultural Activities", 1, 4, overdue=1),
        _cluster("K5", "Perlindungan Khusus", "Special Protection", 1, 2.5),
    ],
    "members": [
        _member("Budi Santoso", "Dinas Pendidikan", 4, "member", ["K3", "K4"], 1, overdue=1),
        _member("Dewi Lestari", "Disdukcapil", 5, "member", ["K1"], 1),
        _member("dr. Ahmad Fauzi", "Dinas Kesehatan", 2, "coordinator", ["K3"], 1),
        _member("Hj. Siti Rahmah", "Dinsos P3AP2KB", 1, "secretariat",
                ["K1", "K2", "K3", "K4", "K5", "KL"], 2),
        _member("Rina Marlina", "Dinas Kesehatan", 3, "member", ["K3"], 2),
        _member("Yusuf Maulana", "Dinas PUPR", 6, "coordinator", ["K3", "K5"], 1),
    ],
    "evidence": [],
}


async def _status(deps: Deps) -> dict[str, Any]:
    async with deps.db.transaction() as s:
        report = await build_status(s, deps.workspace, deps.settings, deps.clock.now())
    return report.to_json()


async def test_status_json_of_the_imported_fixtures_is_exactly_the_documented_shape(
        deps: Deps) -> None:
    await import_fixtures(deps)
    assert await _status(deps) == EXPECTED


async def test_an_empty_workspace_lists_all_six_clusters_with_zeros(deps: Deps) -> None:
    status = await _status(deps)
    assert [c["code"] for c in status["clusters"]] == ["KL", "K1", "K2", "K3", "K4", "K5"]
    assert all(c["total"] == 0 and c["points"] == 0 for c in status["clusters"])
    assert status["tasks"] == {"total": 0, "open": 0, "submitted": 0, "approved": 0,
                               "overdue": 0}
    assert status["score"]["gap"] == 16 and status["members"] == []


async def _review(deps: Deps) -> None:
    """K3-17a approved (5 points) with its file; k3-15a submitted (3.5) waiting for review."""
    async with deps.db.transaction() as s:
        tasks = {t.code_key: t for t in await s.scalars(select(Task))}
        uploaded = datetime(2025, 5, 5, 2, 30, 15, tzinfo=WITA)
        for code, state, sha in (("K3-17A", "approved", "a"), ("K3-15A", "submitted", "b")):
            tasks[code].state = state
            s.add(Evidence(task_id=tasks[code].id, uploaded_by_id=tasks[code].assignee_id,
                           sha256=sha * 64, size_bytes=1234, mime="application/pdf",
                           original_name="x.pdf", storage_key=sha, state=state,
                           uploaded_at=uploaded))
        await s.execute(update(Member).where(Member.phone == "+6281200000003")
                        .values(telegram_user_id=5003, chat_id=5003))


async def test_only_approved_points_count_towards_the_projection(deps: Deps) -> None:
    await import_fixtures(deps)
    await _review(deps)
    status = await _status(deps)
    assert status["score"] == {
        "last": 685, "target_predicate": "Nindya", "target": 701, "gap": 16,
        "approved_points": 5, "submitted_points": 3.5, "open_points": 15, "projected": 690,
        "still_needed": 11, "potential": 708.5, "projected_predicate": "Madya"}
    assert status["tasks"] == {"total": 8, "open": 6, "submitted": 1, "approved": 1,
                               "overdue": 1}
    k3 = status["clusters"][3]
    assert (k3["total"], k3["open"], k3["submitted"], k3["approved"], k3["points"],
            k3["approved_points"], k3["submitted_points"], k3["open_points"]) == (
        3, 1, 1, 1, 10.5, 5, 3.5, 2)
    rina = next(m for m in status["members"] if m["name"] == "Rina Marlina")
    assert (rina["registered"], rina["open"], rina["submitted"], rina["approved"]) == (
        True, 0, 1, 1)
    assert status["evidence"] == [
        {"task": "K3-17a", "sha256": "a" * 64, "bytes": 1234, "mime": "application/pdf",
         "state": "approved", "uploaded_by": "+6281200000003",
         "uploaded_at": "2025-05-04T18:30:15Z"},
        {"task": "k3-15a", "sha256": "b" * 64, "bytes": 1234, "mime": "application/pdf",
         "state": "submitted", "uploaded_by": "+6281200000003",
         "uploaded_at": "2025-05-04T18:30:15Z"},
    ]


async def test_overdue_follows_the_local_calendar(deps: Deps, clock: ManualClock) -> None:
    await import_fixtures(deps)  # KL-2a and K3-17a/K1-4a are due Thu 8 / Fri 9 May
    clock.set(datetime(2025, 5, 8, 23, 59, tzinfo=WITA))  # still the 8th in Banjar
    assert (await _status(deps))["tasks"]["overdue"] == 1
    clock.set(datetime(2025, 5, 9, 0, 1, tzinfo=WITA))  # 16:01 UTC on the 8th
    status = await _status(deps)
    assert (status["today"], status["days_left"], status["tasks"]["overdue"]) == (
        "2025-05-09", 7, 2)
    await _review(deps)  # an approved task is never overdue, a submitted one still is
    clock.set(datetime(2025, 5, 15, 9, 0, tzinfo=WITA))
    status = await _status(deps)
    assert status["tasks"]["overdue"] == 7
    assert status["clusters"][0]["overdue"] == 1


async def test_cluster_detail_lists_tasks_open_first_then_by_due_date(deps: Deps) -> None:
    await import_fixtures(deps)
    await _review(deps)
    async with deps.db.transaction() as s:
        detail = await cluster_detail(s, deps.workspace, deps.settings, deps.clock.now(), "k3")
        assert await cluster_detail(s, deps.workspace, deps.settings, deps.clock.now(),
                                    "K9") is None
    assert detail is not None
    assert detail.cluster.code == "K3" and detail.cluster.totals.counts.total == 3
    assert [(t.code, t.state, t.due, t.overdue) for t in detail.tasks] == [
        ("K3-13a", "open", date(2025, 5, 14), False),
        ("k3-15a", "submitted", date(2025, 5, 14), False),
        ("K3-17a", "approved", date(2025, 5, 9), False),
    ]
    first = detail.tasks[0]
    assert (first.indicator, first.indicator_name, first.points, first.assignee_name,
            first.assignee_phone) == (13, "Prevalensi Status Gizi Balita", Decimal("2"),
                                      "dr. Ahmad Fauzi", "+6281200000002")


async def test_headline_matches_the_full_report(deps: Deps) -> None:
    await import_fixtures(deps)
    await _review(deps)
    async with deps.db.transaction() as s:
        report = await build_status(s, deps.workspace, deps.settings, deps.clock.now())
        headline = await build_headline(s, deps.workspace, deps.settings, deps.clock.now())
    assert headline == report.headline
    assert (headline.days_left, headline.score.still_needed, headline.score.reached) == (
        11, Decimal("11"), False)


async def _count_queries(deps: Deps) -> int:
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(deps.db.engine.sync_engine, "before_cursor_execute", count)
    try:
        async with deps.db.transaction() as s:
            await build_status(s, deps.workspace, deps.settings, deps.clock.now())
    finally:
        event.remove(deps.db.engine.sync_engine, "before_cursor_execute", count)
    return len([q for q in statements if q.lstrip().upper().startswith("SELECT")])


async def test_the_number_of_queries_does_not_grow_with_the_data(deps: Deps) -> None:
    await import_fixtures(deps)
    small = await _count_queries(deps)
    now = deps.clock.now()
    async with deps.db.transaction() as s:
        members = [Member(regency_id=deps.workspace.regency_id, name=f"Anggota {i}",
                          phone=f"+62812100{i:05d}", agency="OPD", role="member",
                          reachable=True, created_at=now, updated_at=now) for i in range(60)]
        s.add_all(members)
        await s.flush()
        s.add_all(Task(cycle_id=deps.workspace.cycle_id, code=f"T-{i}", code_key=f"T-{i}",
                       indicator_number=1 + i % 24, title="x", points=Decimal("0.5"),
                       assignee_id=members[i % 60].id, due_date=date(2025, 5, 1 + i % 14),
                       state=("open", "submitted", "approved")[i % 3], created_at=now,
                       updated_at=now) for i in range(300))
    assert await _count_queries(deps) == small
    status = await _status(deps)
    assert status["tasks"]["total"] == 308 and len(status["members"]) == 66


async def test_the_table_fits_a_100_column_terminal(deps: Deps) -> None:
    await import_fixtures(deps)
    await _review(deps)
    async with deps.db.transaction() as s:
        report = await build_status(s, deps.workspace, deps.settings, deps.clock.now())
    text = render_status(report, translator("id"))
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 100
    assert lines[:4] == [
        "Kabupaten Banjar · verifikasi 2025-05-16 (Asia/Makassar)",
        "Hari ini 2025-05-05 · 11 hari lagi",
        "Nilai: terakhir 685 · target Nindya 701 · kurang 16",
        "Poin: disetujui 5 · menunggu tinjauan 3,5 · terbuka 15 · proyeksi 690 · masih perlu 11",
    ]
    assert lines[5].split() == ["Klaster", "Tugas", "Buka", "Menunggu", "Setuju", "Lewat", "Poin",
                                "Disetujui"]
    assert any(line.startswith("K3  Kesehatan Dasar") and line.split()[-2:] == ["10,5", "5"]
               for line in lines)
    behind = lines.index("Anggota (6, paling banyak lewat tenggat dulu)") + 2
    assert lines[behind].startswith("Budi Santoso")  # the one with an overdue task
    assert lines[behind].split()[-4:] == ["anggota", "belum", "1", "1"]
    assert "Berkas data dukung (2)" in lines
    assert any(line.startswith("K3-17a       disetujui") for line in lines)


async def test_the_table_in_english_keeps_its_columns(deps: Deps) -> None:
    await import_fixtures(deps)
    await _review(deps)
    async with deps.db.transaction() as s:
        report = await build_status(s, deps.workspace, deps.settings, deps.clock.now())
    lines = render_status(report, translator("en")).splitlines()
    assert max(len(line) for line in lines) <= 100
    assert lines[:4] == [
        "Kabupaten Banjar · verification 2025-05-16 (Asia/Makassar)",
        "Today 2025-05-05 · 11 days left",
        "Score: last 685 · target Nindya 701 · gap 16",
        "Points: approved 5 · waiting for review 3.5 · open 15 · projected 690 · still needed 11",
    ]
    assert lines[5] == ("Cluster                                      Tasks  Open Waiting  Appr"
                        " Overdue   Points  Approved")
    behind = lines.index("Members (6, most overdue first)") + 2
    assert lines[behind].startswith("Budi Santoso")
    assert "Files of supporting evidence (2)" in lines


async def test_a_coordinators_view_is_the_reports_numbers_narrowed_in_two_queries(
        deps: Deps, clock: ManualClock) -> None:
    from kla_bot.services.status import member_statuses
    from kla_bot.services.status_view import status_for

    await import_fixtures(deps)
    await _review(deps)
    # K3-13a and K5-21a (due the 14th, open) are late, and Rina's K3-15a (submitted, with
    # the default due date); so is Budi's K4-19a, outside K3/K5.
    clock.set(datetime(2025, 5, 15, 9, 0, tzinfo=WITA))
    now = deps.clock.now()
    statements: list[str] = []

    def note(*args: object) -> None:
        statements.append(str(args[2]).lstrip().upper())

    async with deps.db.transaction() as s:
        report = await build_status(s, deps.workspace, deps.settings, now)
        yusuf = await s.scalar(select(Member).where(Member.name == "Yusuf Maulana"))
        assert yusuf is not None and yusuf.cluster_codes == ["K3", "K5"]
        event.listen(deps.db.engine.sync_engine, "before_cursor_execute", note)
        try:
            view = await status_for(s, deps.workspace, deps.settings, yusuf, now)
        finally:
            event.remove(deps.db.engine.sync_engine, "before_cursor_execute", note)
        scoped = await member_statuses(s, deps.workspace, report.today,
                                       clusters_only=frozenset({"K3", "K5"}))
    # Neither the whole member list nor the evidence is read for a chat's /status.
    assert len([q for q in statements if q.startswith("SELECT")]) == 2
    assert not any("EVIDENCE" in q for q in statements)
    assert (view.regency, view.headline) == (report.regency, report.headline)
    assert view.clusters == tuple(c for c in report.clusters if c.code in ("K3", "K5"))
    # Who is behind: the report's members with overdue tasks in K3/K5, most overdue first,
    # then most open, then by name — with the report's own counts.
    owing = sorted((m for m in scoped if m.counts.overdue),
                   key=lambda m: (-m.counts.overdue, -m.counts.open, m.name.casefold()))
    assert [(b.id, b.name, b.agency, b.counts) for b in view.behind] == [
        (m.id, m.name, m.agency, m.counts) for m in owing[:5]]
    assert [b.name for b in view.behind] == ["dr. Ahmad Fauzi", "Yusuf Maulana", "Rina Marlina"]


async def test_with_nothing_overdue_in_the_clusters_no_member_is_read(deps: Deps) -> None:
    """On the 5th only Budi's K4-19a is late: Yusuf (K3, K5) has nobody behind, and his
    /status reads the cluster figures alone."""
    from kla_bot.services.status_view import status_for

    await import_fixtures(deps)
    statements: list[str] = []

    def note(*args: object) -> None:
        statements.append(str(args[2]).lstrip().upper())

    async with deps.db.transaction() as s:
        yusuf = await s.scalar(select(Member).where(Member.name == "Yusuf Maulana"))
        assert yusuf is not None
        event.listen(deps.db.engine.sync_engine, "before_cursor_execute", note)
        try:
            view = await status_for(s, deps.workspace, deps.settings, yusuf, deps.clock.now())
        finally:
            event.remove(deps.db.engine.sync_engine, "before_cursor_execute", note)
        report = await build_status(s, deps.workspace, deps.settings, deps.clock.now())
    assert [q.split()[0] for q in statements] == ["SELECT"]
    assert view.behind == ()
    assert report.headline.tasks.overdue == 1  # Budi's, in K4


async def test_a_member_without_clusters_is_still_listed(deps: Deps) -> None:
    await import_fixtures(deps)
    now = deps.clock.now()
    async with deps.db.transaction() as s:
        s.add(Member(regency_id=deps.workspace.regency_id, name="Anggota Baru",
                     phone="+6281299999999", agency="Bappeda", role="member", reachable=True,
                     created_at=now, updated_at=now))
    members = (await _status(deps))["members"]
    assert [m["name"] for m in members][:2] == ["Anggota Baru", "Budi Santoso"]
    assert members[0]["clusters"] == [] and members[0]["total"] == 0
    siti = next(m for m in members if m["name"] == "Hj. Siti Rahmah")
    assert siti["clusters"] == ["K1", "K2", "K3", "K4", "K5", "KL"]
