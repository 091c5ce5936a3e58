"""Handing tasks over while away (``/alih``): the member asks, the cluster coordinator picks who
takes them in one tap.

A request goes to every coordinator of each cluster the member has open tasks in, with that
cluster's other members as choices; the tap reassigns the requester's open tasks in that
cluster through :func:`kla_bot.services.reassign.move` (audited; both members told). Nothing is
stored for the request itself: the tap carries who asked, the cluster and who takes over, and
is checked again against the tasks as they are then — a second tap finds nothing left to move.
The reminders follow the tasks' new owner by themselves (they are asked per assignee).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot.domain import Role, TaskState
from kla_bot.models import Indicator, Member, MemberCluster, Task
from kla_bot.services import audit, outbox
from kla_bot.services.access import AccessDenied, overseer_scope, require_cluster
from kla_bot.services.outbox_kinds import HandoverChoice, HandoverRequested
from kla_bot.services.reassign import Reassigned, move
from kla_bot.services.workspace import Workspace

NOTE_MAX = 200  # the member's words, as the coordinator reads them
CHOICES_MAX = 10  # one button each


@dataclass(frozen=True)
class Requested:
    """Who was asked, per cluster: (cluster, coordinator names, task count)."""

    clusters: tuple[tuple[str, tuple[str, ...], int], ...]


async def _open_tasks(session: AsyncSession, workspace: Workspace, member_id: int,
                      cluster: str | None = None) -> list[tuple[Task, str]]:
    query = (select(Task, Indicator.cluster_code)
             .join(Indicator, Task.indicator_number == Indicator.number)
             .where(Task.cycle_id == workspace.cycle_id, Task.assignee_id == member_id,
                    Task.state == TaskState.OPEN)
             .order_by(Indicator.cluster_code, Task.code_key))
    if cluster is not None:
        query = query.where(Indicator.cluster_code == cluster)
    return [(task, code) for task, code in (await session.execute(query)).all()]


async def _cluster_people(session: AsyncSession, workspace: Workspace,
                          cluster: str) -> list[Member]:
    return list(await session.scalars(
        select(Member).join(MemberCluster, MemberCluster.member_id == Member.id)
        .where(Member.regency_id == workspace.regency_id, MemberCluster.cluster_code == cluster)
        .order_by(Member.name, Member.id)))


async def request(session: AsyncSession, workspace: Workspace, member: Member, note: str,
                  now: datetime) -> Requested:
    """Ask each cluster's coordinators to hand ``member``'s open tasks over."""
    by_cluster: dict[str, list[Task]] = defaultdict(list)
    for task, cluster in await _open_tasks(session, workspace, member.id):
        by_cluster[cluster].append(task)
    if not by_cluster:
        raise AccessDenied("handover.nothing")
    note = " ".join(note.split())[:NOTE_MAX]
    asked: list[tuple[str, tuple[str, ...], int]] = []
    for cluster, tasks in by_cluster.items():
        people = await _cluster_people(session, workspace, cluster)
        coordinators = [p for p in people if p.role == Role.COORDINATOR and p.id != member.id]
        if not coordinators:
            continue
        choices = tuple(HandoverChoice(member_id=p.id, name=p.name)
                        for p in people if p.id != member.id)[:CHOICES_MAX]
        payload = HandoverRequested(
            task_ids=tuple(t.id for t in tasks), requester_id=member.id,
            requester_name=member.name, agency=member.agency, cluster=cluster, note=note,
            task_codes=tuple(t.code for t in tasks), choices=choices)
        for coordinator in coordinators:
            await outbox.enqueue(
                session, recipient_id=coordinator.id, payload=payload, now=now,
                dedupe_key=f"{payload.kind}:{member.id}:{cluster}:{coordinator.id}:"
                           f"{now.isoformat()}")
        asked.append((cluster, tuple(c.name for c in coordinators), len(tasks)))
    if not asked:
        raise AccessDenied("handover.no_coordinator")
    await audit.record(session, at=now, actor=audit.Actor.member(member),
                       action="handover.requested", subject_type="member",
                       subject_id=member.id, regency_id=member.regency_id, note=note,
                       clusters=[c for c, _, _ in asked])
    return Requested(tuple(asked))


@dataclass(frozen=True)
class HandedOver:
    requester: str
    assignee: str
    cluster: str
    moved: tuple[Reassigned, ...]


async def approve(session: AsyncSession, workspace: Workspace, actor: Member,
                  requester_id: int, cluster: str, assignee_id: int,
                  now: datetime) -> HandedOver:
    """The coordinator's tap: the requester's open tasks in ``cluster`` go to the chosen one."""
    require_cluster(overseer_scope(actor), cluster)
    requester = await session.get(Member, requester_id)
    target = await session.get(Member, assignee_id)
    if requester is None or target is None or target.id == requester.id or (
            requester.regency_id != workspace.regency_id):
        raise AccessDenied("handover.stale")
    people = {p.id for p in await _cluster_people(session, workspace, cluster)}
    if target.id not in people:
        raise AccessDenied("assign.not_in_cluster", name=target.name, cluster=cluster)
    tasks = await _open_tasks(session, workspace, requester.id, cluster)
    if not tasks:
        raise AccessDenied("handover.already", name=requester.name)
    moved = tuple([await move(session, actor, task, target, cluster, now) for task, _ in tasks])
    return HandedOver(requester.name, target.name, cluster, moved)
