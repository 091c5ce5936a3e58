"""Who may see and do what: members, coordinators of some clusters, the secretariat.

Every coordinator-side service calls these checks itself, so a handler (or a forged button)
can never skip them. A refusal is an ``AccessDenied`` carrying the catalog key of the polite
sentence the user sees; it changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot.domain import Role, Who
from kla_bot.errors import Refusal
from kla_bot.models import Member
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


async def registered_member(session: AsyncSession, workspace: Workspace,
                            who: Who) -> Member:
    """The member behind a person on any channel; strangers are refused."""
    member = await members.by_who(session, workspace, who)
    if member is None:
        raise AccessDenied("access.not_registered")
    return member


def overseer_scope(member: Member) -> Scope:
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


