"""``/status`` for one coordinator: the status report, narrowed to what they may see.

The figures are the status service's own (``build_status``), so the chat always shows the
numbers of ``python bot.py status --json``. The score is the regency's (it is one score);
every other number — points, task counts, cluster lines, who needs attention and how much
they owe — is of the coordinator's clusters only (of all of them for the secretariat).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot.config import Settings
from kla_bot.domain import CLUSTER_CODES
from kla_bot.models import Member
from kla_bot.services.access import AccessDenied, Scope, overseer_scope, require_cluster
from kla_bot.services.status import (
    ClusterDetail,
    build_status,
    cluster_detail,
    member_statuses,
)
from kla_bot.services.status_model import ClusterStatus, MemberStatus, StatusReport, Totals
from kla_bot.services.workspace import Workspace

BEHIND_SHOWN = 5


@dataclass(frozen=True)
class StatusView:
    report: StatusReport  # the regency's; only its score is shown unscoped
    scope: Scope
    clusters: tuple[ClusterStatus, ...]  # the ones this viewer oversees, catalog order
    totals: Totals  # of those clusters
    behind: tuple[MemberStatus, ...]  # overdue in those clusters, most overdue first


def most_behind(members: tuple[MemberStatus, ...],
                limit: int = BEHIND_SHOWN) -> tuple[MemberStatus, ...]:
    """Members with overdue tasks, most overdue first (then most open): who needs attention.
    Open tasks that are not yet due are no one's fault."""
    owing = [m for m in members if m.counts.overdue]
    owing.sort(key=lambda m: (-m.counts.overdue, -m.counts.open, m.name.casefold()))
    return tuple(owing[:limit])


async def status_for(session: AsyncSession, workspace: Workspace, settings: Settings,
                     viewer: Member, now: datetime) -> StatusView:
    """The regency's score with this coordinator's clusters (everything for the secretariat)."""
    return await view_in_scope(session, workspace, settings, overseer_scope(viewer), now)


async def view_in_scope(session: AsyncSession, workspace: Workspace, settings: Settings,
                        scope: Scope, now: datetime) -> StatusView:
    """The status narrowed to ``scope`` (checked by the caller: a coordinator's clusters, or
    a whole regency a province's officer opened)."""
    report = await build_status(session, workspace, settings, now)
    clusters = tuple(c for c in report.clusters if scope.covers(c.code))
    members = (report.members if scope.clusters is None else
               await member_statuses(session, workspace, report.today,
                                     clusters_only=scope.clusters))
    return StatusView(report, scope, clusters, Totals.of([c.totals for c in clusters]),
                      most_behind(members))


async def cluster_for(session: AsyncSession, workspace: Workspace, settings: Settings,
                      viewer: Member, now: datetime, code: str) -> ClusterDetail:
    """One cluster task by task (``/status K3``), if the viewer oversees it."""
    scope = overseer_scope(viewer)
    code = code.strip().upper()
    if code not in CLUSTER_CODES:
        raise AccessDenied("status.unknown_cluster", code=code, codes=", ".join(CLUSTER_CODES))
    require_cluster(scope, code)
    detail = await cluster_detail(session, workspace, settings, now, code)
    if detail is None:
        raise AccessDenied("status.unknown_cluster", code=code, codes=", ".join(CLUSTER_CODES))
    return detail
