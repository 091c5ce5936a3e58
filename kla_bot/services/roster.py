"""The task-force roster for coordinators (``/anggota``): who is registered, who is not yet,
who is unreachable, with their agency and open/overdue counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot.models import Member
from kla_bot.services.access import overseer_scope
from kla_bot.services.status import MemberStatus, member_statuses
from kla_bot.services.workspace import Workspace


@dataclass(frozen=True)
class Roster:
    """Members in three groups, each in name order."""

    not_registered: list[MemberStatus]
    unreachable: list[MemberStatus]
    registered: list[MemberStatus]
    clusters: tuple[str, ...] | None  # None: the whole task force

    @property
    def total(self) -> int:
        return len(self.not_registered) + len(self.unreachable) + len(self.registered)


async def roster(session: AsyncSession, workspace: Workspace, viewer: Member,
                 today: date) -> Roster:
    """The members this coordinator oversees (all of them for the secretariat)."""
    scope = overseer_scope(viewer)
    groups: dict[str, list[MemberStatus]] = {"new": [], "gone": [], "ok": []}
    for m in await member_statuses(session, workspace, today):
        if scope.clusters is not None and not scope.clusters.intersection(m.clusters):
            continue
        groups["new" if not m.registered else "ok" if m.reachable else "gone"].append(m)
    clusters = None if scope.clusters is None else tuple(sorted(scope.clusters))
    return Roster(groups["new"], groups["gone"], groups["ok"], clusters)
