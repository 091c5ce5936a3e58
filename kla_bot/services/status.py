"""Where the task force stands: points secured against the gap, per cluster, per member.

Shared by ``python bot.py status [--json]``, the coordinators' ``/status`` and the morning
brief. Every figure comes from a fixed number of aggregate queries (GROUP BY), whatever the
number of members and tasks. Progress counts only approved evidence (``projected``);
submitted points are shown apart because a coordinator may still reject them.

Definitions: *overdue* is the rule of ``services.overdue``; a member's *open* = their tasks
in state ``open`` (submitted ones wait for a coordinator, not for them). ``clusters`` always
lists all six catalog groups in catalog order, empty ones with zeros, so charts and tables
keep their shape.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, Row, bindparam, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot.clock import days_left as days_until
from kla_bot.config import Settings
from kla_bot.db import plain_rows
from kla_bot.domain import TaskState
from kla_bot.models import Cluster, Evidence, Indicator, Member, MemberCluster, Task
from kla_bot.services.catalog import load_catalog
from kla_bot.services.overdue import is_overdue, last_due, overdue_count, overdue_count_by
from kla_bot.services.status_model import (
    Behind,
    ClusterDetail,
    ClusterStatus,
    EvidenceLine,
    Headline,
    MemberStatus,
    Score,
    StatusReport,
    Tally,
    TaskCounts,
    TaskLine,
)
from kla_bot.services.workspace import Workspace

__all__ = ["ClusterDetail", "ClusterStatus", "EvidenceLine", "Headline", "MemberStatus",
           "Score", "StatusReport", "TaskCounts", "TaskLine", "build_headline", "build_overview",
           "build_status", "cluster_detail"]

# Cancelled tasks (dropped by the secretariat) are kept but counted nowhere.
COUNTED = Task.state != TaskState.CANCELLED.value

# Built once, bound per call: /status asks them often. ``last_due``: ``overdue.last_due``.
_LAST_DUE = bindparam("last_due", type_=Date)
_BY_CLUSTER = (
    select(Indicator.cluster_code, Task.state, func.count(), func.sum(Task.points),
           func.sum(overdue_count_by(_LAST_DUE)))
    .join(Indicator, Task.indicator_number == Indicator.number)
    .where(Task.cycle_id == bindparam("cycle_id"), COUNTED)
    .group_by(Indicator.cluster_code, Task.state))
# Members with overdue tasks (in some clusters), one row each with their counts.
_OWING = (
    select(Member.id, Member.name, Member.agency, Member.phone, func.count(),
           *(func.sum(case((Task.state == state, 1), else_=0))
             for state in (TaskState.OPEN, TaskState.SUBMITTED, TaskState.APPROVED)),
           func.sum(overdue_count_by(_LAST_DUE)))
    .join(Member, Task.assignee_id == Member.id)
    .where(Task.cycle_id == bindparam("cycle_id"), COUNTED)
    .group_by(Member.id)
    .having(func.sum(overdue_count_by(_LAST_DUE)) > 0))
_OWING_IN_CLUSTERS = _OWING.join(Indicator, Task.indicator_number == Indicator.number).where(
    Indicator.cluster_code.in_(bindparam("clusters", expanding=True)))


async def owing(session: AsyncSession, workspace: Workspace, today: date,
                clusters: frozenset[str] | None = None) -> list[Behind]:
    """The members with overdue tasks and their task counts (of ``clusters`` only, if
    given), in no order: one statement, one row per such member."""
    params: dict[str, Any] = {"cycle_id": workspace.cycle_id, "last_due": last_due(today)}
    query = _OWING
    if clusters is not None:
        query, params["clusters"] = _OWING_IN_CLUSTERS, sorted(clusters)
    rows = await plain_rows(session, query, params)
    return [Behind(member_id, name, agency, phone,
                   TaskCounts(int(total), int(open_), int(submitted), int(approved), int(late)))
            for member_id, name, agency, phone, total, open_, submitted, approved, late in rows]


async def build_status(session: AsyncSession, workspace: Workspace, settings: Settings,
                       now: datetime) -> StatusReport:
    """The whole picture: score, tasks per state and cluster, members, evidence."""
    head, cluster_lines = await build_overview(session, workspace, settings, now)
    return StatusReport(
        regency=workspace.regency, verification_date=head.verification_date,
        timezone=settings.verification.timezone, today=head.today, days_left=head.days_left,
        score=head.score, tasks=head.tasks, clusters=cluster_lines,
        members=await member_statuses(session, workspace, head.today),
        evidence=await _evidence(session, workspace))


async def build_overview(session: AsyncSession, workspace: Workspace, settings: Settings,
                         now: datetime) -> tuple[Headline, tuple[ClusterStatus, ...]]:
    """The headline and every cluster's line, in one query: no member and no file is read
    (``/status`` reads the members most behind itself: ``owing``)."""
    today = now.astimezone(settings.tz).date()
    per_cluster = await _tallies_by_cluster(session, workspace, today)
    total = Tally()
    for tally in per_cluster.values():
        total.add(tally)
    # The shipped catalog is what sync_catalog wrote into the clusters table at start, in
    # this order: the same names without a query.
    cluster_lines = tuple(
        ClusterStatus(c.code, c.name, c.name_en, per_cluster.get(c.code, Tally()).freeze())
        for c in load_catalog().clusters)
    head = Headline(today=today, verification_date=workspace.verification_date,
                    days_left=days_until(today, workspace.verification_date),
                    score=_score(settings, total), tasks=total.freeze().counts)
    return head, cluster_lines


async def build_headline(session: AsyncSession, workspace: Workspace, settings: Settings,
                         now: datetime) -> Headline:
    """Days left, points approved/submitted/open, projected score and what is still needed."""
    head, _ = await build_overview(session, workspace, settings, now)
    return head


async def cluster_detail(session: AsyncSession, workspace: Workspace, settings: Settings,
                         now: datetime, cluster_code: str) -> ClusterDetail | None:
    """One cluster's tasks one by one (open first, then by due date); None for an unknown code."""
    today = now.astimezone(settings.tz).date()
    cluster = await session.get(Cluster, cluster_code.strip().upper())
    if cluster is None:
        return None
    rows = await session.execute(
        select(Task.id, Task.code, Task.indicator_number, Indicator.name, Task.title,
               Task.points, Task.assignee_id, Member.name, Member.phone, Member.agency,
               Task.state, Task.due_date)
        .join(Indicator, Task.indicator_number == Indicator.number)
        .join(Member, Task.assignee_id == Member.id)
        .where(Task.cycle_id == workspace.cycle_id, Indicator.cluster_code == cluster.code,
               COUNTED))
    order = {TaskState.OPEN.value: 0, TaskState.SUBMITTED.value: 1, TaskState.APPROVED.value: 2}
    lines = sorted(
        (TaskLine(id=r[0], code=r[1], indicator=r[2], indicator_name=r[3], title=r[4],
                  points=r[5], assignee_id=r[6], assignee_name=r[7], assignee_phone=r[8],
                  agency=r[9], state=r[10], due=r[11],
                  overdue=is_overdue(r[10], r[11], today))
         for r in rows),
        key=lambda t: (order.get(t.state, 3), t.due, t.code.upper()))
    tally = Tally()
    for line in lines:
        tally.count(line.state, line.points, line.overdue)
    return ClusterDetail(ClusterStatus(cluster.code, cluster.name, cluster.name_en,
                                       tally.freeze()), tuple(lines))


async def _tallies_by_cluster(session: AsyncSession, workspace: Workspace,
                              today: date) -> dict[str, Tally]:
    rows = await plain_rows(session, _BY_CLUSTER, {"cycle_id": workspace.cycle_id,
                                                   "last_due": last_due(today)})
    tallies: dict[str, Tally] = defaultdict(Tally)
    for code, state, count, points, overdue in rows:
        tallies[code].count(state, Decimal(points or 0), int(overdue or 0), n=int(count))
    return tallies


def _score(settings: Settings, total: Tally) -> Score:
    v = settings.verification
    frozen = total.freeze()
    return Score.compute(last=Decimal(str(v.last_score)), target_predicate=v.target_predicate,
                         approved=frozen.approved_points, submitted=frozen.submitted_points,
                         open_=frozen.open_points)


async def member_statuses(session: AsyncSession, workspace: Workspace, today: date,
                          clusters_only: frozenset[str] | None = None,
                          ) -> tuple[MemberStatus, ...]:
    """Every member with their task counts, in name order (two queries in all); with
    ``clusters_only``, the counts are of the tasks in those clusters only."""
    # One row per member and cluster (a member without clusters: one row, code None).
    rows = await session.execute(
        select(Member.id, Member.name, Member.agency, Member.phone, Member.role,
               Member.telegram_user_id, Member.reachable, MemberCluster.cluster_code)
        .outerjoin(MemberCluster, MemberCluster.member_id == Member.id)
        .where(Member.regency_id == workspace.regency_id)
        .order_by(MemberCluster.cluster_code))
    by_id: dict[int, Row[int, str, str, str, str, int | None, bool, str]] = {}
    clusters: dict[int, list[str]] = defaultdict(list)
    for row in rows:
        by_id.setdefault(row.id, row)
        if row.cluster_code is not None:
            clusters[row.id].append(row.cluster_code)
    # Sorted here, not in SQL: collations differ between SQLite and PostgreSQL.
    members = sorted(by_id.values(), key=lambda m: (m.name.casefold(), m.phone))
    per_member: dict[int, Tally] = defaultdict(Tally)
    counted = (select(Task.assignee_id, Task.state, func.count(), func.sum(Task.points),
                      func.sum(overdue_count(today)))
               .where(Task.cycle_id == workspace.cycle_id, COUNTED)
               .group_by(Task.assignee_id, Task.state))
    if clusters_only is not None:
        counted = counted.join(Indicator, Task.indicator_number == Indicator.number).where(
            Indicator.cluster_code.in_(clusters_only))
    for member_id, state, count, points, overdue in await session.execute(counted):
        per_member[member_id].count(state, Decimal(points or 0), int(overdue or 0),
                                    n=int(count))
    return tuple(
        MemberStatus(id=m.id, name=m.name, agency=m.agency, phone=m.phone, role=m.role,
                     clusters=tuple(clusters.get(m.id, ())),
                     registered=m.telegram_user_id is not None, reachable=m.reachable,
                     counts=per_member.get(m.id, Tally()).freeze().counts)
        for m in members)


async def _evidence(session: AsyncSession, workspace: Workspace) -> tuple[EvidenceLine, ...]:
    rows = await session.execute(
        select(Evidence.id, Task.code, Evidence.sha256, Evidence.size_bytes, Evidence.mime,
               Evidence.state, Member.phone, Evidence.uploaded_at)
        .join(Task, Evidence.task_id == Task.id)
        .join(Member, Evidence.uploaded_by_id == Member.id)
        .where(Task.cycle_id == workspace.cycle_id)
        .order_by(Evidence.uploaded_at, Evidence.id))
    return tuple(EvidenceLine(id=r[0], task=r[1], sha256=r[2], bytes=r[3], mime=r[4],
                              state=r[5], uploaded_by=r[6], uploaded_at=r[7]) for r in rows)
