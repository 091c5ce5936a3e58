"""``/status`` for one coordinator: the status report, narrowed to what they may see.

The figures are the status service's own (``build_status``), so the chat always shows the
numbers of ``python bot.py status --json``: the score line is the regency's, the cluster
lines and "most behind" are those of the coordinator's clusters (all for the secretariat).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot.config import Settings
from kla_bot.domain import CLUSTER_CODES
from kla_bot.models import Member
from kla_bot.services.access import AccessDenied, Scope, overseer_scope, require_cluster
from kla_bot.services.status import ClusterDetail, build_status, cluster_detail
from kla_bot.services.status_model import ClusterStatus, MemberStatus, StatusReport
from kla_bot.services.workspace import Workspace

BEHIND_SHOWN = 5


@dataclass(frozen=True)
class StatusView:
    report: StatusReport
    scope: Scope
    clusters: tuple[ClusterStatus, ...]  # the ones this viewer oversees, catalog order
    behind: tuple[MemberStatus, ...]  # members with overdue or open tasks, most behind first


def most_behind(members: tuple[MemberStatus, ...], scope: Scope,
                limit: int = BEHIND_SHOWN) -> tuple[MemberStatus, ...]:
    """Members (of the viewer's clusters) owing the most: overdue first, then open."""
    owing = [m for m in members
             if (m.counts.overdue or m.counts.open)
             and (scope.clusters is None or set(m.clusters) & scope.clusters)]
    owing.sort(key=lambda m: (-m.counts.overdue, -m.counts.open, m.name.casefold()))
    return tuple(owing[:limit])


async def status_for(session: AsyncSession, workspace: Workspace, settings: Settings,
                     viewer: Member, now: datetime) -> StatusView:
    """The regency's status with this coordinator's clusters (everything for the secretariat)."""
    scope = overseer_scope(viewer)
    report = await build_status(session, workspace, settings, now)
    clusters = tuple(c for c in report.clusters if scope.covers(c.code))
    return StatusView(report, scope, clusters, most_behind(report.members, scope))


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
