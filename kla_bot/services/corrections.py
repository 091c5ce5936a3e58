"""Small corrections without a spreadsheet: proposed (shown as before → after), then applied
on the proposer's Ya, or dropped on Batal. Nothing changes before the press; every applied
change is audited.

The secretariat's own regency settings (``/kabupaten``) are proposed and confirmed the same
way (:mod:`kla_bot.services.regency_settings`).

Who: the secretariat, for everything; a coordinator, for tasks of their clusters and members
who are only in their clusters (a coordinator runs their clusters day to day; moving someone
out of them, or into a cluster they do not coordinate, is the secretariat's). The requests come
parsed from :mod:`kla_bot.services.correction_requests`.

A proposal keeps the value it showed as ``before``: if the record changed in between (an
import, another correction), the press is refused and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot.domain import Role, TaskState
from kla_bot.models import Indicator, Member, MemberCluster, PendingCorrection, Task
from kla_bot.services import audit, away, members, regency_settings
from kla_bot.services.access import AccessDenied, Scope, overseer_scope, require_cluster
from kla_bot.services.audit import Actor
from kla_bot.services.correction_requests import (
    AddTask,
    CancelTask,
    EditTask,
    MoveMember,
    Request,
)
from kla_bot.services.import_pending import cancel_task
from kla_bot.services.import_rows import TaskRow, parse_task
from kla_bot.services.imports import write_tasks
from kla_bot.services.regency_settings import RegencySetting
from kla_bot.services.workspace import Workspace
from kla_bot.tabular import Row


@dataclass(frozen=True)
class Proposal:
    """A correction as shown: its ``kind`` (due, points, title, cancel, add, move, away, or
    ``regency.<setting>``), the task code, member or regency name it is about, and the value
    before and after (JSON-plain: ISO dates, decimal text, cluster lists; for ``add`` the new
    task's fields)."""

    pending_id: int
    kind: str
    subject: str
    before: Any
    after: Any


async def propose(session: AsyncSession, workspace: Workspace, member: Member,
                  request: Request | RegencySetting, now: datetime) -> Proposal:
    """Check the request against the data and keep it for the Ya press; refusals
    (``AccessDenied``) change nothing."""
    scope = overseer_scope(member)
    data: dict[str, Any]
    if isinstance(request, EditTask):
        task = await _task(session, workspace, scope, request.code)
        before = _plain(getattr(task, _COLUMN[request.field]))
        after = _plain(request.value)
        if before == after:
            raise AccessDenied("corrections.unchanged", subject=task.code)
        kind, data = request.field, {"task_id": task.id, "subject": task.code}
    elif isinstance(request, CancelTask):
        task = await _task(session, workspace, scope, request.code)
        kind, before, after = "cancel", task.state, TaskState.CANCELLED.value
        data = {"task_id": task.id, "subject": task.code}
    elif isinstance(request, AddTask):
        row = await _new_task(session, workspace, scope, request)
        assignee = await session.get(Member, row.assignee_id)
        assert assignee is not None
        kind, before = "add", None
        after = {"code": row.code, "indicator": row.indicator, "title": row.title,
                 "points": str(row.points), "assignee_id": row.assignee_id,
                 "assignee": assignee.name,
                 "due": row.due.isoformat() if row.due else None}
        data = {"subject": row.code}
    elif isinstance(request, MoveMember):
        target = await _member(session, workspace, scope, request.phone)
        for code in request.clusters:
            require_cluster(scope, code)
        kind, before, after = "move", target.cluster_codes, list(request.clusters)
        if before == after:
            raise AccessDenied("corrections.unchanged", subject=target.name)
        data = {"member_id": target.id, "subject": target.name}
    elif isinstance(request, RegencySetting):
        kind, subject, before, after = await regency_settings.shown_change(
            session, workspace, member, request)
        data = {"subject": subject}
    else:
        target = await _member(session, workspace, scope, request.phone)
        kind, before = "away", _plain(target.away_until)
        after = _plain(request.until)
        data = {"member_id": target.id, "subject": target.name}
    pending = PendingCorrection(regency_id=workspace.regency_id, member_id=member.id, kind=kind,
                                data={**data, "before": before, "after": after},
                                state="proposed", created_at=now)
    session.add(pending)
    await session.flush()
    return _proposal(pending)


async def confirm(session: AsyncSession, workspace: Workspace, member: Member,
                  pending_id: int, now: datetime, tz: tzinfo) -> Proposal:
    """Ya: apply the proposal if its record is still as shown, and audit it."""
    pending = await _pending(session, workspace, member, pending_id)
    scope = overseer_scope(member)
    data, actor = pending.data, Actor.member(member)
    shown = _proposal(pending)
    details: dict[str, Any] = {"before": shown.before, "after": shown.after,
                               "correction": pending.id}
    if pending.kind in _COLUMN or pending.kind == "cancel":
        task = await session.get(Task, data["task_id"])
        if task is None or task.cycle_id != workspace.cycle_id:
            raise AccessDenied("corrections.gone")
        require_cluster(scope, task.indicator.cluster_code)
        if pending.kind == "cancel":
            _still(task.state, shown.before)
            await cancel_task(session, workspace, actor, task, now, correction=pending.id)
        else:
            column = _COLUMN[pending.kind]
            _still(_plain(getattr(task, column)), shown.before)
            setattr(task, column, _typed(pending.kind, shown.after))
            if pending.kind == "due":
                task.due_is_default = False  # a date someone chose no longer follows the day
            task.updated_at = now
            await audit.record(session, at=now, actor=actor, action="task.corrected",
                               subject_type="task", subject_id=task.id,
                               regency_id=workspace.regency_id, code=task.code,
                               field=pending.kind, **details)
    elif pending.kind == "add":
        await _apply_add(session, workspace, scope, actor, shown, now)
    elif regency_settings.is_regency_kind(pending.kind):
        await regency_settings.apply(session, workspace, member, pending.kind, shown.before,
                                     shown.after, now)
    else:
        target = await session.get(Member, data["member_id"])
        if target is None or target.regency_id != workspace.regency_id:
            raise AccessDenied("corrections.gone")
        _in_scope(scope, target)
        if pending.kind == "move":
            _still(target.cluster_codes, shown.before)
            target.clusters = [mc for mc in target.clusters if mc.cluster_code in shown.after] \
                + [MemberCluster(cluster_code=c) for c in shown.after
                   if c not in target.cluster_codes]
        else:
            _still(_plain(target.away_until), shown.before)
            target.away_until = _typed("away", shown.after)
        target.updated_at = now
        await audit.record(session, at=now, actor=actor, action=f"member.{pending.kind}",
                           subject_type="member", subject_id=target.id,
                           regency_id=workspace.regency_id, **details)
        if pending.kind == "away" and target.away_until is not None:
            await session.flush()
            await away.tell_coordinators(session, workspace, target, until=target.away_until,
                                         by=member, now=now, tz=tz)
    pending.state, pending.decided_at = "applied", now
    return shown


async def discard(session: AsyncSession, workspace: Workspace, member: Member,
                  pending_id: int, now: datetime) -> Proposal:
    """Batal: nothing changes; the proposal is closed (and the closing audited)."""
    pending = await _pending(session, workspace, member, pending_id)
    pending.state, pending.decided_at = "discarded", now
    await audit.record(session, at=now, actor=Actor.member(member),
                       action="correction.discarded", subject_type="pending_correction",
                       subject_id=pending.id, regency_id=workspace.regency_id,
                       kind=pending.kind, subject=pending.data.get("subject"))
    return _proposal(pending)


_COLUMN = {"due": "due_date", "points": "points", "title": "title"}


def _plain(value: object) -> Any:
    """A value as the proposal keeps it (JSON): dates ISO, points as decimal text."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.01")))
    return value


def _typed(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind in ("due", "away"):
        return date.fromisoformat(value)
    return Decimal(value) if kind == "points" else value


def _still(current: object, shown: object) -> None:
    if current != shown:
        raise AccessDenied("corrections.stale")


def _proposal(pending: PendingCorrection) -> Proposal:
    data = pending.data
    return Proposal(pending.id, pending.kind, str(data.get("subject", "")), data.get("before"),
                    data.get("after"))


async def _pending(session: AsyncSession, workspace: Workspace, member: Member,
                   pending_id: int) -> PendingCorrection:
    # Locked: two presses of Ya at once apply it once.
    pending = await session.get(PendingCorrection, pending_id, with_for_update=True)
    if pending is None or pending.regency_id != workspace.regency_id \
            or pending.member_id != member.id or pending.state != "proposed":
        raise AccessDenied("corrections.gone")
    return pending


async def _task(session: AsyncSession, workspace: Workspace, scope: Scope, code: str) -> Task:
    task = await session.scalar(select(Task).where(Task.cycle_id == workspace.cycle_id,
                                                   Task.code_key == code.strip().upper()))
    if task is None:
        raise AccessDenied("corrections.unknown_task", code=code)
    require_cluster(scope, task.indicator.cluster_code)
    if task.state == TaskState.CANCELLED:
        raise AccessDenied("corrections.cancelled_task", code=task.code)
    return task


async def _member(session: AsyncSession, workspace: Workspace, scope: Scope,
                  phone: str) -> Member:
    target = await members.by_phone(session, workspace, phone)
    if target is None:
        raise AccessDenied("start.unknown_phone")
    _in_scope(scope, target)
    return target


def _in_scope(scope: Scope, target: Member) -> None:
    """A coordinator acts on members who are only in their clusters."""
    if scope.is_secretariat:
        return
    if not target.cluster_codes or not all(scope.covers(c) for c in target.cluster_codes):
        raise AccessDenied("members.invite_not_yours", name=target.name)


async def _new_task(session: AsyncSession, workspace: Workspace, scope: Scope,
                    request: AddTask) -> TaskRow:
    """The new task checked by the import's own row rules (and not already there)."""
    cells = {"code": request.code, "indicator": request.indicator, "points": request.points,
             "assignee": request.assignee, "due": request.due, "title": request.title}
    indicators = set(await session.scalars(select(Indicator.number)))
    people = {phone: member_id for phone, member_id in await session.execute(
        select(Member.phone, Member.id).where(
            Member.regency_id == workspace.regency_id,
            Member.role != Role.PROVINCE))}  # a province's officer is given no tasks
    reasons: list[Any] = []
    row = parse_task(Row(1, cells), indicators, people, reasons)
    if row is None or reasons:
        raise AccessDenied("corrections.usage.add_bad", reasons=tuple(reasons))
    existing = await session.scalar(select(Task.code).where(
        Task.cycle_id == workspace.cycle_id, Task.code_key == row.code.upper()))
    if existing is not None:
        raise AccessDenied("corrections.add_exists", code=existing)
    indicator = await session.get(Indicator, row.indicator)
    assert indicator is not None
    require_cluster(scope, indicator.cluster_code)
    return row


async def _apply_add(session: AsyncSession, workspace: Workspace, scope: Scope, actor: Actor,
                     shown: Proposal, now: datetime) -> None:
    new = shown.after
    if await session.scalar(select(Task.id).where(
            Task.cycle_id == workspace.cycle_id, Task.code_key == new["code"].upper())):
        raise AccessDenied("corrections.stale")
    indicator = await session.get(Indicator, new["indicator"])
    assert indicator is not None
    require_cluster(scope, indicator.cluster_code)
    row = TaskRow(1, new["code"], new["indicator"], new["title"], Decimal(new["points"]),
                  new["assignee_id"], _typed("due", new["due"]), None)
    await write_tasks(session, workspace, [row], now, actor=actor)
    task_id = await session.scalar(select(Task.id).where(
        Task.cycle_id == workspace.cycle_id, Task.code_key == new["code"].upper()))
    await audit.record(session, at=now, actor=actor, action="task.added", subject_type="task",
                       subject_id=task_id, regency_id=workspace.regency_id, code=new["code"],
                       after=new, correction=shown.pending_id)
