"""Reassigning a task to another member of its cluster (``/tugaskan KODE PHONE``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot.domain import Role, TaskState
from kla_bot.models import Member, MemberCluster, Task
from kla_bot.phones import try_normalize_phone
from kla_bot.services import audit, outbox, routes
from kla_bot.services.access import AccessDenied, overseer_scope, require_cluster
from kla_bot.services.members import by_phone
from kla_bot.services.outbox_kinds import TaskReassigned
from kla_bot.services.workspace import Workspace


@dataclass(frozen=True)
class Reassigned:
    """A done reassignment and whether each side could be told in chat."""

    task_id: int
    task_code: str
    task_title: str
    cluster: str
    previous: str
    assignee: str
    previous_told: bool
    assignee_told: bool


async def _tell(session: AsyncSession, task: Task, recipient: Member,
                direction: Literal["in", "out"], other: Member, by: Member,
                now: datetime) -> bool:
    if not await routes.can_message(session, recipient.id):
        return False
    payload = TaskReassigned(task_ids=(task.id,), task_code=task.code, task_title=task.title,
                             points=task.points, due=task.due_date, direction=direction,
                             other_name=other.name, by_name=by.name)
    key = f"{payload.kind}:{task.id}:{recipient.id}:{direction}:{now.isoformat()}"
    return await outbox.enqueue(session, dedupe_key=key, recipient_id=recipient.id,
                                payload=payload, now=now)


async def reassign(session: AsyncSession, workspace: Workspace, actor: Member, task_code: str,
                   phone: str, now: datetime) -> Reassigned:
    """Give a task to another member of its cluster; both members are told."""
    scope = overseer_scope(actor)
    task = await session.scalar(select(Task).where(
        Task.cycle_id == workspace.cycle_id, Task.code_key == task_code.strip().upper()))
    if task is None:
        raise AccessDenied("assign.unknown_task", code=task_code)
    cluster = task.indicator.cluster_code
    require_cluster(scope, cluster)
    normalised = try_normalize_phone(phone)
    target = await by_phone(session, workspace, normalised) if normalised else None
    if target is None or target.role == Role.PROVINCE:  # a province's officer takes none
        raise AccessDenied("assign.unknown_member", phone=phone)
    in_cluster = await session.scalar(select(MemberCluster.member_id).where(
        MemberCluster.member_id == target.id, MemberCluster.cluster_code == cluster))
    if in_cluster is None:
        raise AccessDenied("assign.not_in_cluster", name=target.name, cluster=cluster)
    if task.assignee.id == target.id:
        raise AccessDenied("assign.same_member", name=target.name, code=task.code)
    if task.state == TaskState.APPROVED:
        raise AccessDenied("assign.already_approved", code=task.code)
    return await move(session, actor, task, target, cluster, now)


async def move(session: AsyncSession, actor: Member, task: Task, target: Member, cluster: str,
               now: datetime) -> Reassigned:
    """Give ``task`` (checked by the caller: in ``actor``'s cluster, not yet approved) to
    ``target``, audited; both members are told."""
    previous = task.assignee
    task.assignee_id = target.id
    task.assignee = target
    task.updated_at = now
    await audit.record(session, at=now, actor=audit.Actor.member(actor), action="task.reassign",
                       subject_type="task", subject_id=task.id, regency_id=actor.regency_id,
                       task=task.code, previous=previous.name, previous_id=previous.id,
                       assignee=target.name, assignee_id=target.id)
    previous_told = await _tell(session, task, previous, "out", target, actor, now)
    assignee_told = await _tell(session, task, target, "in", previous, actor, now)
    return Reassigned(task.id, task.code, task.title, cluster, previous.name, target.name,
                      previous_told, assignee_told)

