"""The overdue rule: the Python predicate and the SQL condition agree, row by row."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from kla_bot.deps import Deps
from kla_bot.models import Task
from kla_bot.services.overdue import is_overdue, overdue, overdue_count
from tests.import_helpers import import_fixtures

TODAY = date(2025, 5, 9)
# (state, due relative to today, overdue, overdue for 2 days)
CASES = [("open", -1, True, False), ("open", 0, False, False), ("open", 1, False, False),
         ("open", -2, True, True), ("submitted", -1, True, False), ("submitted", -2, True, True),
         ("approved", -1, False, False), ("approved", -8, False, False)]


async def test_the_predicate_and_the_sql_condition_agree(deps: Deps) -> None:
    await import_fixtures(deps)
    async with deps.db.transaction() as s:
        ids = list((await s.scalars(select(Task.id).order_by(Task.id))).all())
        assert len(ids) == len(CASES)
        for task_id, (state, offset, _, _) in zip(ids, CASES, strict=True):
            await s.execute(update(Task).where(Task.id == task_id).values(
                state=state, due_date=TODAY + timedelta(days=offset)))
    expected = {n: {task_id for task_id, case in zip(ids, CASES, strict=True) if case[1 + n]}
                for n in (1, 2)}
    async with deps.db.transaction() as s:
        rows = (await s.execute(select(Task.id, Task.state, Task.due_date))).all()
        for n in (1, 2):
            in_sql = set(await s.scalars(select(Task.id).where(overdue(TODAY, for_days=n))))
            in_python = {i for i, state, due in rows if is_overdue(state, due, TODAY, for_days=n)}
            assert in_sql == in_python == expected[n]
        counted = await s.scalar(select(overdue_count(TODAY)).where(Task.id == ids[0]))
        assert counted == 1


@pytest.mark.parametrize(("state", "offset", "late", "late_two_days"), CASES)
def test_the_rule_in_plain_words(state: str, offset: int, late: bool,
                                 late_two_days: bool) -> None:
    due = TODAY + timedelta(days=offset)
    assert is_overdue(state, due, TODAY) is late
    assert is_overdue(state, due, TODAY, for_days=2) is late_two_days
