"""What the reminders say and to whom: fan-out of due runs into the outbox.

``kla_bot.scheduler`` decides *when*; this module decides *what*: one digest per member with
open tasks, one escalation per coordinator with overdue tasks in their clusters, the morning
brief for coordinators and the secretariat, and the last call on the verification day. Every
message goes into the outbox under ``<kind>:<member_id>:<local date>`` (plus ``@HH:MM`` for a
day's later slots), so a second firing, a second bot process or a restart in the middle of a
fan-out never queues anything twice. Only members some channel reaches are queued, and
none who is away that day (:mod:`kla_bot.services.away`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot import scheduler
from kla_bot.config import Settings
from kla_bot.domain import LIVE_TASK_STATES, Role, TaskState
from kla_bot.models import Indicator, Member, MemberCluster, Task
from kla_bot.scheduler import Run
from kla_bot.services import audit, groups, outbox, overdue, routes
from kla_bot.services.access import overseer_scope
from kla_bot.services.away import present_on
from kla_bot.services.outbox_kinds import (
    Brief,
    Digest,
    DigestTask,
    Escalation,
    LastCall,
    OutboxPayload,
    OverdueTask,
)
from kla_bot.services.reminder_why import digest_why, escalation_why
from kla_bot.services.status import build_headline
from kla_bot.services.workspace import Workspace

DIGEST_MAX_TASKS = 15  # more would make a wall of text; the digest then points to /tugas
ESCALATION_MAX_TASKS = 30


@dataclass(frozen=True)
class FanOut:
    """How many messages a run queued, and how many recipients already had theirs."""

    queued: int = 0
    already: int = 0

    def __add__(self, other: FanOut) -> FanOut:
        return FanOut(self.queued + other.queued, self.already + other.already)


async def queue_due(session: AsyncSession, workspace: Workspace, settings: Settings,
                    now: datetime) -> dict[str, FanOut]:
    """Queue every reminder due at ``now`` (nothing twice); what the daily jobs run."""
    return {run.kind: await queue_run(session, workspace, settings, run, now)
            for run in scheduler.due_runs(settings, now)}


async def queue_run(session: AsyncSession, workspace: Workspace, settings: Settings, run: Run,
                    now: datetime, clusters: frozenset[str] | None = None) -> FanOut:
    """Queue one run's messages (``clusters`` narrows a digest to members of those clusters)."""
    if run.kind == scheduler.DIGEST:
        return await _digests(session, workspace, settings, run, now, clusters)
    if run.kind == scheduler.ESCALATION:
        return await _escalations(session, workspace, settings, run, now)
    if run.kind == scheduler.BRIEF:
        return await _briefs(session, workspace, settings, run, now)
    if run.kind == scheduler.LASTCALL:
        return await _last_calls(session, workspace, settings, run, now)
    raise ValueError(f"unknown reminder kind {run.kind!r}")


async def remind_now(session: AsyncSession, workspace: Workspace, settings: Settings,
                     member: Member, now: datetime) -> FanOut:
    """``/ingatkan``: a coordinator's clusters' digests (all, for the secretariat) right now;
    members already reminded today are not reminded again."""
    scope = overseer_scope(member)
    run = scheduler.current_slot_run(settings, now)
    if run.days_left < 0:
        return FanOut()
    result = await _digests(session, workspace, settings, run, now, scope.clusters)
    await audit.record(session, at=now, actor=audit.Actor.member(member),
                       action="reminders.sent_now", subject_type="cycle",
                       subject_id=workspace.cycle_id, regency_id=workspace.regency_id,
                       queued=result.queued, already=result.already)
    return result


async def _queue(session: AsyncSession, settings: Settings, run: Run,
                 member_id: int, payload: OutboxPayload, now: datetime) -> FanOut:
    queued = await outbox.enqueue(
        session, dedupe_key=f"{run.kind}:{member_id}:{run.dedupe_suffix}",
        recipient_id=member_id, payload=payload, now=now, day=run.day, tz=settings.tz)
    return FanOut(1, 0) if queued else FanOut(0, 1)


def _common(run: Run, settings: Settings) -> dict[str, Any]:
    """The countdown fields every reminder but the last call carries."""
    return {"days_left": run.days_left, "day": run.day,
            "verification_date": settings.verification.date}


async def _digests(session: AsyncSession, workspace: Workspace, settings: Settings, run: Run,
                   now: datetime, clusters: frozenset[str] | None) -> FanOut:
    rows = await session.execute(
        select(Task.id, Task.code, Task.title, Task.due_date, Task.points,
               Indicator.cluster_code, Member.id)
        .join(Indicator, Task.indicator_number == Indicator.number)
        .join(Member, Task.assignee_id == Member.id)
        .where(Task.cycle_id == workspace.cycle_id, Task.state == TaskState.OPEN,
               routes.REACHABLE, present_on(run.day))
        .order_by(Member.id, Task.due_date, Task.code_key))
    tasks: dict[int, list[DigestTask]] = defaultdict(list)
    concerned: set[int] = set()
    for task_id, code, title, due, points, cluster, recipient in rows:
        tasks[recipient].append(DigestTask(
            id=task_id, code=code, title=title, due=due, points=points,
            overdue=overdue.is_overdue(TaskState.OPEN, due, run.day)))
        if clusters is None or cluster in clusters:
            concerned.add(recipient)
    result = FanOut()
    for recipient, listed in tasks.items():
        if recipient not in concerned:
            continue
        shown = tuple(listed[:DIGEST_MAX_TASKS])
        payload = Digest(**_common(run, settings), task_ids=tuple(t.id for t in shown),
                         tasks=shown, more=len(listed) - len(shown),
                         why=digest_why(listed, run.day, run.days_left))
        result += await _queue(session, settings, run, recipient, payload, now)
    return result


async def _overseers(session: AsyncSession, workspace: Workspace, run: Run,
                     ) -> dict[int, frozenset[str] | None]:
    """Reachable coordinators (with their clusters) and secretariat members (None: all),
    leaving out those away on the run's day."""
    rows = await session.execute(
        select(Member.id, Member.role, MemberCluster.cluster_code)
        .outerjoin(MemberCluster, MemberCluster.member_id == Member.id)
        .where(Member.regency_id == workspace.regency_id, routes.REACHABLE,
               present_on(run.day),
               Member.role.in_([Role.COORDINATOR, Role.SECRETARIAT])).order_by(Member.id))
    found: dict[int, set[str] | None] = {}
    for key, role, cluster in rows:
        if role == Role.SECRETARIAT:
            found[key] = None
        else:
            codes = found.setdefault(key, set())
            if codes is not None and cluster is not None:
                codes.add(cluster)
    return {k: (None if v is None else frozenset(v)) for k, v in found.items()}


async def _escalations(session: AsyncSession, workspace: Workspace, settings: Settings,
                       run: Run, now: datetime) -> FanOut:
    late_by = max(1, settings.reminders.escalate_after_days)
    rows = await session.execute(
        select(Task.id, Task.code, Task.title, Task.due_date, Task.points, Task.state,
               Indicator.cluster_code, Member.name, Member.agency)
        .join(Indicator, Task.indicator_number == Indicator.number)
        .join(Member, Task.assignee_id == Member.id)
        .where(Task.cycle_id == workspace.cycle_id, overdue.overdue(run.day, for_days=late_by))
        .order_by(Task.due_date, Task.code_key))
    late = [OverdueTask(id=r[0], code=r[1], title=r[2], due=r[3], points=r[4], state=r[5],
                        cluster=r[6], assignee=r[7], agency=r[8],
                        days=overdue.days_late(r[3], run.day)) for r in rows]
    result = FanOut()
    for recipient, clusters in (await _overseers(session, workspace, run)).items():
        if clusters is None:
            continue  # the secretariat sees the overall picture in the brief
        mine = [t for t in late if t.cluster in clusters]
        if not mine:
            continue
        shown = tuple(mine[:ESCALATION_MAX_TASKS])
        payload = Escalation(**_common(run, settings), task_ids=tuple(t.id for t in shown),
                             tasks=shown, more=len(mine) - len(shown),
                             why=escalation_why(mine))
        result += await _queue(session, settings, run, recipient, payload, now)
    return result


async def _briefs(session: AsyncSession, workspace: Workspace, settings: Settings, run: Run,
                  now: datetime) -> FanOut:
    headline = await build_headline(session, workspace, settings, now)
    score, tasks = headline.score, headline.tasks
    payload = Brief(**_common(run, settings), projected=score.projected,
                    target=score.target, predicate=score.target_predicate,
                    needed=score.still_needed, open=tasks.open,
                    submitted=tasks.submitted, approved=tasks.approved, overdue=tasks.overdue,
                    **_lateness(run, settings, now))
    result = FanOut()
    for recipient in await _overseers(session, workspace, run):
        result += await _queue(session, settings, run, recipient, payload, now)
    # The task-force group's progress post belongs to the same morning (not counted here:
    # the fan-out counts people).
    await groups.queue_morning(session, workspace, settings, day=run.day, now=now)
    return result


def _lateness(run: Run, settings: Settings, now: datetime) -> dict[str, Any]:
    """A brief caught up after its slot's grace (the bot was down) is no morning brief: it
    says when its figures were taken (``pukul 13.21 WITA``)."""
    local = now.astimezone(settings.tz)
    if local - datetime.combine(run.day, run.slot, settings.tz) <= scheduler.LATE_SLOT_GRACE:
        return {}
    return {"late_at": local, "timezone": str(settings.tz)}


async def _last_calls(session: AsyncSession, workspace: Workspace, settings: Settings,
                      run: Run, now: datetime) -> FanOut:
    rows = await session.execute(
        select(Indicator.cluster_code, Task.state, func.count(), func.sum(Task.points))
        .join(Indicator, Task.indicator_number == Indicator.number)
        .where(Task.cycle_id == workspace.cycle_id, Task.state.in_(LIVE_TASK_STATES))
        .group_by(Indicator.cluster_code, Task.state))
    per_cluster = [(cluster, state, int(count), Decimal(points or 0))
                   for cluster, state, count, points in rows]
    result = FanOut()
    for recipient, clusters in (await _overseers(session, workspace, run)).items():
        mine = [r for r in per_cluster if clusters is None or r[0] in clusters]
        open_ = [r for r in mine if r[1] == TaskState.OPEN]
        payload = LastCall(verification_date=run.day, open=sum(r[2] for r in open_),
                           open_points=sum((r[3] for r in open_), Decimal(0)),
                           submitted=sum(r[2] for r in mine if r[1] == TaskState.SUBMITTED))
        result += await _queue(session, settings, run, recipient, payload, now)
    return result

