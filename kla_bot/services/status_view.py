"""``/status`` for one coordinator: the status report, narrowed to what they may see.

The figures are the status service's own (``build_overview`` and ``member_statuses``, the
parts of ``build_status``), so the chat always shows the numbers of ``python bot.py status
--json``. The score is the regency's (it is one score); every other number — points, task
counts, cluster lines, who needs attention and how much they owe — is of the coordinator's
clusters only (of all of them for the secretariat).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot.config import Settings
from kla_bot.domain import CLUSTER_CODES
from kla_bot.models import Member
from kla_bot.services.access import (
    AccessDenied,
    Scope,
    Viewer,
    overseer_scope,
    require_cluster,
)
from kla_bot.services.status import ClusterDetail, build_overview, cluster_detail, owing
from kla_bot.services.status_model import Behind, ClusterStatus, Headline, Totals
from kla_bot.services.workspace import Workspace

BEHIND_SHOWN = 5


@dataclass(frozen=True)
class StatusView:
    regency: str
    headline: Headline  # the regency's; only its score is shown unscoped
    scope: Scope
    clusters: tuple[ClusterStatus, ...]  # the ones this viewer oversees, catalog order
    totals: Totals  # of those clusters
    behind: tuple[Behind, ...]  # overdue in those clusters, most overdue first


def most_behind(members: list[Behind], limit: int = BEHIND_SHOWN) -> tuple[Behind, ...]:
    """Members with overdue tasks, most overdue first (then most open, then by name): who
    needs attention. Open tasks not yet due are no one's fault."""
    members = sorted(members, key=lambda m: (-m.counts.overdue, -m.counts.open,
                                             m.name.casefold(), m.phone))
    return tuple(m for m in members if m.counts.overdue)[:limit]


async def status_for(session: AsyncSession, workspace: Workspace, settings: Settings,
                     viewer: Member | Viewer, now: datetime) -> StatusView:
    """The regency's score with this coordinator's clusters (everything for the secretariat)."""
    return await view_in_scope(session, workspace, settings, overseer_scope(viewer), now)


async def view_in_scope(session: AsyncSession, workspace: Workspace, settings: Settings,
                        scope: Scope, now: datetime) -> StatusView:
    """The status narrowed to ``scope`` (checked by the caller: a coordinator's clusters, or
    a whole regency a province's officer opened)."""
    # Not build_status: its member list and evidence are not shown here. Two statements
    # with a few rows each: at 50 coordinators at once every statement and row less is CPU
    # less on the shared event loop.
    headline, every_cluster = await build_overview(session, workspace, settings, now)
    clusters = tuple(c for c in every_cluster if scope.covers(c.code))
    totals = Totals.of([c.totals for c in clusters])
    # Nothing overdue in these clusters: nobody is behind, and no member is read.
    behind = (await owing(session, workspace, headline.today, scope.clusters)
              if totals.counts.overdue else [])
    return StatusView(workspace.regency, headline, scope, clusters, totals,
                      most_behind(behind))


async def cluster_for(session: AsyncSession, workspace: Workspace, settings: Settings,
                      viewer: Member | Viewer, now: datetime, code: str) -> ClusterDetail:
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
