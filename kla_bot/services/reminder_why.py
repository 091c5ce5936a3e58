"""Why a member gets a reminder, or why not: the one place both answers come from.

The reminders service puts :func:`digest_why` / :func:`escalation_why` on each payload as
facts; ``/kenapa`` (:func:`explain`) asks the same planner (:mod:`kla_bot.scheduler`) and the
same outbox rows, so what the bot says about a reminder is what the reminder did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot import scheduler
from kla_bot.clock import days_left
from kla_bot.config import Settings
from kla_bot.domain import TaskState
from kla_bot.models import Member, OutboxMessage, Task
from kla_bot.services import routes
from kla_bot.services.outbox_kinds import DigestTask, OutboxKind, OverdueTask, Why
from kla_bot.services.workspace import Workspace

# From this many days before the verification, the countdown is reason enough by itself.
COUNTDOWN_REASON_DAYS = 7


def digest_why(tasks: Sequence[DigestTask], day: date, days_to_verification: int) -> Why:
    """Why a member's digest goes today, most pressing first: something overdue, something
    due today or tomorrow, the verification close, or simply open tasks."""
    late = [t for t in tasks if t.due < day]
    if late:
        oldest = min(t.due for t in late)
        return Why(rule="overdue", count=len(late), days=(day - oldest).days,
                   task_code=late[0].code if len(late) == 1 else None)
    soon = [t for t in tasks if (t.due - day).days <= 1]
    if soon:
        return Why(rule="due_soon", count=len(soon), days=min((t.due - day).days for t in soon),
                   task_code=soon[0].code if len(soon) == 1 else None)
    if days_to_verification <= COUNTDOWN_REASON_DAYS:
        return Why(rule="countdown", count=len(tasks), days=days_to_verification)
    nearest = min((t.due for t in tasks), default=day)
    return Why(rule="open", count=len(tasks), days=(nearest - day).days,
               task_code=tasks[0].code if len(tasks) == 1 else None)


def escalation_why(tasks: Sequence[OverdueTask]) -> Why:
    """Why a coordinator hears of overdue tasks: how many, and the longest overdue."""
    return Why(rule="cluster_overdue", count=len(tasks), days=max((t.days for t in tasks),
                                                                  default=0),
               task_code=tasks[0].code if len(tasks) == 1 else None)


@dataclass(frozen=True)
class Explanation:
    """``/kenapa``: the member's last reminder (when and why), whether one is due, and when the
    next one goes — or why none does. ``quiet``: the reasons none goes (empty: reminders go):
    ``no_open_tasks``, ``unreachable``, ``after_verification``, ``holiday``,
    ``not_working_day``, ``not_reminder_day`` (today), ``already_today``."""

    last_at: datetime | None
    last_why: Why | None
    open_tasks: int
    quiet: tuple[str, ...]
    next_at: datetime | None


async def explain(session: AsyncSession, workspace: Workspace, settings: Settings,
                  member: Member, now: datetime) -> Explanation:
    """Why ``member`` got their last reminder, and why (not) one now or next."""
    last = await session.scalar(
        select(OutboxMessage).where(OutboxMessage.recipient_id == member.id,
                                    OutboxMessage.kind == str(OutboxKind.DIGEST))
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()).limit(1))
    last_why = None
    if last is not None and isinstance(last.payload.get("why"), dict):
        last_why = Why(**last.payload["why"])
    open_tasks = int(await session.scalar(select(func.count()).select_from(Task).where(
        Task.cycle_id == workspace.cycle_id, Task.assignee_id == member.id,
        Task.state == TaskState.OPEN)) or 0)
    local = now.astimezone(settings.tz)
    today = local.date()
    quiet: list[str] = []
    if open_tasks == 0:
        quiet.append("no_open_tasks")
    if not await routes.can_message(session, member.id):
        quiet.append("unreachable")
    day_reason = scheduler.why_quiet(settings, today)
    if day_reason is not None:
        quiet.append(day_reason)
    elif last is not None and _local_day(
            last.created_at, settings) == today and not _later_slot_today(settings, local):
        quiet.append("already_today")
    next_at = None
    if days_left(today, settings.verification.date) >= 0 and "no_open_tasks" not in quiet:
        next_at = scheduler.next_run_at(settings, now)
    return Explanation(last_at=None if last is None else _aware(last.created_at, settings),
                       last_why=last_why, open_tasks=open_tasks, quiet=tuple(quiet),
                       next_at=next_at)


def _aware(moment: datetime, settings: Settings) -> datetime:
    """A stored (aware, UTC) time in the regency's zone, for the answer."""
    return moment.astimezone(settings.tz)


def _local_day(moment: datetime, settings: Settings) -> date:
    return _aware(moment, settings).date()


def _later_slot_today(settings: Settings, local: datetime) -> bool:
    """Whether another of today's slots is still to come (then "already today" is not why)."""
    return any(slot > local.time() for slot in scheduler.slots_on(settings, local.date()))
