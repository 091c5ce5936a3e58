"""Who may see and do what: members, coordinators of some clusters, the secretariat.

Every coordinator-side service calls these checks itself, so a handler (or a forged button)
can never skip them. A refusal is an ``AccessDenied`` carrying the catalog key of the polite
sentence the user sees; it changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot.db import plain_rows
from kla_bot.domain import Role, Who
from kla_bot.errors import Refusal
from kla_bot.models import Member, MemberCluster
from kla_bot.services import members
from kla_bot.services.workspace import Workspace

Session = AsyncSession  # the unit of work, named for handlers (which import no SQLAlchemy)


class AccessDenied(Refusal):
    """The asker may not do this (not registered, not their task or cluster, a bad argument)."""


@dataclass(frozen=True)
class Scope:
    """What one member oversees: some clusters (a coordinator) or all (the secretariat)."""

    member_id: int
    name: str
    role: str
    clusters: frozenset[str] | None  # None: every cluster

    @property
    def is_secretariat(self) -> bool:
        return self.role == Role.SECRETARIAT

    def covers(self, cluster_code: str) -> bool:
        """True when this member may see and act on tasks of ``cluster_code``."""
        return self.clusters is None or cluster_code in self.clusters

    def visible(self, cluster_codes: list[str]) -> list[str]:
        """The given clusters this member may see, in the given order."""
        return [code for code in cluster_codes if self.covers(code)]


@dataclass(frozen=True)
class Viewer:
    """A registered member as a command that only reads needs them: who, role, clusters."""

    id: int
    name: str
    role: str
    language: str | None
    regency_id: int
    cluster_codes: tuple[str, ...]


# A row per cluster of the member (one with no cluster for a member without): columns, not
# the entity, so no identity map and no second statement for the clusters. Built once.
_VIEWER = (select(Member.id, Member.name, Member.role, Member.language, Member.regency_id,
                  MemberCluster.cluster_code)
           .outerjoin(MemberCluster, MemberCluster.member_id == Member.id)
           .order_by(MemberCluster.cluster_code))
_TELEGRAM_VIEWER = _VIEWER.where(Member.regency_id == bindparam("regency_id"),
                                 Member.telegram_user_id == bindparam("telegram_user_id"))


async def registered_viewer(session: AsyncSession, workspace: Workspace, who: Who) -> Viewer:
    """The member behind a person, read in one statement; strangers are refused."""
    params: dict[str, Any] = {}
    if who.telegram_user_id is not None:
        query = _TELEGRAM_VIEWER
        params = {"regency_id": workspace.regency_id, "telegram_user_id": who.telegram_user_id}
    else:
        query = members.of_who(_VIEWER, workspace, who)
    rows = (await plain_rows(session, query, params)).all()
    if not rows:
        raise AccessDenied("access.not_registered")
    member_id, name, role, language, regency_id, _ = rows[0]
    return Viewer(member_id, name, role, language, regency_id,
                  tuple(row[5] for row in rows if row[5] is not None))


async def registered_member(session: AsyncSession, workspace: Workspace,
                            who: Who) -> Member:
    """The member behind a person on any channel; strangers are refused."""
    member = await members.by_who(session, workspace, who)
    if member is None:
        raise AccessDenied("access.not_registered")
    return member


def overseer_scope(member: Member | Viewer) -> Scope:
    """A coordinator's or the secretariat's scope; plain members are refused."""
    if member.role == Role.SECRETARIAT:
        return Scope(member.id, member.name, member.role, None)
    if member.role == Role.COORDINATOR:
        return Scope(member.id, member.name, member.role, frozenset(member.cluster_codes))
    raise AccessDenied("access.coordinators_only")


def secretariat_scope(member: Member) -> Scope:
    """The secretariat's scope; everyone else is refused."""
    if member.role != Role.SECRETARIAT:
        raise AccessDenied("access.secretariat_only")
    return Scope(member.id, member.name, member.role, None)


def require_cluster(scope: Scope, cluster_code: str) -> None:
    """Refuse acting on a cluster outside the member's scope."""
    if not scope.covers(cluster_code):
        raise AccessDenied("access.not_your_cluster", cluster=cluster_code)


