"""The *overdue* rule, once, for rows already read and for SQL, side by side.

A task is overdue when it is not approved and its due date is before today on the local
calendar of ``verification.timezone``; it is overdue *for n days* when its due date is at least
n days before today (escalation waits ``reminders.escalate_after_days``). Both forms below say
the same thing, and tests/test_overdue.py checks that they agree.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import and_, case
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from kla_bot.clock import days_left
from kla_bot.domain import LIVE_TASK_STATES
from kla_bot.models import Task


def days_late(due: date, today: date) -> int:
    """How many days ago the due date was (0 or negative: not late yet)."""
    return -days_left(today, due)


def is_overdue(state: str, due: date, today: date, *, for_days: int = 1) -> bool:
    """The rule for a task already read: ``state``, ``due`` date, the local ``today``."""
    return state in LIVE_TASK_STATES and days_late(due, today) >= for_days


def last_due(today: date, *, for_days: int = 1) -> date:
    """The latest due date that is overdue (for ``for_days`` days) on ``today``."""
    return today - timedelta(days=for_days)


def overdue(today: date, *, for_days: int = 1) -> ColumnElement[bool]:
    """The rule as a SQL condition on ``Task`` (for WHERE)."""
    return overdue_by(last_due(today, for_days=for_days))


def overdue_by(latest_due: date | BindParameter[date]) -> ColumnElement[bool]:
    """The rule with its cut-off given (``last_due``): a statement built once binds it."""
    return and_(Task.state.in_(LIVE_TASK_STATES), Task.due_date <= latest_due)


def overdue_count(today: date) -> ColumnElement[int]:
    """1 for an overdue task, else 0 (to be summed per group)."""
    return overdue_count_by(last_due(today))


def overdue_count_by(latest_due: date | BindParameter[date]) -> ColumnElement[int]:
    """``overdue_count`` with its cut-off given (``last_due``)."""
    return case((overdue_by(latest_due), 1), else_=0)
