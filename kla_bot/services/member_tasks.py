"""A member's own tasks: what is still asked of them, by cluster, with due dates in local time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot.clock import days_left
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


async def my_tasks(session: AsyncSession, workspace: Workspace, who: Who,
                   today: date) -> MyTasks:
    """The registered member's open and submitted tasks, by cluster then code."""
    # Only the columns shown: the ORM member (with its clusters) would cost two statements.
    asker = (await session.execute(of_who(select(Member.id, Member.name, Member.language),
                                          workspace, who))).first()
    if asker is None:
        raise AccessDenied("access.not_registered")
    member_id, name, language = asker
    return MyTasks(member_id, name, language, await tasks_of(session, workspace, member_id,
                                                             today))


# Columns rather than entities: no identity map, and none of Task's eager loads (its assignee
# would bring the member's clusters in one more statement). Built once: /tugas asks it often.
_TASKS_OF = (
    select(Task.id, Task.code, Cluster.code, Cluster.name, Cluster.name_en, Indicator.number,
           Indicator.name, Indicator.name_en, Task.title, Task.points, Task.due_date,
           Task.state, Task.last_rejection_reason)
    .join(Indicator, Task.indicator_number == Indicator.number)
    .join(Cluster, Indicator.cluster_code == Cluster.code)
    .where(Task.cycle_id == bindparam("cycle_id"), Task.assignee_id == bindparam("member_id"),
           Task.state.in_(bindparam("states", expanding=True)))
    .order_by(Cluster.position, Task.due_date, Task.code_key))


async def tasks_of(session: AsyncSession, workspace: Workspace, member_id: int,
                   today: date, states: tuple[str, ...] = (TaskState.OPEN, TaskState.SUBMITTED),
                   ) -> list[TaskView]:
    """A member's tasks in the given states, ordered by cluster position, due date, code."""
    rows = await session.execute(_TASKS_OF, {"cycle_id": workspace.cycle_id,
                                             "member_id": member_id, "states": list(states)})
    return [TaskView(id=task_id, code=code, cluster_code=cluster_code, cluster_name=cluster,
                     cluster_name_en=cluster_en, indicator_number=number,
                     indicator_name=indicator, indicator_name_en=indicator_en, title=title,
                     points=points, due_date=due, days_left=days_left(today, due),
                     state=state, last_rejection_reason=reason,
                     overdue=is_overdue(state, due, today))
            for (task_id, code, cluster_code, cluster, cluster_en, number, indicator,
                 indicator_en, title, points, due, state, reason) in rows]


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
