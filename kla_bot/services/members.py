"""Looking up task-force members."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot.models import Member
from kla_bot.services.workspace import Workspace


async def by_telegram_user(session: AsyncSession, workspace: Workspace,
                           telegram_user_id: int) -> Member | None:
    """The registered member behind a Telegram account, if any."""
    return await session.scalar(select(Member).where(
        Member.regency_id == workspace.regency_id,
        Member.telegram_user_id == telegram_user_id))


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


async def language_of(session: AsyncSession, workspace: Workspace,
                      telegram_user_id: int) -> str | None:
    """The language a registered member chose with /bahasa (None when unknown or unset)."""
    return await session.scalar(select(Member.language).where(
        Member.regency_id == workspace.regency_id,
        Member.telegram_user_id == telegram_user_id))
