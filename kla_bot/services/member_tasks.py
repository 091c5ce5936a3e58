"""A member's own tasks: what is still asked of them, by cluster, with due dates in local time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot.clock import days_left
from kla_bot.db import plain_rows
from kla_bot.domain import TaskState, Who
from kla_bot.models import Cluster, Indicator, Member, Task
from kla_bot.services.access import AccessDenied
from kla_bot.services.members import of_who
from kla_bot.services.overdue import is_overdue
from kla_bot.services.workspace import Workspace


@dataclass(frozen=True)
class TaskView:
    """One task as its assignee sees it."""

    id: int
    code: str
    cluster_code: str
    cluster_name: str
    cluster_name_en: str
    indicator_number: int
    indicator_name: str
    indicator_name_en: str
    title: str
    points: Decimal
    due_date: date
    days_left: int  # negative: the due date was that many days ago
    state: str
    last_rejection_reason: str | None
    overdue: bool


@dataclass(frozen=True)
class MyTasks:
    """The asking member (id, name, language) and their tasks not yet approved."""

    member_id: int
    name: str
    language: str | None
    tasks: list[TaskView]


# Columns rather than entities: no identity map, and none of Task's eager loads (its assignee
# would bring the member's clusters in one more statement). Built once: /tugas asks often.
_TASK_COLUMNS = (Task.id, Task.code, Cluster.code, Cluster.name, Cluster.name_en,
                 Indicator.number, Indicator.name, Indicator.name_en, Task.title, Task.points,
                 Task.due_date, Task.state, Task.last_rejection_reason)
_TASK_ORDER = (Cluster.position, Task.due_date, Task.code_key)
_TASKS_OF = (
    select(*_TASK_COLUMNS)
    .join(Indicator, Task.indicator_number == Indicator.number)
    .join(Cluster, Indicator.cluster_code == Cluster.code)
    .where(Task.cycle_id == bindparam("cycle_id"), Task.assignee_id == bindparam("member_id"),
           Task.state.in_(bindparam("states", expanding=True)))
    .order_by(*_TASK_ORDER))
# The asker and their tasks in one statement: a row per task, or a single row with no task
# columns for a member with none; no row at all for a stranger.
_ASKER_AND_TASKS = (
    select(Member.id, Member.name, Member.language, *_TASK_COLUMNS)
    .outerjoin(Task, and_(Task.assignee_id == Member.id,
                          Task.cycle_id == bindparam("cycle_id"),
                          Task.state.in_(bindparam("states", expanding=True))))
    .outerjoin(Indicator, Task.indicator_number == Indicator.number)
    .outerjoin(Cluster, Indicator.cluster_code == Cluster.code)
    .order_by(*_TASK_ORDER))
_TELEGRAM_ASKER_AND_TASKS = _ASKER_AND_TASKS.where(
    Member.regency_id == bindparam("regency_id"),
    Member.telegram_user_id == bindparam("telegram_user_id"))


async def my_tasks(session: AsyncSession, workspace: Workspace, who: Who,
                   today: date) -> MyTasks:
    """The registered member's open and submitted tasks, by cluster then code."""
    params: dict[str, Any] = {"cycle_id": workspace.cycle_id,
                              "states": [TaskState.OPEN, TaskState.SUBMITTED]}
    if who.telegram_user_id is not None:
        query = _TELEGRAM_ASKER_AND_TASKS
        params.update(regency_id=workspace.regency_id, telegram_user_id=who.telegram_user_id)
    else:
        query = of_who(_ASKER_AND_TASKS, workspace, who)
    rows = (await plain_rows(session, query, params)).all()
    if not rows:
        raise AccessDenied("access.not_registered")
    member_id, name, language = rows[0][:3]
    return MyTasks(member_id, name, language,
                   [_view(row[3:], today) for row in rows if row[3] is not None])


async def tasks_of(session: AsyncSession, workspace: Workspace, member_id: int,
                   today: date, states: tuple[str, ...] = (TaskState.OPEN, TaskState.SUBMITTED),
                   ) -> list[TaskView]:
    """A member's tasks in the given states, ordered by cluster position, due date, code."""
    rows = await session.execute(_TASKS_OF, {"cycle_id": workspace.cycle_id,
                                             "member_id": member_id, "states": list(states)})
    return [_view(row, today) for row in rows]


def _view(columns: Sequence[Any], today: date) -> TaskView:
    """A task's view from the ``_TASK_COLUMNS`` of a row."""
    (task_id, code, cluster_code, cluster, cluster_en, number, indicator, indicator_en, title,
     points, due, state, reason) = columns
    return TaskView(id=task_id, code=code, cluster_code=cluster_code, cluster_name=cluster,
                    cluster_name_en=cluster_en, indicator_number=number,
                    indicator_name=indicator, indicator_name_en=indicator_en, title=title,
                    points=points, due_date=due, days_left=days_left(today, due), state=state,
                    last_rejection_reason=reason, overdue=is_overdue(state, due, today))


def view_of(task: Task, indicator: Indicator, cluster: Cluster, today: date) -> TaskView:
    return TaskView(
        id=task.id, code=task.code, cluster_code=cluster.code, cluster_name=cluster.name,
        cluster_name_en=cluster.name_en, indicator_number=indicator.number,
        indicator_name=indicator.name, indicator_name_en=indicator.name_en, title=task.title,
        points=task.points, due_date=task.due_date, days_left=days_left(today, task.due_date),
        state=task.state, last_rejection_reason=task.last_rejection_reason,
        overdue=is_overdue(task.state, task.due_date, today))


async def own_task(session: AsyncSession, workspace: Workspace, member: Member,
                   task_id: int) -> Task:
    """A task of this member that can still take evidence; refused otherwise."""
    task = await session.get(Task, task_id)
    if task is None or task.cycle_id != workspace.cycle_id:
        raise AccessDenied("evidence.unknown_task")
    if task.assignee_id != member.id:
        raise AccessDenied("evidence.not_your_task", code=task.code)
    if task.state == TaskState.APPROVED:
        raise AccessDenied("evidence.already_approved", code=task.code)
    return task


async def task_view(session: AsyncSession, task: Task, today: date) -> TaskView:
    """The view of one task (for receipts and questions)."""
    cluster = await session.get(Cluster, task.indicator.cluster_code)
    assert cluster is not None  # the catalog is foreign-keyed
    return view_of(task, task.indicator, cluster, today)
