"""Imports by message: a spreadsheet the secretariat sends is previewed, then applied on
Terapkan exactly as previewed.

Recognition reads each sheet with the importers' own header rules (``kla_bot.tabular``): a
sheet is a members or a tasks sheet when its header names every required column of one. The
preview runs the SAME check and write services as ``python bot.py import`` inside a savepoint
that is rolled back, so its counts are what the write would do and nothing is kept.

"Exactly what was previewed": the pending import keeps the file (content-addressed in the
store) and a fingerprint of the file and of the members and tasks it could touch. Apply
recomputes the fingerprint in its own transaction; equal, it writes (the same file on the same
data gives the same writes); different, it writes nothing and previews again.

Tasks no longer in a re-imported tasks file are only listed; they are cancelled by
:func:`kla_bot.services.import_pending.cancel_missing`, after a second confirmation.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot.domain import TaskState
from kla_bot.errors import UserError
from kla_bot.models import Member, Task
from kla_bot.services.audit import Actor
from kla_bot.services.import_rows import RowError, names_regency
from kla_bot.services.imports import (
    MEMBER_COLUMNS,
    TASK_COLUMNS,
    ImportRejected,
    check_members,
    check_tasks,
    write_members,
    write_tasks,
)
from kla_bot.services.workspace import Workspace
from kla_bot.storage import EvidenceStore
from kla_bot.tabular import Table, read_sheet, sheet_names

SUFFIXES = (".xlsx", ".csv")
KINDS = (("members", MEMBER_COLUMNS), ("tasks", TASK_COLUMNS))  # members first: tasks name them


@dataclass(frozen=True)
class Sheet:
    """One recognised sheet of the file."""

    kind: str  # members | tasks
    index: int
    name: str
    table: Table


@dataclass(frozen=True)
class SheetPlan:
    kind: str
    name: str
    created: int
    updated: int
    unchanged: int
    errors: tuple[RowError, ...]
    ignored: tuple[str, ...]


@dataclass(frozen=True)
class MissingTask:
    id: int
    code: str


@dataclass(frozen=True)
class Plan:
    """What applying the file would do (or did)."""

    sheets: tuple[SheetPlan, ...]
    missing: tuple[MissingTask, ...]
    fingerprint: str

    @property
    def changes(self) -> int:
        return sum(s.created + s.updated for s in self.sheets)


def suffix_of(file_name: str | None) -> str | None:
    """``.xlsx`` or ``.csv`` when the name says the file is a spreadsheet the importer reads."""
    suffix = Path(file_name or "").suffix.lower()
    return suffix if suffix in SUFFIXES else None


def recognise(path: Path, suffix: str, file_name: str = "") -> list[Sheet]:
    """The members and tasks sheets of a file (members first); empty when it has none. A CSV
    file's one sheet is named after the file (``file_name``, as the sender called it)."""
    try:
        names = sheet_names(path) if suffix == ".xlsx" else [file_name or path.name]
    except UserError:
        return []
    found: list[Sheet] = []
    for index, name in enumerate(names):
        for kind, columns in KINDS:
            try:
                table = read_sheet(path, columns, sheet=index)
            except UserError:
                continue  # not this kind of sheet (or unreadable): the next kind, sheet
            found.append(Sheet(kind, index, name, table))
            break
    return sorted(found, key=lambda s: (s.kind != "members", s.index))


def unmistakable(sheets: Sequence[Sheet]) -> bool:
    """Whether the file is an import list beyond doubt, not evidence that happens to list
    people: a tasks sheet, or a members sheet with a role or cluster column. (A roster of
    names, phones and agencies may well be a member's evidence: it goes to the intake.)"""
    return any(s.kind == "tasks" or not {"role", "clusters"} <= set(s.table.absent)
               for s in sheets)


def keep_file(store: EvidenceStore, data: bytes) -> str:
    """Store the file content-addressed, like evidence; its storage key (blocking)."""
    return store.keep_bytes(data)


def recognise_bytes(data: bytes, file_name: str) -> list[Sheet]:
    """The sheets of a file's bytes (read from a copy named as its type: openpyxl reads only
    files whose name ends in .xlsx, and the store names files by their hash)."""
    suffix = suffix_of(file_name) or ".csv"
    with tempfile.TemporaryDirectory(prefix="kla-import-") as folder:
        path = Path(folder) / f"file{suffix}"
        path.write_bytes(data)
        return recognise(path, suffix, file_name)


def read_kept(store: EvidenceStore, key: str, file_name: str) -> list[Sheet]:
    """The sheets of a file kept in the store (blocking)."""
    return recognise_bytes(store.read_bytes(key), file_name)


async def plan(session: AsyncSession, workspace: Workspace, sheets: Sequence[Sheet],
               file_sha: str, actor: Actor, now: datetime, *, write_if: str | None = None) -> Plan:
    """Check and write every sheet inside a savepoint; keep the writes only when the data's
    fingerprint equals ``write_if`` (apply), else roll them back (preview)."""
    fingerprint = await _fingerprint(session, workspace, file_sha)
    missing = await _missing(session, workspace, sheets)
    keep = write_if is not None and write_if == fingerprint
    savepoint = await session.begin_nested()
    try:
        results = [await _run(session, workspace, sheet, actor, now) for sheet in sheets]
    except BaseException:
        await savepoint.rollback()
        raise
    if keep:
        await savepoint.commit()
    else:
        await savepoint.rollback()
    return Plan(tuple(results), missing, fingerprint)


async def _run(session: AsyncSession, workspace: Workspace, sheet: Sheet, actor: Actor,
               now: datetime) -> SheetPlan:
    errors: tuple[RowError, ...] = ()
    rows = sheet.table.rows
    items: Any
    try:
        items = (await check_members(session, workspace, rows, sheet.name)
                 if sheet.kind == "members"
                 else await check_tasks(session, workspace, rows, sheet.name))
    except ImportRejected as rejected:
        items, errors = rejected.parsed, rejected.errors
    if sheet.kind == "members":
        created, updated = await write_members(session, workspace, items, now, actor=actor)
    else:
        created, updated = await write_tasks(session, workspace, items, now, actor=actor)
    return SheetPlan(sheet.kind, sheet.name, created, updated, len(items) - created - updated,
                     errors, sheet.table.ignored)


async def _fingerprint(session: AsyncSession, workspace: Workspace, file_sha: str) -> str:
    """The file and every stored value an import of it reads or writes (states only as
    cancelled or not: evidence arriving in between changes nothing an import does)."""
    members = [[m.phone, m.name, m.agency, m.role, sorted(m.cluster_codes)]
               for m in await session.scalars(
                   select(Member).where(Member.regency_id == workspace.regency_id)
                   .order_by(Member.id))]
    tasks = [[r.code_key, r.code, r.indicator_number, r.title, str(r.points), r.assignee_id,
              r.due_date.isoformat(), r.due_is_default, r.notes,
              r.state == TaskState.CANCELLED]
             for r in await session.execute(
                 select(Task.code_key, Task.code, Task.indicator_number, Task.title,
                        Task.points, Task.assignee_id, Task.due_date, Task.due_is_default,
                        Task.notes, Task.state)
                 .where(Task.cycle_id == workspace.cycle_id).order_by(Task.id))]
    data = json.dumps([file_sha, members, tasks], ensure_ascii=False, default=str)
    return hashlib.sha256(data.encode()).hexdigest()


async def _missing(session: AsyncSession, workspace: Workspace,
                   sheets: Sequence[Sheet]) -> tuple[MissingTask, ...]:
    """Tasks of the cycle a tasks file no longer names (bad rows still name theirs, unless
    they are another regency's)."""
    task_sheets = [s for s in sheets if s.kind == "tasks"]
    if not task_sheets:
        return ()
    named = {row.get("code").upper() for s in task_sheets for row in s.table.rows
             if names_regency(row, workspace.regency)}  # another regency's rows name nothing
    return tuple(MissingTask(task_id, code) for task_id, code, key in await session.execute(
        select(Task.id, Task.code, Task.code_key)
        .where(Task.cycle_id == workspace.cycle_id, Task.state != TaskState.CANCELLED)
        .order_by(Task.code_key)) if key not in named)
