"""The review loop: coordinators accept or reject submitted evidence; members hear back.

A decision is a conditional ``UPDATE … WHERE state = 'submitted'`` on the evidence row (after
locking its task row on PostgreSQL), so two coordinators pressing at once cannot both win: the
loser is told who decided and when, and nothing changes twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from kla_bot.domain import OVERSEER_ROLES, EvidenceState, TaskState, Who, state_from_files
from kla_bot.models import Evidence, Indicator, Member, OutboxMessage, PendingReason, Task
from kla_bot.services import audit, members, outbox, routes
from kla_bot.services.access import AccessDenied, Scope, overseer_scope, require_cluster
from kla_bot.services.evidence_facts import FileNotes, duplicates_of, judge
from kla_bot.services.outbox_kinds import EvidenceSubmitted, ReviewAccepted, ReviewRejected
from kla_bot.services.periods import period_of
from kla_bot.services.workspace import Workspace

MAX_REASON_CHARS = 500
REASON_WINDOW = timedelta(minutes=15)  # a plain text this soon after Tolak is the reason
Message = tuple[str, str, str]  # (channel, chat, message) of a message the bot sent


@dataclass(frozen=True)
class ReviewItem:
    """One submitted file as a reviewer sees it."""

    evidence_id: int
    task_id: int
    task_code: str
    task_title: str
    indicator: int
    indicator_name: str
    cluster: str
    points: Decimal
    member_name: str
    agency: str
    file_name: str
    bytes: int
    sha256: str
    mime: str
    storage_key: str
    uploaded_at: datetime
    state: str
    file_id: str | None = None  # Telegram's, to show the file without uploading it again
    file_kind: str | None = None
    content_notes: str | None = None
    facts: FileNotes | None = None

    def payload(self) -> EvidenceSubmitted:
        """The ``evidence.submitted`` outbox payload (also the card of ``/tinjau``)."""
        return EvidenceSubmitted(
            task_ids=(self.task_id,), evidence_id=self.evidence_id, task_code=self.task_code,
            task_title=self.task_title, indicator=f"{self.indicator}. {self.indicator_name}",
            cluster=self.cluster, points=self.points, member_name=self.member_name,
            agency=self.agency, file_name=self.file_name, bytes=self.bytes,
            sha256=self.sha256, mime=self.mime, storage_key=self.storage_key,
            file_id=self.file_id, file_kind=self.file_kind, content_notes=self.content_notes,
            facts=self.facts)


@dataclass(frozen=True)
class Waiting:
    """Submissions waiting for one reviewer, oldest first (``total`` counts all of them)."""

    items: list[ReviewItem]
    total: int


@dataclass(frozen=True)
class Decision:
    """What became of a press: ``outcome`` is accepted, rejected, already or asked."""

    outcome: str
    item: ReviewItem
    reviewer: str | None = None
    reviewed_at: datetime | None = None
    state: str | None = None
    reason: str | None = None
    member_told: bool = False
    settled: list[Message] = field(default_factory=list)  # their buttons must go now
    asker_id: int | None = None  # "asked": the coordinator who owes the reason


def _items_query() -> Any:  # ReviewItem's columns in order, then facts and period (_items)
    uploader = aliased(Member)
    query = (select(Evidence.id, Task.id, Task.code, Task.title, Indicator.number,
                   Indicator.name, Indicator.cluster_code, Task.points, uploader.name,
                   uploader.agency, Evidence.original_name, Evidence.size_bytes,
                   Evidence.sha256, Evidence.mime, Evidence.storage_key, Evidence.uploaded_at,
                   Evidence.state, Evidence.telegram_file_id, Evidence.telegram_file_kind,
                   Evidence.content_notes, Evidence.facts, Task.period_start, Task.period_end)
            .join(Task, Task.id == Evidence.task_id)
            .join(Indicator, Indicator.number == Task.indicator_number)
            .join(uploader, uploader.id == Evidence.uploaded_by_id))
    return query


async def review_item(session: AsyncSession, workspace: Workspace,
                      evidence_id: int) -> ReviewItem:
    """One file as its reviewers see it (the upload notice is built from it too)."""
    row = (await session.execute(_items_query().where(
        Evidence.id == evidence_id, Task.cycle_id == workspace.cycle_id))).first()
    if row is None:
        raise AccessDenied("review.stale")
    return (await _items(session, workspace, [row]))[0]


async def _items(session: AsyncSession, workspace: Workspace, rows: list[Any]) -> list[ReviewItem]:
    """Rows of ``_items_query`` as items, with their file's notes (facts against the task's
    period, the same file sent for other tasks)."""
    items = [ReviewItem(*row[:-3]) for row in rows]
    dupes = await duplicates_of(session, workspace.cycle_id,
                                [(item.task_id, item.sha256) for item in items])
    noted = []
    for item, row in zip(items, rows, strict=True):
        facts, start, end = row[-3:]
        period = period_of(start, end, workspace.verification_date)
        notes = judge(facts, period, dupes.get((item.task_id, item.sha256), ()))
        noted.append(replace(item, facts=notes))
    return noted


def _cluster_filter(scope: Scope) -> list[Any]:
    return [] if scope.clusters is None else [Indicator.cluster_code.in_(scope.clusters)]


async def waiting_for(session: AsyncSession, workspace: Workspace, member: Member,
                      limit: int = 10) -> Waiting:
    """The files waiting for this coordinator's review, oldest first (``/tinjau``)."""
    scope = overseer_scope(member)
    # A cancelled task's files wait for nobody (they stay stored, with the task).
    where = [Task.cycle_id == workspace.cycle_id, Evidence.state == EvidenceState.SUBMITTED,
             Task.state != TaskState.CANCELLED, *_cluster_filter(scope)]
    rows = await session.execute(_items_query().where(*where)
                                 .order_by(Evidence.uploaded_at, Evidence.id).limit(limit))
    total = await session.scalar(
        select(func.count()).select_from(Evidence).join(Task, Task.id == Evidence.task_id)
        .join(Indicator, Indicator.number == Task.indicator_number).where(*where))
    return Waiting(await _items(session, workspace, list(rows)), int(total or 0))


async def waiting_count(session: AsyncSession, workspace: Workspace, member_id: int) -> int:
    """How many files wait for this member's review (0 for those who review none: plain
    members, the province's officers)."""
    member = await session.get(Member, member_id)
    if member is None or member.role not in OVERSEER_ROLES:
        return 0
    return (await waiting_for(session, workspace, member, limit=0)).total


async def _checked(session: AsyncSession, workspace: Workspace, member: Member,
                   evidence_id: int) -> tuple[Scope, ReviewItem]:
    scope = overseer_scope(member)
    item = await review_item(session, workspace, evidence_id)
    require_cluster(scope, item.cluster)
    return scope, item


async def _already(session: AsyncSession, item: ReviewItem) -> Decision:
    """Who decided on this file before, and when (for the second press)."""
    row = (await session.execute(
        select(Evidence.state, Evidence.reviewed_at, Evidence.review_reason, Member.name)
        .outerjoin(Member, Member.id == Evidence.reviewer_id)
        .where(Evidence.id == item.evidence_id)
        .execution_options(populate_existing=True))).one()
    return Decision("already", item, reviewer=row[3], reviewed_at=row[1], state=row[0],
                    reason=row[2])


async def _decide(session: AsyncSession, member: Member, item: ReviewItem, state: str,
                  reason: str | None, now: datetime) -> bool:
    """Flip the evidence from submitted to ``state``; False when someone else already did."""
    # Serialise decisions on one task (PostgreSQL row lock; SQLite serialises writers anyway).
    await session.execute(select(Task.id).where(Task.id == item.task_id).with_for_update())
    result = await session.execute(
        update(Evidence)
        .where(Evidence.id == item.evidence_id, Evidence.state == EvidenceState.SUBMITTED)
        .values(state=state, reviewer_id=member.id, reviewed_at=now, review_reason=reason))
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    task_state = state_from_files(set(await session.scalars(
        select(Evidence.state).where(Evidence.task_id == item.task_id))))
    values: dict[str, Any] = {"state": task_state, "updated_at": now}
    if reason is not None:
        values["last_rejection_reason"] = reason
    if await session.scalar(select(Task.state).where(Task.id == item.task_id)) \
            == TaskState.CANCELLED:
        del values["state"]  # a decision on an old card: the task stays cancelled
        task_state = TaskState.CANCELLED
    await session.execute(update(Task).where(Task.id == item.task_id).values(**values))
    await audit.record(session, at=now, actor=audit.Actor.member(member),
                       action="evidence.accept" if reason is None else "evidence.reject",
                       subject_type="evidence", subject_id=item.evidence_id,
                       regency_id=member.regency_id, task=item.task_code,
                       sha256=item.sha256, task_state=str(task_state),
                       **({} if reason is None else {"reason": reason}))
    return True


async def _tell_uploader(session: AsyncSession, item: ReviewItem, reviewer: Member,
                         reason: str | None, now: datetime) -> bool:
    """Queue the outcome for the member who sent the file (``reason``: it was rejected)."""
    uploader = await session.scalar(
        select(Member).join(Evidence, Evidence.uploaded_by_id == Member.id)
        .where(Evidence.id == item.evidence_id))
    if uploader is None or not await routes.has_address(session, uploader.id):
        return False  # (an unreachable uploader's result waits until they write again)
    facts: dict[str, Any] = dict(
        task_ids=(item.task_id,), evidence_id=item.evidence_id, task_code=item.task_code,
        task_title=item.task_title, file_name=item.file_name, points=item.points,
        reviewer=reviewer.name)
    payload = (ReviewAccepted(**facts) if reason is None
               else ReviewRejected(**facts, reason=reason))
    return await outbox.enqueue(session, dedupe_key=f"{payload.kind}:{item.evidence_id}",
                                recipient_id=uploader.id, payload=payload, now=now)


async def accept(session: AsyncSession, workspace: Workspace, member: Member,
                 evidence_id: int, now: datetime) -> Decision:
    """Accept a file: the task is approved and the member who sent it is told."""
    _, item = await _checked(session, workspace, member, evidence_id)
    if not await _decide(session, member, item, EvidenceState.APPROVED, None, now):
        return replace(await _already(session, item),
                       settled=await _settle(session, member, item))
    settled = await _settle(session, member, item)
    told = await _tell_uploader(session, item, member, None, now)
    return Decision("accepted", item, reviewer=member.name, reviewed_at=now,
                    state=EvidenceState.APPROVED, member_told=told, settled=settled)


async def ask_reason(session: AsyncSession, workspace: Workspace, member: Member,
                     evidence_id: int, now: datetime, *, channel: str, chat: str,
                     card_message: str | None) -> Decision:
    """Start a rejection: this coordinator owes a reason for this file (one at a time)."""
    _, item = await _checked(session, workspace, member, evidence_id)
    if item.state != EvidenceState.SUBMITTED:
        return await _already(session, item)
    await session.execute(delete(PendingReason).where(PendingReason.member_id == member.id))
    session.add(PendingReason(member_id=member.id, evidence_id=evidence_id, channel=channel,
                              chat=chat, card_message=card_message, created_at=now))
    return Decision("asked", item, asker_id=member.id)


async def note_prompt(session: AsyncSession, member_id: int | None, evidence_id: int,
                      prompt_message: str) -> None:
    """Remember the "why?" prompt, so its buttons go once the file is decided."""
    await session.execute(update(PendingReason).where(
        PendingReason.member_id == member_id, PendingReason.evidence_id == evidence_id)
        .values(prompt_message=prompt_message))


async def reason_pending(session: AsyncSession, member: Member) -> int | None:
    """The file this coordinator was asked a rejection reason for, if any."""
    owed = await session.get(PendingReason, member.id, populate_existing=True)
    return None if owed is None else owed.evidence_id


async def reason_owed_in(session: AsyncSession, workspace: Workspace, who: Who, *,
                         chat: str, now: datetime) -> int | None:
    """The file whose rejection reason is the next text this account types in this chat:
    only right after pressing Tolak there (``REASON_WINDOW``), so later chat is just chat."""
    member = await members.by_who(session, workspace, who)
    if member is None:
        return None
    return await session.scalar(
        select(PendingReason.evidence_id).where(
            PendingReason.member_id == member.id, PendingReason.channel == who.channel,
            PendingReason.chat == chat, PendingReason.created_at >= now - REASON_WINDOW))


async def _settle(session: AsyncSession, member: Member, item: ReviewItem) -> list[Message]:
    """The file is decided: this coordinator owes no reason for it any more, and every
    message with buttons about it (every coordinator's card, this one's prompt) is listed."""
    messages: list[Message] = []
    owed = await session.get(PendingReason, member.id)
    if owed is not None and owed.evidence_id == item.evidence_id:
        messages += [(owed.channel, owed.chat, m)
                     for m in (owed.card_message, owed.prompt_message) if m is not None]
        await session.delete(owed)
    cards = await session.execute(
        select(OutboxMessage.chat, OutboxMessage.telegram_message_id).where(
            OutboxMessage.dedupe_key.startswith(f"evidence.submitted:{item.evidence_id}:"),
            OutboxMessage.channel == "telegram", OutboxMessage.telegram_message_id.is_not(None)))
    messages += [("telegram", str(chat), str(message)) for chat, message in cards
                 if message is not None and chat is not None]
    return list(dict.fromkeys(messages))


async def reject(session: AsyncSession, workspace: Workspace, member: Member,
                 evidence_id: int, reason: str, now: datetime) -> Decision:
    """Reject a file with a reason: the task goes back to open and the member is told why."""
    _, item = await _checked(session, workspace, member, evidence_id)
    if await reason_pending(session, member) != evidence_id:
        if item.state != EvidenceState.SUBMITTED:
            return await _already(session, item)
        raise AccessDenied("review.reason_stale", task=item.task_code)
    reason = " ".join(reason.split())[:MAX_REASON_CHARS]
    if not reason:
        raise AccessDenied("review.reason_empty")
    if not await _decide(session, member, item, EvidenceState.REJECTED, reason, now):
        return replace(await _already(session, item),
                       settled=await _settle(session, member, item))
    settled = await _settle(session, member, item)
    told = await _tell_uploader(session, item, member, reason, now)
    return Decision("rejected", item, reviewer=member.name, reviewed_at=now,
                    state=EvidenceState.REJECTED, reason=reason, member_told=told,
                    settled=settled)
