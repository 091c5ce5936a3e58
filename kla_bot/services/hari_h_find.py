"""Find it now: the approved files of an indicator or a task, with the index line the
verifiers expect. Only approved evidence is ever offered (it is what may be shown)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from kla_bot.domain import TaskState
from kla_bot.models import Evidence, Indicator, Member, Task
from kla_bot.services import audit
from kla_bot.services.access import AccessDenied, overseer_scope
from kla_bot.services.workspace import Workspace

MAX_CHOICES = 8  # several matching tasks come back as choices, the first ones


@dataclass(frozen=True)
class Shown:
    """One approved file and what its index line says."""

    indicator: int
    indicator_name: str
    task_code: str
    task_title: str
    approved_at: datetime | None
    reviewer: str
    file_name: str
    storage_key: str
    file_id: str | None
    file_kind: str | None


@dataclass(frozen=True)
class Found:
    """What a search gives: the files (one task or one indicator), or tasks to choose from
    (``choices``: id, code, title), and the tasks that matched but have nothing approved yet
    (``not_ready``: code, state)."""

    files: list[Shown]
    choices: list[tuple[int, str, str]]
    not_ready: list[tuple[str, str]]


async def find(session: AsyncSession, workspace: Workspace, member: Member, query: str,
               now: datetime) -> Found:
    """``17`` (an indicator), ``K3-17a`` (a task), or words of a task's title or indicator."""
    scope = overseer_scope(member)
    words = query.strip()
    if not words:
        raise AccessDenied("hari_h.find_usage")
    base = (select(Task).join(Indicator, Indicator.number == Task.indicator_number)
            .where(Task.cycle_id == workspace.cycle_id,
                   Task.state != TaskState.CANCELLED.value))
    if words.isdigit():
        tasks = list(await session.scalars(base.where(Task.indicator_number == int(words))
                                           .order_by(Task.code_key)))
    else:
        tasks = list(await session.scalars(base.where(Task.code_key == words.upper())))
        if not tasks:
            like = f"%{words.lower()}%"
            tasks = list(await session.scalars(base.where(or_(
                func.lower(Task.title).like(like), func.lower(Indicator.name).like(like),
                func.lower(Indicator.name_en).like(like))).order_by(Task.code_key)))
    tasks = [t for t in tasks if scope.covers(t.indicator.cluster_code)]
    by_indicator = words.isdigit()
    if len(tasks) > 1 and not by_indicator:
        found = Found([], [(t.id, t.code, t.title) for t in tasks[:MAX_CHOICES]], [])
    else:
        found = await files_of(session, [t.id for t in tasks])
    await audit.record(session, at=now, actor=audit.Actor.member(member), action="harih.find",
                       subject_type="query", subject_id=words[:64],
                       regency_id=workspace.regency_id, files=len(found.files),
                       choices=len(found.choices))
    return found


async def files_of(session: AsyncSession, task_ids: list[int]) -> Found:
    """The approved files of these tasks, in task order, and the tasks with none."""
    if not task_ids:
        return Found([], [], [])
    reviewer = aliased(Member)
    rows = await session.execute(
        select(Evidence, Task, Indicator, reviewer.name)
        .join(Task, Task.id == Evidence.task_id)
        .join(Indicator, Indicator.number == Task.indicator_number)
        .outerjoin(reviewer, reviewer.id == Evidence.reviewer_id)
        .where(Evidence.task_id.in_(task_ids), Evidence.state == "approved")
        .order_by(Task.code_key, Evidence.id))
    files = [Shown(i.number, i.name, t.code, t.title, e.reviewed_at, name or "-",
                   e.original_name, e.storage_key, e.telegram_file_id, e.telegram_file_kind)
             for e, t, i, name in rows]
    shown = {f.task_code for f in files}
    tasks = await session.scalars(select(Task).where(Task.id.in_(task_ids))
                                  .order_by(Task.code_key))
    return Found(files, [], [(t.code, t.state) for t in tasks if t.code not in shown])


async def pick(session: AsyncSession, workspace: Workspace, member: Member,
               task_id: int) -> Found:
    """A task chosen among several matches (a forged id outside the asker's scope: nothing)."""
    scope = overseer_scope(member)
    task = await session.get(Task, task_id)
    if task is None or task.cycle_id != workspace.cycle_id or not scope.covers(
            task.indicator.cluster_code):
        raise AccessDenied("hari_h.find_gone")
    return await files_of(session, [task.id])
