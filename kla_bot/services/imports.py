"""Importing the task force and the missing-evidence list from spreadsheets.

A file is validated whole before anything is written: on any bad row nothing changes and
every bad row is reported. Members are upserted by normalised phone, tasks by code
(case-insensitive) within the current cycle. Importing the same file again changes nothing:
rows equal to what is stored are left alone (no timestamp bump, no audit event). An import
never deletes anything and never touches a task's evidence, nor its state, except that a
cancelled task listed again is live again (open, submitted or approved, as its files say).

``import_members``/``import_tasks`` do it in the caller's unit of work (small files, the
demo). ``import_in_batches`` (the command line) validates in a read-only snapshot, then writes
``BATCH_ROWS`` rows per transaction, so the bot's uploads wait for a short transaction at most,
never for a 20,000-row file. Should it stop midway (a crash), running it again completes it.

A file may name each row's regency (a "Kabupaten" column): the command line imports every
part into the regency it names, still all or nothing for the whole file (a row naming no
regency goes to the one the import is for); anywhere else a row for another regency is a bad
row, never written.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot.db import Database
from kla_bot.domain import Role, TaskState, state_from_files
from kla_bot.errors import Reason, UserError
from kla_bot.models import Cluster, Evidence, Indicator, Member, MemberCluster, Task
from kla_bot.services import audit, regencies
from kla_bot.services.audit import Actor, record
from kla_bot.services.due_dates import default_due
from kla_bot.services.import_rows import (
    MEMBER_COLUMNS,
    TASK_COLUMNS,
    MemberRow,
    RowError,
    TaskRow,
    check_regency,
    parse_member,
    parse_task,
    regency_key,
    unknown_regency,
)
from kla_bot.services.members import clusters_without_coordinator
from kla_bot.services.workspace import Workspace
from kla_bot.tabular import Row

__all__ = ["MEMBER_COLUMNS", "TASK_COLUMNS", "ImportRejected", "ImportResult", "RowError",
           "import_in_batches", "import_members", "import_tasks"]

CLI = Actor.system("cli")
BATCH_ROWS = 500  # rows written per transaction by import_in_batches
# Between two batches the import lets go of the database this long: a writer that found it
# busy sleeps at most 100 ms between tries (SQLite's busy handler), so it gets its turn.
BATCH_PAUSE_S = 0.12


class ImportRejected(UserError):
    """The file has bad rows; nothing was written. The details list every one."""

    def __init__(self, what: str, errors: Sequence[RowError],
                 parsed: Sequence[MemberRow] | Sequence[TaskRow] = ()) -> None:
        key = "imports.rejected_one" if len(errors) == 1 else "imports.rejected"
        super().__init__(key, file=what, count=len(errors))
        self.errors = tuple(errors)
        # The good rows: an import by message may write them alone once the preview is agreed.
        self.parsed: Sequence[MemberRow] | Sequence[TaskRow] = parsed
        self.details = tuple(Reason.of("imports.row", row=e.row, reasons=e.reasons)
                             for e in errors)


@dataclass(frozen=True)
class RegencyResult:
    regency: str
    created: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class ImportResult:
    kind: str
    created: int
    updated: int
    unchanged: int
    warnings: tuple[Reason, ...] = ()  # e.g. clusters nobody coordinates
    # One result per regency when the file named another one than the import's (else empty).
    regencies: tuple[RegencyResult, ...] = ()


@dataclass(frozen=True)
class Part:
    """The rows of a file that go to one regency."""

    workspace: Workspace
    rows: Sequence[Row]


async def import_members(session: AsyncSession, workspace: Workspace, rows: Sequence[Row],
                         now: datetime, *, source: str = "members") -> ImportResult:
    """Create or update the task force from rows; ImportRejected (nothing written) on bad rows."""
    items = await check_members(session, workspace, rows, source)
    created, updated = await write_members(session, workspace, items, now)
    return ImportResult("members", created, updated, len(items) - created - updated,
                        await _warnings(session, workspace, "members"))


async def import_tasks(session: AsyncSession, workspace: Workspace, rows: Sequence[Row],
                       now: datetime, *, source: str = "tasks") -> ImportResult:
    """Create or update the evidence tasks from rows; state and evidence are never reset."""
    items = await check_tasks(session, workspace, rows, source)
    created, updated = await write_tasks(session, workspace, items, now)
    return ImportResult("tasks", created, updated, len(items) - created - updated,
                        await _warnings(session, workspace, "tasks"))


async def import_in_batches(db: Database, workspace: Workspace, kind: str, rows: Sequence[Row],
                            now: datetime, *, source: str,
                            batch: int = BATCH_ROWS) -> ImportResult:
    """The same as import_members/import_tasks, in short write transactions (see above); rows
    naming a regency go to it (``workspace``'s when they name none)."""
    async with db.snapshot() as session:
        parts, errors = await by_regency(session, workspace, rows)
        checked: list[tuple[Workspace, Sequence[MemberRow] | Sequence[TaskRow]]] = []
        for part in parts:
            try:
                checked.append((part.workspace, await _check(session, part, kind, source)))
            except ImportRejected as rejected:
                errors += rejected.errors
    if errors:  # every bad row of every regency, in the file's order; nothing written
        raise ImportRejected(source, sorted(errors, key=lambda e: e.row))
    results: list[RegencyResult] = []
    warnings: list[Reason] = []
    for here, items in checked:
        created = updated = 0
        for start in range(0, len(items), batch):
            chunk: Any = items[start:start + batch]
            async with db.transaction() as session:
                c, u = (await write_members(session, here, chunk, now) if kind == "members"
                        else await write_tasks(session, here, chunk, now))
            created, updated = created + c, updated + u
            if start + batch < len(items):
                await asyncio.sleep(BATCH_PAUSE_S)
        results.append(RegencyResult(here.regency, created, updated,
                                     len(items) - created - updated))
        async with db.snapshot() as session:
            found = await _warnings(session, here, kind)
        warnings += found if len(checked) == 1 else [
            Reason.of("imports.warning.in_regency", regency=here.regency, warning=w)
            for w in found]
    named = len(checked) > 1 or checked[0][0].regency_id != workspace.regency_id
    return ImportResult(kind, sum(r.created for r in results), sum(r.updated for r in results),
                        sum(r.unchanged for r in results), tuple(warnings),
                        tuple(results) if named else ())


async def _check(session: AsyncSession, part: Part, kind: str,
                 source: str) -> Sequence[MemberRow] | Sequence[TaskRow]:
    if kind == "members":
        return await check_members(session, part.workspace, part.rows, source)
    return await check_tasks(session, part.workspace, part.rows, source)


async def by_regency(session: AsyncSession, workspace: Workspace,
                     rows: Sequence[Row]) -> tuple[list[Part], list[RowError]]:
    """The rows split by the regency each names (an empty cell: ``workspace``'s), that one
    first, the others by name; a row naming an unknown regency is a bad row."""
    if not any(row.get("regency") for row in rows):
        return [Part(workspace, rows)], []
    known = {regency_key(p.name): p.workspace for p in await regencies.all_profiles(session)}
    known[regency_key(workspace.regency)] = workspace
    grouped: dict[int, tuple[Workspace, list[Row]]] = {}
    errors: list[RowError] = []
    for row in rows:
        here = known.get(regency_key(row.get("regency") or workspace.regency))
        if here is None:
            errors.append(unknown_regency(row))
            continue
        grouped.setdefault(here.regency_id, (here, []))[1].append(row)
    order = sorted(grouped.values(),
                   key=lambda g: (g[0].regency_id != workspace.regency_id, g[0].regency))
    return [Part(here, part_rows) for here, part_rows in order], errors


async def _warnings(session: AsyncSession, workspace: Workspace, kind: str) -> tuple[Reason, ...]:
    orphans = await clusters_without_coordinator(session, workspace,
                                                 with_tasks_only=kind == "tasks")
    if not orphans:
        return ()
    return (Reason.of("imports.warning.no_coordinator", clusters=", ".join(orphans)),)


async def check_members(session: AsyncSession, workspace: Workspace, rows: Sequence[Row],
                        source: str) -> list[MemberRow]:
    """Every row checked (another regency's row is a bad one); ImportRejected naming every
    bad row."""
    codes = list(await session.scalars(select(Cluster.code).order_by(Cluster.position)))
    parsed: list[MemberRow] = []
    errors: list[RowError] = []
    first_row_of: dict[str, int] = {}
    for row in rows:
        reasons: list[Reason] = []
        item = parse_member(row, codes, reasons)
        check_regency(row, workspace.regency, reasons)
        if item is not None and item.phone in first_row_of:
            reasons.append(Reason.of("imports.reason.duplicate_phone", phone=item.phone,
                                     first=first_row_of[item.phone]))
        if reasons or item is None:
            errors.append(RowError(row.number, tuple(reasons)))
            continue
        first_row_of[item.phone] = row.number
        parsed.append(item)
    if errors:
        raise ImportRejected(source, errors, parsed)
    return parsed


async def write_members(session: AsyncSession, workspace: Workspace, parsed: Sequence[MemberRow],
                        now: datetime, *, actor: Actor = CLI) -> tuple[int, int]:
    """Upsert checked rows by phone; (created, updated)."""
    existing = {m.phone: m for m in await session.scalars(
        select(Member).where(Member.regency_id == workspace.regency_id,
                             Member.phone.in_([item.phone for item in parsed])))}
    new: list[tuple[Member, MemberRow]] = []
    updated = 0
    for item in parsed:
        member = existing.get(item.phone)
        if member is None:
            member = Member(regency_id=workspace.regency_id, name=item.name, phone=item.phone,
                            agency=item.agency, role=item.role, reachable=True,
                            created_at=now, updated_at=now,
                            clusters=[MemberCluster(cluster_code=c) for c in item.clusters])
            session.add(member)
            new.append((member, item))
            continue
        changes = _changes(member, {"name": item.name, "agency": item.agency, "role": item.role})
        if tuple(member.cluster_codes) != item.clusters:
            changes["clusters"] = [member.cluster_codes, list(item.clusters)]
            keep = [mc for mc in member.clusters if mc.cluster_code in item.clusters]
            have = {mc.cluster_code for mc in keep}
            member.clusters = keep + [MemberCluster(cluster_code=c)
                                      for c in item.clusters if c not in have]
        if changes:
            member.name, member.agency, member.role = item.name, item.agency, item.role
            member.updated_at = now
            updated += 1
            await record(session, at=now, actor=actor, action="member.imported",
                         subject_type="member", subject_id=member.id,
                         regency_id=workspace.regency_id, changed=changes)
    await session.flush()  # one round trip for all new members, then their ids are known
    for member, item in new:
        await record(session, at=now, actor=actor, action="member.imported",
                     subject_type="member", subject_id=member.id,
                     regency_id=workspace.regency_id, created=True, name=item.name,
                     phone=item.phone, agency=item.agency, role=item.role,
                     clusters=list(item.clusters))
    await session.flush()
    return len(new), updated


async def check_tasks(session: AsyncSession, workspace: Workspace, rows: Sequence[Row],
                      source: str) -> list[TaskRow]:
    """Every row checked against the catalog and the members (another regency's row is a
    bad one); ImportRejected on bad rows."""
    indicators = set(await session.scalars(select(Indicator.number)))
    members = {phone: member_id for phone, member_id in await session.execute(
        select(Member.phone, Member.id).where(
            Member.regency_id == workspace.regency_id,
            Member.role != Role.PROVINCE))}  # a province's officer is given no tasks
    parsed: list[TaskRow] = []
    errors: list[RowError] = []
    first_row_of: dict[str, int] = {}
    for row in rows:
        reasons: list[Reason] = []
        item = parse_task(row, indicators, members, reasons)
        check_regency(row, workspace.regency, reasons)
        key = row.get("code").upper()
        if key and key in first_row_of:
            reasons.append(Reason.of("imports.reason.duplicate_code", code=row.get("code"),
                                     first=first_row_of[key]))
        if reasons or item is None:
            errors.append(RowError(row.number, tuple(reasons)))
            continue
        first_row_of[key] = row.number
        parsed.append(item)
    if errors:
        raise ImportRejected(source, errors, parsed)
    return parsed


async def write_tasks(session: AsyncSession, workspace: Workspace, parsed: Sequence[TaskRow],
                      now: datetime, *, actor: Actor = CLI) -> tuple[int, int]:
    """Upsert checked rows by code; (created, updated). New tasks and all audit events go in
    one statement each (thousands of rows: one round trip, not one per row)."""
    existing = {t.code_key: t for t in await session.scalars(
        select(Task).where(Task.cycle_id == workspace.cycle_id,
                           Task.code_key.in_([item.code.upper() for item in parsed])))}
    new: dict[str, dict[str, Any]] = {}
    events: list[dict[str, Any]] = []
    for item in parsed:
        task = existing.get(item.code.upper())
        values: dict[str, Any] = {
            "code": item.code, "indicator_number": item.indicator, "title": item.title,
            "points": item.points, "assignee_id": item.assignee_id,
            "due_date": item.due or default_due(workspace.verification_date),
            "due_is_default": item.due is None, "notes": item.notes,
            "period_start": item.period.start if item.period else None,
            "period_end": item.period.end if item.period else None}
        if task is None:
            new[item.code.upper()] = values
            continue
        changes = _changes(task, values)
        if task.state == TaskState.CANCELLED:
            revived = state_from_files(set(await session.scalars(
                select(Evidence.state).where(Evidence.task_id == task.id))))
            changes["state"] = [task.state, revived.value]
            task.state = revived.value
        if changes:
            for key, value in values.items():
                setattr(task, key, value)
            task.updated_at = now
            events.append(audit.event(at=now, actor=actor, action="task.imported",
                                      subject_type="task", subject_id=task.id,
                                      regency_id=workspace.regency_id, code=item.code,
                                      changed=changes))
    await session.flush()
    if new:
        await session.execute(insert(Task), [
            {"cycle_id": workspace.cycle_id, "code_key": key, "state": "open",
             "created_at": now, "updated_at": now, **values} for key, values in new.items()])
        ids = {key: task_id for key, task_id in await session.execute(
            select(Task.code_key, Task.id).where(Task.cycle_id == workspace.cycle_id,
                                                 Task.code_key.in_(list(new))))}
        events += [audit.event(at=now, actor=actor, action="task.imported", subject_type="task",
                               subject_id=ids[key], regency_id=workspace.regency_id,
                               created=True, **{k: _jsonable(v) for k, v in values.items()})
                   for key, values in new.items()]
    await audit.record_many(session, events)
    return len(new), len(events) - len(new)


def _changes(obj: object, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Fields whose stored value differs: ``{field: [old, new]}`` (JSON-ready)."""
    return {key: [_jsonable(getattr(obj, key)), _jsonable(new)]
            for key, new in values.items() if getattr(obj, key) != new}


def _jsonable(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value
