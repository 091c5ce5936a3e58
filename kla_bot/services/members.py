"""Looking up task-force members."""

from __future__ import annotations

from typing import TypeVarTuple

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot.domain import Who
from kla_bot.models import Member, MemberAddress
from kla_bot.services.workspace import Workspace

Columns = TypeVarTuple("Columns")


async def by_telegram_user(session: AsyncSession, workspace: Workspace,
                           telegram_user_id: int) -> Member | None:
    """The registered member behind a Telegram account, if any."""
    return await session.scalar(select(Member).where(
        Member.regency_id == workspace.regency_id,
        Member.telegram_user_id == telegram_user_id))


def of_who(query: Select[*Columns], workspace: Workspace,
           who: Who) -> Select[*Columns]:
    """``query`` (over ``Member``) narrowed to the member behind a person on any channel."""
    if who.telegram_user_id is not None:
        return query.where(Member.regency_id == workspace.regency_id,
                           Member.telegram_user_id == who.telegram_user_id)
    return query.join(MemberAddress, MemberAddress.member_id == Member.id).where(
        Member.regency_id == workspace.regency_id, MemberAddress.channel == who.channel,
        MemberAddress.address == who.address)


async def by_who(session: AsyncSession, workspace: Workspace, who: Who) -> Member | None:
    """The registered member behind a person on any channel, if any."""
    return await session.scalar(of_who(select(Member), workspace, who))


async def by_phone(session: AsyncSession, workspace: Workspace, phone: str) -> Member | None:
    """The member with this normalised phone (``+62…``), if any."""
    return await session.scalar(select(Member).where(
        Member.regency_id == workspace.regency_id, Member.phone == phone))


async def coordinators_of(session: AsyncSession, workspace: Workspace,
                          cluster_code: str) -> list[Member]:
    """Coordinators of one cluster (and of all clusters), in name order."""
    from kla_bot.models import MemberCluster

    rows = await session.scalars(
        select(Member).join(MemberCluster).where(
            Member.regency_id == workspace.regency_id,
            Member.role == "coordinator",
            MemberCluster.cluster_code == cluster_code,
        ).order_by(Member.name))
    return list(rows)


async def reviewers_of(session: AsyncSession, workspace: Workspace,
                       cluster_code: str) -> list[Member]:
    """Who is offered a cluster's uploads for review: its coordinators, or the secretariat
    when the cluster has none (a file nobody is told about waits forever)."""
    return (await coordinators_of(session, workspace, cluster_code)
            or list(await session.scalars(select(Member).where(
                Member.regency_id == workspace.regency_id, Member.role == "secretariat")
                .order_by(Member.name))))


async def clusters_without_coordinator(session: AsyncSession, workspace: Workspace, *,
                                       with_tasks_only: bool = False) -> list[str]:
    """Catalog clusters (in catalog order) that no coordinator covers; with ``with_tasks_only``,
    only those that have tasks in the current cycle."""
    from kla_bot.models import Cluster, Indicator, MemberCluster, Task

    covered = select(MemberCluster.cluster_code).join(Member).where(
        Member.regency_id == workspace.regency_id, Member.role == "coordinator")
    query = select(Cluster.code).where(Cluster.code.not_in(covered)).order_by(Cluster.position)
    if with_tasks_only:
        with_tasks = select(Indicator.cluster_code).join(
            Task, Task.indicator_number == Indicator.number).where(
            Task.cycle_id == workspace.cycle_id)
        query = query.where(Cluster.code.in_(with_tasks))
    return list(await session.scalars(query))


async def language_of(session: AsyncSession, workspace: Workspace, who: Who) -> str | None:
    """The language a registered member chose with /bahasa (None when unknown or unset)."""
    # One column, not the member: every answer to a stranger or a member asks this.
    return await session.scalar(of_who(select(Member.language), workspace, who))
