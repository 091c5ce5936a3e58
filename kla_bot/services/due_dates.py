"""The default due date: two days before the verification date, for as long as it moves.

A task imported without a due date is marked ``due_is_default``; its ``due_date`` is stored
(so every query and the one *overdue* rule read a plain column) and re-derived whenever the
cycle's verification date changes (``follow_verification_date``, run at every start).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot.models import Task

DEFAULT_DUE_DAYS_BEFORE = 2


def default_due(verification_date: date) -> date:
    """When a task is due if its file does not say."""
    return verification_date - timedelta(days=DEFAULT_DUE_DAYS_BEFORE)


async def follow_verification_date(session: AsyncSession, cycle_id: int,
                                   verification_date: date) -> int:
    """Move the default due dates of the cycle to follow its verification date; how many."""
    due = default_due(verification_date)
    result = await session.execute(
        update(Task).where(Task.cycle_id == cycle_id, Task.due_is_default.is_(True),
                           Task.due_date != due)
        .values(due_date=due).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)
