"""The task-force roster for coordinators (``/anggota``): who is registered, who is not yet,
who is unreachable, with their agency and open/overdue counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot.domain import TaskState
from kla_bot.models import Member, MemberCluster, Task
from kla_bot.services.access import overseer_scope
from kla_bot.services.workspace import Workspace


@dataclass(frozen=True)
class RosterEntry:
    name: str
    agency: str
    phone: str
    role: str
    clusters: tuple[str, ...]
    registered: bool
    reachable: bool
    open: int
    overdue: int


@dataclass(frozen=True)
class Roster:
    """Members in three groups, each in name order."""

    not_registered: list[RosterEntry]
    unreachable: list[RosterEntry]
    registered: list[RosterEntry]
    clusters: tuple[str, ...] | None  # None: the whole task force

    @property
    def total(self) -> int:
        return len(self.not_registered) + len(self.unreachable) + len(self.registered)


async def task_counts(session: AsyncSession, workspace: Workspace,
                      today: date) -> dict[int, tuple[int, int]]:
    """Per assignee: (open tasks, overdue tasks) in this cycle, in one query."""
    overdue = (Task.state != TaskState.APPROVED) & (Task.due_date < today)
    rows = await session.execute(
        select(Task.assignee_id,
               func.sum(case((Task.state == TaskState.OPEN, 1), else_=0)),
               func.sum(case((overdue, 1), else_=0)))
        .where(Task.cycle_id == workspace.cycle_id).group_by(Task.assignee_id))
    return {row[0]: (int(row[1] or 0), int(row[2] or 0)) for row in rows}


async def roster(session: AsyncSession, workspace: Workspace, viewer: Member,
                 today: date) -> Roster:
    """The members this coordinator oversees (all of them for the secretariat)."""
    scope = overseer_scope(viewer)
    query = select(Member).where(Member.regency_id == workspace.regency_id)
    if scope.clusters is not None:
        query = query.where(Member.id.in_(select(MemberCluster.member_id).where(
            MemberCluster.cluster_code.in_(scope.clusters))))
    people = list(await session.scalars(query.order_by(Member.name, Member.id)))
    counts = await task_counts(session, workspace, today)
    groups: dict[str, list[RosterEntry]] = {"new": [], "gone": [], "ok": []}
    for m in people:
        open_, overdue = counts.get(m.id, (0, 0))
        registered = m.telegram_user_id is not None
        entry = RosterEntry(m.name, m.agency, m.phone, m.role, tuple(m.cluster_codes),
                            registered, m.reachable, open_, overdue)
        groups["new" if not registered else "ok" if m.reachable else "gone"].append(entry)
    clusters = None if scope.clusters is None else tuple(sorted(scope.clusters))
    return Roster(groups["new"], groups["gone"], groups["ok"], clusters)
