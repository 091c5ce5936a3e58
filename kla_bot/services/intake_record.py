"""Receiving one evidence file: stream it into the store, then record it in one transaction.

The download runs outside any transaction; the record (Evidence row, task to ``submitted``,
audit event, the reviewers' notifications) is one unit of work after the file is on disk.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot.db import Database
from kla_bot.domain import EvidenceState, TaskState
from kla_bot.file_names import safe_file_name
from kla_bot.models import Evidence, Member
from kla_bot.services import audit, members, outbox, routes
from kla_bot.services.audit import Actor
from kla_bot.services.evidence_facts import FileNotes, judge
from kla_bot.services.file_facts import read_facts_safely
from kla_bot.services.intake import IncomingFile
from kla_bot.services.member_tasks import TaskView, own_task, task_view
from kla_bot.services.periods import period_of
from kla_bot.services.review import review_item
from kla_bot.services.workspace import Workspace
from kla_bot.storage import EvidenceStore, StorageRefused, StoredFile

log = logging.getLogger(__name__)


class IntakeFailed(Exception):
    """Something broke midway (download, disk, database): nothing was kept; send it again."""


@dataclass(frozen=True)
class Receipt:
    """What the member is told once a file is recorded (or was already)."""

    task: TaskView
    file_name: str
    size: int
    sha256: str
    duplicate: bool
    evidence_id: int
    notes: FileNotes | None = None  # what the file says, against the task's period


def sanitize_name(name: str | None, fallback: str, extension: str) -> str:
    """The name a file arrived with, without the sender's folders, safe to show and to use in
    an export, ending in the extension of what the file really is."""
    base = safe_file_name((name or "").replace("\\", "/").rsplit("/", 1)[-1], fallback=fallback)
    if extension and not base.lower().endswith(f".{extension}"):
        stem = base.rsplit(".", 1)[0] if "." in base else base
        base = safe_file_name(f"{stem}.{extension}")
    return base


async def receive_file(db: Database, workspace: Workspace, store: EvidenceStore,
                       chunks: AsyncIterator[bytes], *, member_id: int, task_id: int,
                       incoming: IncomingFile, max_bytes: int, now: datetime,
                       today: date) -> Receipt:
    """Store the streamed file (StorageRefused when unfit), then record it for the task."""
    try:
        # Facts are read on the verified temp file, outside any transaction, in the checks'
        # sandbox (never a reason to refuse), before it is kept: no second download.
        stored = await store.receive(chunks, max_bytes=max_bytes, inspect=read_facts_safely)
    except StorageRefused:
        raise
    except Exception as exc:
        log.warning("evidence download failed: %r", exc)
        raise IntakeFailed from exc
    try:
        async with db.transaction() as session:
            return await record(session, workspace, member_id=member_id, task_id=task_id,
                                incoming=incoming, stored=stored, now=now, today=today,
                                facts=stored.facts)
    except Exception:
        if not stored.already_stored:
            await _discard_if_unused(db, store, stored)
        raise


async def _discard_if_unused(db: Database, store: EvidenceStore, stored: StoredFile) -> None:
    async with db.transaction() as session:
        used = await session.scalar(select(func.count()).select_from(Evidence).where(
            Evidence.sha256 == stored.sha256))
    if not used:
        await asyncio.to_thread(store.discard, stored.storage_key)


async def record(session: AsyncSession, workspace: Workspace, *, member_id: int, task_id: int,
                 incoming: IncomingFile, stored: StoredFile, now: datetime,
                 today: date, facts: dict[str, Any] | None = None) -> Receipt:
    """Record a stored file for the task: Evidence, task ``submitted``, audit, notifications.

    The same bytes for the same task again change nothing (the receipt says so)."""
    # Lock the uploader's row: the same file sent twice at once is recorded once.
    await session.execute(update(Member).where(Member.id == member_id)
                          .values(updated_at=Member.updated_at))
    member = await session.get(Member, member_id)
    assert member is not None
    task = await own_task(session, workspace, member, task_id)
    view = await task_view(session, task, today)
    existing = await session.scalar(select(Evidence).where(
        Evidence.task_id == task.id, Evidence.sha256 == stored.sha256))
    if existing is not None:
        return Receipt(view, existing.original_name, existing.size_bytes, existing.sha256,
                       True, existing.id)
    fallback = f"{task.code}-{stored.sha256[:8]}"
    name = sanitize_name(incoming.file_name, fallback, stored.extension)
    evidence = Evidence(
        task_id=task.id, uploaded_by_id=member.id, sha256=stored.sha256,
        size_bytes=stored.size, mime=stored.mime, original_name=name,
        storage_key=stored.storage_key, telegram_file_unique_id=incoming.file_unique_id,
        telegram_file_id=incoming.file_id, telegram_file_kind=incoming.kind,
        content_notes=",".join(stored.notes) or None, facts=facts,
        state=EvidenceState.SUBMITTED, uploaded_at=now)
    session.add(evidence)
    task.state = TaskState.SUBMITTED
    task.updated_at = now
    await session.flush()
    await audit.record(session, at=now, actor=Actor.member(member), action="evidence.uploaded",
                       subject_type="evidence", subject_id=evidence.id,
                       regency_id=workspace.regency_id, task=task.code, sha256=stored.sha256,
                       bytes=stored.size, mime=stored.mime)
    # The notice is the /tinjau card: one shape, read back from what was just recorded.
    payload = (await review_item(session, workspace, evidence.id)).payload()
    for reviewer in await members.reviewers_of(session, workspace, view.cluster_code):
        if not await routes.can_message(session, reviewer.id):
            continue  # they will find it in /tinjau once they open the bot
        await outbox.enqueue(
            session, dedupe_key=f"{payload.kind}:{evidence.id}:{reviewer.id}",
            recipient_id=reviewer.id, payload=payload, now=now)
    notes = judge(facts, period_of(task.period_start, task.period_end,
                                   workspace.verification_date))
    return Receipt(view, name, stored.size, stored.sha256, False, evidence.id, notes)
