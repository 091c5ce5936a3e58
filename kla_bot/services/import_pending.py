"""The life of a spreadsheet sent in chat: previewed (kept with its fingerprint), then
applied (Terapkan), discarded (Batal), and the tasks it no longer names cancelled or kept on a
second confirmation. Only the secretariat; every step audited. What a file would do is
:mod:`kla_bot.services.import_preview`'s."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot.domain import Role, TaskState
from kla_bot.models import Member, PendingImport, Task
from kla_bot.services import audit
from kla_bot.services.access import AccessDenied
from kla_bot.services.audit import Actor
from kla_bot.services.import_preview import Plan, Sheet, plan, read_kept
from kla_bot.services.workspace import Workspace
from kla_bot.storage import EvidenceStore


@dataclass(frozen=True)
class Outcome:
    """The answer to Terapkan: ``applied`` (the plan written) or a fresh ``plan`` (stale)."""

    applied: bool
    plan: Plan
    pending_id: int
    file_name: str


class PendingGone(AccessDenied):
    """The preview was already applied or cancelled (a second press, an old message)."""


async def secretariat_names(session: AsyncSession, workspace: Workspace) -> list[str]:
    """Who may import: the secretariat's members, by name."""
    return list(await session.scalars(
        select(Member.name).where(Member.regency_id == workspace.regency_id,
                                  Member.role == Role.SECRETARIAT).order_by(Member.name)))


async def _secretariat(session: AsyncSession, workspace: Workspace, member_id: int) -> Member:
    member = await session.get(Member, member_id)
    if member is None or member.regency_id != workspace.regency_id \
            or member.role != Role.SECRETARIAT:
        raise AccessDenied("secretariat.import.only_secretariat_short")
    return member


async def open_pending(session: AsyncSession, workspace: Workspace, member: Member, *,
                       file_name: str, storage_key: str, sheets: Sequence[Sheet],
                       now: datetime) -> tuple[Plan, int]:
    """Preview a received file and remember it for Terapkan; (the plan, the pending id)."""
    await _secretariat(session, workspace, member.id)
    sha = storage_key.rsplit("/", 1)[-1]
    result = await plan(session, workspace, sheets, sha, Actor.member(member), now)
    pending = PendingImport(regency_id=workspace.regency_id, member_id=member.id,
                            file_name=file_name[:255], storage_key=storage_key,
                            fingerprint=result.fingerprint,
                            missing=[m.id for m in result.missing], state="previewed",
                            created_at=now)
    session.add(pending)
    await session.flush()
    await audit.record(session, at=now, actor=Actor.member(member), action="import.previewed",
                       subject_type="pending_import", subject_id=pending.id,
                       regency_id=workspace.regency_id, file=pending.file_name,
                       sha256=sha, **_summary(result))
    return result, pending.id


async def _pending(session: AsyncSession, workspace: Workspace, member: Member,
                   pending_id: int, state: str) -> PendingImport:
    # Locked: two presses of Terapkan at once apply it once (PostgreSQL; SQLite's write lock
    # already serialises them).
    pending = await session.get(PendingImport, pending_id, with_for_update=True)
    if pending is None or pending.regency_id != workspace.regency_id:
        raise PendingGone("secretariat.import.gone")
    if pending.state != state:
        raise PendingGone("secretariat.import.gone")
    await _secretariat(session, workspace, member.id)
    return pending


async def apply(session: AsyncSession, workspace: Workspace, member: Member, pending_id: int,
                store: EvidenceStore, now: datetime) -> Outcome:
    """Terapkan: write what the preview showed, or (the data changed) preview again."""
    pending = await _pending(session, workspace, member, pending_id, "previewed")
    sheets = await asyncio.to_thread(read_kept, store, pending.storage_key, pending.file_name)
    sha = pending.storage_key.rsplit("/", 1)[-1]
    actor = Actor.member(member)
    result = await plan(session, workspace, sheets, sha, actor, now,
                        write_if=pending.fingerprint)
    if result.fingerprint != pending.fingerprint:
        pending.fingerprint = result.fingerprint
        pending.missing = [m.id for m in result.missing]
        await audit.record(session, at=now, actor=actor, action="import.stale",
                           subject_type="pending_import", subject_id=pending.id,
                           regency_id=workspace.regency_id, **_summary(result))
        return Outcome(False, result, pending.id, pending.file_name)
    pending.state, pending.decided_at = "applied", now
    await audit.record(session, at=now, actor=actor, action="import.applied",
                       subject_type="pending_import", subject_id=pending.id,
                       regency_id=workspace.regency_id, file=pending.file_name,
                       **_summary(result))
    return Outcome(True, result, pending.id, pending.file_name)


async def discard(session: AsyncSession, workspace: Workspace, member: Member,
                  pending_id: int, now: datetime) -> None:
    """Batal: nothing is written; the preview is closed."""
    pending = await _pending(session, workspace, member, pending_id, "previewed")
    pending.state, pending.decided_at = "cancelled", now
    await audit.record(session, at=now, actor=Actor.member(member), action="import.cancelled",
                       subject_type="pending_import", subject_id=pending.id,
                       regency_id=workspace.regency_id, file=pending.file_name)


async def cancel_missing(session: AsyncSession, workspace: Workspace, member: Member,
                         pending_id: int, now: datetime, *, confirm: bool) -> list[str]:
    """The second confirmation: cancel the tasks an applied file no longer names (``confirm``)
    or leave them (not ``confirm``). The codes cancelled."""
    pending = await _pending(session, workspace, member, pending_id, "applied")
    if not pending.missing:
        raise PendingGone("secretariat.import.gone")
    actor = Actor.member(member)
    cancelled: list[str] = []
    if confirm:
        for task in await session.scalars(
                select(Task).where(Task.id.in_(pending.missing),
                                   Task.cycle_id == workspace.cycle_id,
                                   Task.state != TaskState.CANCELLED).order_by(Task.code_key)):
            await cancel_task(session, workspace, actor, task, now, pending_import=pending.id)
            cancelled.append(task.code)
    else:
        await audit.record(session, at=now, actor=actor, action="import.kept_missing",
                           subject_type="pending_import", subject_id=pending.id,
                           regency_id=workspace.regency_id, tasks=len(pending.missing))
    pending.missing = []
    return cancelled


async def cancel_task(session: AsyncSession, workspace: Workspace, actor: Actor, task: Task,
                      now: datetime, **details: Any) -> None:
    """Cancel one task (kept with its evidence and history, no longer reminded or counted),
    audited; for a re-import's dropped tasks and the secretariat's ``/batalkan`` alike."""
    await audit.record(session, at=now, actor=actor, action="task.cancelled",
                       subject_type="task", subject_id=task.id,
                       regency_id=workspace.regency_id, code=task.code,
                       previous_state=task.state, **details)
    task.state, task.updated_at = TaskState.CANCELLED.value, now


def _summary(result: Plan) -> dict[str, Any]:
    return {"sheets": [{"kind": s.kind, "created": s.created, "updated": s.updated,
                        "unchanged": s.unchanged, "bad_rows": [e.row for e in s.errors]}
                       for s in result.sheets],
            "missing": [m.code for m in result.missing]}
