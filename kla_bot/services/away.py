"""Members away (leave, duty travel): the one rule for who is away on a day, and telling
their coordinators.

A member marked away until a day (``members.away_until``, inclusive, the regency's local
calendar) gets no reminders up to that day and gets them again from the next one: nothing has
to run to bring them back. The reminders ask :func:`present_on` when they pick recipients.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from kla_bot.domain import LIVE_TASK_STATES
from kla_bot.models import Member, Task
from kla_bot.services import outbox
from kla_bot.services.members import reviewers_of
from kla_bot.services.outbox_kinds import MemberAway
from kla_bot.services.workspace import Workspace


def present_on(day: date) -> ColumnElement[bool]:
    """SQL, on ``Member``: not away on the local ``day``."""
    return or_(Member.away_until.is_(None), Member.away_until < day)


def is_away(member: Member, today: date) -> bool:
    return member.away_until is not None and member.away_until >= today


async def tell_coordinators(session: AsyncSession, workspace: Workspace, member: Member, *,
                            until: date, by: Member, now: datetime, tz: tzinfo) -> int:
    """Queue one message to each coordinator of the member's clusters (the secretariat for
    a cluster without one), but not to whoever marked them away; once per away period (the
    dedupe key names the day). How many were queued."""
    open_tasks = int(await session.scalar(select(func.count(Task.id)).where(
        Task.cycle_id == workspace.cycle_id, Task.assignee_id == member.id,
        Task.state.in_(LIVE_TASK_STATES))) or 0)
    told: set[int] = set()
    queued = 0
    for cluster in member.cluster_codes:
        for coordinator in await reviewers_of(session, workspace, cluster):
            if coordinator.id in told or coordinator.id in (member.id, by.id):
                continue
            told.add(coordinator.id)
            payload = MemberAway(member_id=member.id, member_name=member.name,
                                 agency=member.agency, until=until, by_name=by.name,
                                 open_tasks=open_tasks)
            queued += await outbox.enqueue(
                session, dedupe_key=f"member.away:{member.id}:{until.isoformat()}:"
                                    f"{coordinator.id}",
                recipient_id=coordinator.id, payload=payload, now=now, tz=tz)
    return queued
