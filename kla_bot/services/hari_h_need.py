"""Need it now: the secretariat calls for a missing item on hari H; the owner is asked again
every :data:`REPEAT_EVERY` until evidence for the task arrives (from them or anyone else); the
cluster coordinator (and a linked group) hears it is being chased; the secretariat hears when
it came and how long it took; the morning after the verification day brings the report.

Everything is decided by :func:`tick` from the database and ``now`` (the job calls it every
minute; tests move the clock and call it), under dedupe keys, so a late, double or missed
firing changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot import scheduler
from kla_bot.config import Settings
from kla_bot.domain import LIVE_TASK_STATES, Role, TaskState
from kla_bot.models import AuditEvent, Evidence, Member, OutboxMessage, Task, UrgentRequest
from kla_bot.services import audit, groups, hari_h, outbox
from kla_bot.services.access import AccessDenied, secretariat_scope
from kla_bot.services.members import coordinators_of
from kla_bot.services.outbox_kinds import (
    HariHReport,
    ReportCall,
    UrgentAnswered,
    UrgentCall,
    UrgentChase,
)
from kla_bot.services.workspace import Workspace

REPEAT_EVERY = timedelta(minutes=10)
OPEN, ANSWERED = "open", "answered"
REPORT_MISSING_LISTED = 15


async def linked_group_chat(session: AsyncSession, workspace: Workspace,
                            cluster_code: str) -> int | None:
    """The task force's Telegram group, when the secretariat linked one (one per regency, so
    every cluster's chase goes there); None: the chase is told to the coordinators only."""
    group = await groups.linked(session, workspace)
    return int(group.chat) if group is not None and group.channel == "telegram" else None


@dataclass(frozen=True)
class Called:
    """The answer to ``/butuh``: the task, its owner, and whether a call was already open."""

    task_code: str
    task_title: str
    owner: str
    coordinators: int
    already: bool


def _indicator(task: Task) -> str:
    return f"{task.indicator.number}. {task.indicator.name}"


async def need(session: AsyncSession, workspace: Workspace, member: Member, code: str,
               now: datetime) -> Called:
    """Call for task ``code`` now: the owner gets an urgent request, the coordinators hear."""
    secretariat_scope(member)
    task = await session.scalar(select(Task).where(
        Task.cycle_id == workspace.cycle_id, Task.code_key == code.strip().upper(),
        Task.state != TaskState.CANCELLED.value))
    if task is None:
        raise AccessDenied("hari_h.need_unknown", code=code)
    if task.state == TaskState.APPROVED.value:
        raise AccessDenied("hari_h.need_approved", task=task.code)
    if task.state == TaskState.SUBMITTED.value:
        raise AccessDenied("hari_h.need_waiting", task=task.code)
    cluster = task.indicator.cluster_code
    coordinators = await coordinators_of(session, workspace, cluster)
    existing = await session.scalar(select(UrgentRequest).where(
        UrgentRequest.task_id == task.id, UrgentRequest.state == OPEN))
    if existing is not None:
        return Called(task.code, task.title, task.assignee.name, len(coordinators), True)
    request = UrgentRequest(regency_id=workspace.regency_id, task_id=task.id,
                            requested_by_id=member.id, owner_id=task.assignee_id, state=OPEN,
                            requested_at=now, last_sent_at=now, sends=1)
    session.add(request)
    await session.flush()
    await _call(session, request, task, member.name, now)
    chase = UrgentChase(task_ids=(task.id,), request_id=request.id, task_code=task.code,
                        task_title=task.title, owner_name=task.assignee.name,
                        requested_by=member.name)
    for coordinator in coordinators:
        await outbox.enqueue(session, dedupe_key=f"harih.chase:{request.id}:{coordinator.id}",
                             recipient_id=coordinator.id, payload=chase, now=now)
    group = await linked_group_chat(session, workspace, cluster)
    if group is not None:
        await outbox.enqueue(session, dedupe_key=f"harih.chase:{request.id}:group",
                             recipient_id=None, chat_id=group, payload=chase, now=now)
    await audit.record(session, at=now, actor=audit.Actor.member(member), action="harih.need",
                       subject_type="task", subject_id=task.id, regency_id=workspace.regency_id,
                       request=request.id, owner=task.assignee_id)
    return Called(task.code, task.title, task.assignee.name, len(coordinators), False)


async def _call(session: AsyncSession, request: UrgentRequest, task: Task, by: str,
                now: datetime) -> None:
    """The call number ``request.sends`` to whoever holds the task now (a handover moves it)."""
    await outbox.enqueue(
        session, dedupe_key=f"harih.call:{request.id}:{request.sends}",
        recipient_id=task.assignee_id, now=now,
        payload=UrgentCall(task_ids=(task.id,), request_id=request.id, task_code=task.code,
                           task_title=task.title, indicator=_indicator(task), requested_by=by,
                           call=request.sends))


@dataclass(frozen=True)
class Ticked:
    repeated: int = 0
    answered: int = 0
    reports: int = 0


async def tick(session: AsyncSession, workspace: Workspace, settings: Settings,
               now: datetime) -> Ticked:
    """Close the calls that were answered, repeat those due again (in hari H mode), and
    queue the post-day report when its time has come."""
    on = await hari_h.active(session, workspace, settings, now)
    repeated = answered = 0
    requests = await session.scalars(select(UrgentRequest).where(
        UrgentRequest.regency_id == workspace.regency_id, UrgentRequest.state == OPEN)
        .order_by(UrgentRequest.id))
    for request in list(requests):
        arrived = await session.scalar(
            select(Evidence).where(Evidence.task_id == request.task_id,
                                   Evidence.uploaded_at >= request.requested_at)
            .order_by(Evidence.uploaded_at, Evidence.id).limit(1))
        if arrived is not None:
            await _answered(session, workspace, request, arrived, now)
            answered += 1
        elif on and now - request.last_sent_at >= REPEAT_EVERY:
            request.sends += 1
            request.last_sent_at = now
            by = await session.get(Member, request.requested_by_id)
            task = await session.get(Task, request.task_id)
            if task is not None:
                await _call(session, request, task, by.name if by else "-", now)
            repeated += 1
    reports = await _report_if_due(session, workspace, settings, now)
    return Ticked(repeated, answered, reports)


async def _answered(session: AsyncSession, workspace: Workspace, request: UrgentRequest,
                    evidence: Evidence, now: datetime) -> None:
    request.state = ANSWERED
    request.answered_at = evidence.uploaded_at
    request.answered_by_id = evidence.uploaded_by_id
    request.evidence_id = evidence.id
    uploader = await session.get(Member, evidence.uploaded_by_id)
    task = await session.get(Task, request.task_id)
    assert task is not None  # a request's task is never deleted (foreign key)
    await outbox.enqueue(
        session, dedupe_key=f"harih.answered:{request.id}", recipient_id=request.requested_by_id,
        now=now, payload=UrgentAnswered(
            task_ids=(task.id,), request_id=request.id, task_code=task.code,
            task_title=task.title, answered_by=uploader.name if uploader else "-",
            minutes=_minutes(request.requested_at, evidence.uploaded_at),
            file_name=evidence.original_name))
    await audit.record(session, at=now, actor=audit.Actor.system("hari_h"),
                       action="harih.answered", subject_type="task", subject_id=task.id,
                       regency_id=workspace.regency_id, request=request.id,
                       answered_by=evidence.uploaded_by_id, evidence=evidence.id,
                       seconds=int((evidence.uploaded_at - request.requested_at)
                                   .total_seconds()))


def _minutes(start: datetime, end: datetime) -> int:
    return max(0, round((end - start).total_seconds() / 60))


def report_at(settings: Settings, workspace: Workspace) -> datetime:
    """The morning after the verification day, at the first reminder time."""
    _, end = hari_h.window(settings, workspace.verification_date)
    first = scheduler.slots(settings)[0]
    return datetime.combine(end.date(), first, tzinfo=settings.tz)


async def _report_if_due(session: AsyncSession, workspace: Workspace, settings: Settings,
                         now: datetime) -> int:
    at = report_at(settings, workspace)
    if not at <= now < at + timedelta(days=1):  # a bot back weeks later stays quiet
        return 0
    secretariat = list(await session.scalars(select(Member).where(
        Member.regency_id == workspace.regency_id, Member.role == Role.SECRETARIAT)
        .order_by(Member.id)))
    key = f"harih.report:{workspace.regency_id}:{workspace.verification_date}"
    keys = {f"{key}:{m.id}": m for m in secretariat}
    done = set(await session.scalars(select(OutboxMessage.dedupe_key).where(
        OutboxMessage.dedupe_key.in_(list(keys)))))
    todo = [(k, m) for k, m in keys.items() if k not in done]
    if not todo:
        return 0
    payload = await report(session, workspace, settings)
    for dedupe_key, member in todo:
        await outbox.enqueue(session, dedupe_key=dedupe_key, recipient_id=member.id,
                             payload=payload, now=now)
    return len(todo)


async def report(session: AsyncSession, workspace: Workspace,
                 settings: Settings) -> HariHReport:
    """What was asked (lookups and calls), found, missing, and how fast calls were answered."""
    start, end = hari_h.window(settings, workspace.verification_date)
    lookups = list(await session.scalars(select(AuditEvent).where(
        AuditEvent.regency_id == workspace.regency_id, AuditEvent.action == "harih.find",
        AuditEvent.at >= start, AuditEvent.at < end)))
    found = sum(1 for e in lookups if int(e.details.get("files", 0)) > 0)
    rows = await session.execute(
        select(UrgentRequest, Task.code, Member.name)
        .join(Task, Task.id == UrgentRequest.task_id)
        .outerjoin(Member, Member.id == UrgentRequest.answered_by_id)
        .where(Task.cycle_id == workspace.cycle_id).order_by(UrgentRequest.requested_at))
    calls = tuple(
        ReportCall(task_code=code, answered_by=name,
                   minutes=None if r.answered_at is None
                   else _minutes(r.requested_at, r.answered_at))
        for r, code, name in rows)
    missing = list(await session.scalars(select(Task.code).where(
        Task.cycle_id == workspace.cycle_id, Task.state.in_(LIVE_TASK_STATES))
        .order_by(Task.code_key)))
    return HariHReport(verification_date=workspace.verification_date, lookups=len(lookups),
                       found=found, calls=calls, missing=len(missing),
                       missing_codes=tuple(missing[:REPORT_MISSING_LISTED]))
