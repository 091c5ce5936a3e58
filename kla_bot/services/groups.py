"""The task-force group: linking it, its morning progress post (edited in place during the
day), approval news, and "told once" for strangers in it.

One group per regency (``task_force_groups``). Everything the group reads is counts, task codes
and — for approval news — the name of whom to thank: never a phone number, never a rejection
or its reason (those stay in private chats). Messages go through the outbox addressed to the
group's chat, under dedupe keys: the morning post is ``group.progress:<chat>:<local day>``,
so a second firing or a restart never posts twice; an update of it is
``…:<day>:ev<evidence id>`` and carries the first key (``GroupProgress.first``): the sender
edits the day's post instead of adding one (:meth:`OutboxPayload.edits`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot.config import Settings
from kla_bot.domain import Channel, EvidenceState, Role, TaskState
from kla_bot.models import Evidence, GroupNotice, Member, OutboxMessage, Task, TaskForceGroup
from kla_bot.services import audit, outbox
from kla_bot.services.access import AccessDenied
from kla_bot.services.outbox_kinds import ClusterBar, GroupApproval, GroupProgress
from kla_bot.services.status import build_status
from kla_bot.services.workspace import Workspace

MAX_CODES = 12  # approved codes listed in the post; the rest are counted


def _secretariat_only(member: Member) -> None:
    if member.role != Role.SECRETARIAT:
        raise AccessDenied("group.only_secretariat")


async def linked(session: AsyncSession, workspace: Workspace) -> TaskForceGroup | None:
    """The regency's linked group, if any."""
    return await session.scalar(select(TaskForceGroup).where(
        TaskForceGroup.regency_id == workspace.regency_id))


async def is_linked(session: AsyncSession, workspace: Workspace, channel: Channel,
                    chat: str) -> bool:
    group = await linked(session, workspace)
    return group is not None and group.channel == channel and group.chat == chat


async def link(session: AsyncSession, workspace: Workspace, member: Member, *,
               channel: Channel, chat: str, title: str, now: datetime) -> str:
    """Link this group to the regency (the secretariat only): ``linked``, ``already`` (this
    group was linked) or ``moved`` (it replaces the group linked before)."""
    _secretariat_only(member)
    other = await session.scalar(select(TaskForceGroup).where(TaskForceGroup.chat == chat))
    if other is not None and other.regency_id != workspace.regency_id:
        raise AccessDenied("group.taken")
    current = await linked(session, workspace)
    if current is not None and current.chat == chat and current.channel == channel:
        current.title = title[:255]
        return "already"
    outcome = "linked" if current is None else "moved"
    before = None if current is None else current.chat
    if current is not None:
        await session.delete(current)
        await session.flush()
    session.add(TaskForceGroup(regency_id=workspace.regency_id, channel=channel, chat=chat,
                               title=title[:255], linked_by_id=member.id, linked_at=now))
    await audit.record(session, at=now, actor=audit.Actor.member(member), action="group.link",
                       subject_type="group", subject_id=chat, regency_id=workspace.regency_id,
                       channel=channel, title=title[:255],
                       **({} if before is None else {"replaces": before}))
    return outcome


async def unlink(session: AsyncSession, workspace: Workspace, member: Member, *,
                 now: datetime) -> str | None:
    """Unlink the regency's group (the secretariat only); its title, or None when none was."""
    _secretariat_only(member)
    current = await linked(session, workspace)
    if current is None:
        return None
    title, chat = current.title, current.chat
    await session.execute(delete(TaskForceGroup).where(TaskForceGroup.id == current.id))
    await audit.record(session, at=now, actor=audit.Actor.member(member),
                       action="group.unlink", subject_type="group", subject_id=chat,
                       regency_id=workspace.regency_id, title=title)
    return title


# -- the progress post -------------------------------------------------------------------

def progress_key(chat: str, day: date) -> str:
    """The dedupe key of a group's morning post on a local day."""
    return f"group.progress:{chat}:{day.isoformat()}"


async def progress(session: AsyncSession, workspace: Workspace, settings: Settings,
                   now: datetime) -> GroupProgress:
    """The regency's progress as the group may read it (counts and task codes only)."""
    report = await build_status(session, workspace, settings, now)
    today = report.today
    since = datetime.combine(today - timedelta(days=1), time(0), tzinfo=settings.tz)
    codes = list(dict.fromkeys(await session.scalars(
        select(Task.code).join(Evidence, Evidence.task_id == Task.id)
        .where(Task.cycle_id == workspace.cycle_id, Task.state == TaskState.APPROVED,
               Evidence.state == EvidenceState.APPROVED, Evidence.reviewed_at >= since)
        .order_by(Evidence.reviewed_at, Task.code))))
    bars = tuple(ClusterBar(code=c.code, approved=c.totals.counts.approved,
                            total=c.totals.counts.total,
                            open=c.totals.counts.total - c.totals.counts.approved)
                 for c in report.clusters if c.totals.counts.total)
    score = report.score
    return GroupProgress(days_left=report.days_left, day=today,
                         verification_date=report.verification_date,
                         approved_points=score.approved_points, needed=score.still_needed,
                         target=score.target, predicate=score.target_predicate,
                         clusters=bars, approved_since=tuple(codes[:MAX_CODES]),
                         more_approved=max(0, len(codes) - MAX_CODES))


async def queue_morning(session: AsyncSession, workspace: Workspace, settings: Settings, *,
                        day: date, now: datetime) -> bool:
    """Queue the day's progress post for the linked group (once a day; True when queued)."""
    group = await linked(session, workspace)
    if group is None or group.channel != "telegram":
        return False
    payload = await progress(session, workspace, settings, now)
    return await outbox.enqueue(session, dedupe_key=progress_key(group.chat, day),
                                recipient_id=None, chat_id=int(group.chat), payload=payload,
                                now=now, day=day, tz=settings.tz)


async def queue_update(session: AsyncSession, workspace: Workspace, settings: Settings, *,
                       cause: str, now: datetime) -> bool:
    """Queue an update of today's post (edited in place), when there is one today."""
    group = await linked(session, workspace)
    if group is None or group.channel != "telegram":
        return False
    day = now.astimezone(settings.tz).date()
    first = progress_key(group.chat, day)
    if await session.scalar(select(OutboxMessage.id).where(
            OutboxMessage.dedupe_key == first)) is None:
        return False  # no post yet today: the morning post will show it
    payload = await progress(session, workspace, settings, now)
    payload = replace(payload, first=first, updated_at=now.astimezone(settings.tz),
                      zone=settings.verification.timezone)
    return await outbox.enqueue(session, dedupe_key=f"{first}:{cause}", recipient_id=None,
                                chat_id=int(group.chat), payload=payload, now=now, day=day,
                                tz=settings.tz)


async def after_approval(session: AsyncSession, workspace: Workspace, settings: Settings, *,
                         evidence_id: int, task_id: int, task_code: str, member_name: str,
                         now: datetime) -> None:
    """A file was approved: announce it in the group (when configured) and update today's
    post. Rejections never come here."""
    group = await linked(session, workspace)
    if group is None or group.channel != "telegram":
        return
    if settings.group.announce_approvals:
        await outbox.enqueue(session, dedupe_key=f"group.approval:{group.chat}:{evidence_id}",
                             recipient_id=None, chat_id=int(group.chat), now=now,
                             payload=GroupApproval(task_ids=(task_id,), task_code=task_code,
                                                   member_name=member_name))
    await queue_update(session, workspace, settings, cause=f"ev{evidence_id}", now=now)


# -- strangers ---------------------------------------------------------------------------

async def first_notice(session: AsyncSession, *, channel: Channel, chat: str, address: str,
                       now: datetime) -> bool:
    """Record that this person in this group was told how to register; True the first time
    only (a race between two workers still tells them once)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    result = await session.execute(insert(GroupNotice).values(
        channel=channel, chat=chat, address=address, told_at=now).on_conflict_do_nothing(
        index_elements=["channel", "chat", "address"]))
    return bool(result.rowcount)  # type: ignore[attr-defined]
