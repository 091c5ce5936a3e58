"""What a person who writes to the bot in plain words should do next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot.domain import OVERSEER_ROLES, TaskState, Who
from kla_bot.services import review
from kla_bot.services.member_tasks import tasks_of
from kla_bot.services.members import by_who
from kla_bot.services.workspace import Workspace


@dataclass(frozen=True)
class Guide:
    """Who is writing (``role`` None: a stranger) and what is waiting for them."""

    role: str | None
    name: str = ""
    language: str | None = None
    open_tasks: int = 0
    waiting_review: int = 0


async def guide_for(session: AsyncSession, workspace: Workspace, who: Who,
                    today: date) -> Guide:
    """The next step for this account: register, send evidence, or review."""
    member = await by_who(session, workspace, who)
    if member is None:
        return Guide(role=None)
    mine = await tasks_of(session, workspace, member.id, today, states=(TaskState.OPEN,))
    waiting = (0 if member.role not in OVERSEER_ROLES
               else await review.waiting_count(session, workspace, member.id))
    return Guide(member.role, member.name, member.language, len(mine), waiting)
