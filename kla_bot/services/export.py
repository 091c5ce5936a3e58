"""The export for the ministry: an index workbook plus the accepted evidence files, arranged
``<cluster code> <cluster name>/<nn> <indicator name>/<task code> - <file name>``.

Files are streamed into the zip in chunks (never whole in memory) and their SHA-256 checked on
the way; for chat the archive is split into independent zips that each fit Telegram's upload
limit (part 1 carries the workbook).
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from kla_bot.config import Settings
from kla_bot.domain import EvidenceState, TaskState
from kla_bot.errors import Reason
from kla_bot.file_names import safe_file_name
from kla_bot.i18n import Translator
from kla_bot.models import Cluster, Evidence, Indicator, Member, Task
from kla_bot.services import audit
from kla_bot.services.access import secretariat_scope
from kla_bot.services.export_workbook import workbook_bytes
from kla_bot.services.overdue import is_overdue
from kla_bot.services.workspace import Workspace
from kla_bot.storage import EvidenceStore

TELEGRAM_UPLOAD_LIMIT = 50 * 1000 * 1000  # bytes; Telegram counts decimal megabytes


@dataclass(frozen=True)
class ExportFile:
    """One evidence file: its index row, and where it goes in the archive (None: left out)."""

    evidence_id: int
    task_code: str
    cluster: str
    indicator: int
    original_name: str
    bytes: int
    mime: str
    sha256: str
    storage_key: str
    state: str
    uploaded_by: str
    uploaded_at: datetime
    reviewer: str | None
    reviewed_at: datetime | None
    reason: str | None
    arcname: str | None = None


@dataclass(frozen=True)
class ExportTask:
    code: str
    cluster: str
    indicator: int
    indicator_name: str
    title: str
    points: Decimal
    state: str
    overdue: bool
    assignee: str
    agency: str
    due: date
    last_upload: datetime | None
    reviewer: str | None
    reviewed_at: datetime | None
    last_rejection_reason: str | None
    files: int
    notes: str | None


@dataclass(frozen=True)
class ExportCluster:
    code: str
    name: str
    total: int
    open: int
    submitted: int
    approved: int
    overdue: int
    points: Decimal
    approved_points: Decimal


@dataclass
class ExportData:
    """Everything the archive holds, read in one unit of work."""

    regency: str
    verification_date: date
    timezone: str
    generated_at: datetime  # local time, naive
    include_waiting: bool
    clusters: list[ExportCluster]
    tasks: list[ExportTask]
    files: list[ExportFile]


@dataclass(frozen=True)
class ExportProblem:
    """A stored file that could not go into the archive as recorded."""

    kind: str  # "missing" (no file in storage) or "changed" (its hash differs from the record)
    task_code: str
    file_name: str
    sha256_prefix: str

    @property
    def reason(self) -> Reason:
        """The catalog text that describes it (``report.problem_<kind>``)."""
        return Reason.of(f"report.problem_{self.kind}", task=self.task_code,
                         name=self.file_name, sha=self.sha256_prefix)


@dataclass
class ExportResult:
    """The written archive part(s) and what went into them."""

    parts: list[Path]
    files_written: int
    bytes_written: int
    problems: list[ExportProblem] = field(default_factory=list)  # missing or altered files


async def collect(session: AsyncSession, workspace: Workspace, settings: Settings,
                  requester: Member | None, include_waiting: bool, now: datetime,
                  t: Translator) -> ExportData:
    """Read tasks and evidence for the export (``requester`` None: the operator's CLI)."""
    if requester is not None:
        secretariat_scope(requester)
    tz = settings.tz
    today = now.astimezone(tz).date()
    uploader, reviewer = aliased(Member), aliased(Member)
    ev_rows = (await session.execute(
        select(Evidence, uploader.name, reviewer.name)
        .join(Task, Task.id == Evidence.task_id)
        .join(uploader, uploader.id == Evidence.uploaded_by_id)
        .outerjoin(reviewer, reviewer.id == Evidence.reviewer_id)
        .where(Task.cycle_id == workspace.cycle_id)
        .order_by(Evidence.uploaded_at, Evidence.id))).all()
    by_task: dict[int, list[tuple[Evidence, str, str | None]]] = {}
    for row in ev_rows:
        by_task.setdefault(row[0].task_id, []).append((row[0], row[1], row[2]))
    task_rows = (await session.execute(
        select(Task, Indicator, Cluster, Member)
        .join(Indicator, Indicator.number == Task.indicator_number)
        .join(Cluster, Cluster.code == Indicator.cluster_code)
        .join(Member, Member.id == Task.assignee_id)
        .where(Task.cycle_id == workspace.cycle_id)
        .order_by(Cluster.position, Indicator.number, Task.code_key))).all()
    clusters: dict[str, dict[str, Any]] = {}
    for c in await session.scalars(select(Cluster).order_by(Cluster.position)):
        clusters[c.code] = {"code": c.code, "name": c.name, "total": 0, "open": 0,
                            "submitted": 0, "approved": 0, "overdue": 0,
                            "points": Decimal(0), "approved_points": Decimal(0)}
    tasks: list[ExportTask] = []
    files: list[ExportFile] = []
    used: set[str] = set()
    waiting_root = safe_file_name(t("report.waiting_folder"), 80)
    for task, ind, cl, assignee in task_rows:
        evs = by_task.get(task.id, [])
        overdue = is_overdue(task.state, task.due_date, today)
        s = clusters[cl.code]
        if task.state != TaskState.CANCELLED:  # listed with its files, counted nowhere
            s["total"] += 1
            s[task.state] = s.get(task.state, 0) + 1
            s["overdue"] += overdue
            s["points"] += task.points
        if task.state == TaskState.APPROVED:
            s["approved_points"] += task.points
        decided = [e for e in evs if e[0].reviewed_at is not None]
        last = max(decided, key=lambda e: e[0].reviewed_at or now) if decided else None
        tasks.append(ExportTask(
            task.code, cl.code, ind.number, ind.name, task.title, task.points, task.state,
            overdue, assignee.name, assignee.agency, task.due_date,
            evs[-1][0].uploaded_at if evs else None, last[2] if last else None,
            last[0].reviewed_at if last else None, task.last_rejection_reason, len(evs),
            task.notes))
        folder = (f"{safe_file_name(f'{cl.code} {cl.name}', 80)}/"
                  f"{safe_file_name(f'{ind.number:02d} {ind.name}', 80)}")
        for ev, up_name, rv_name in evs:
            arcname: str | None = None
            if ev.state == EvidenceState.APPROVED or (
                    include_waiting and ev.state == EvidenceState.SUBMITTED):
                base = folder if ev.state == EvidenceState.APPROVED else f"{waiting_root}/{folder}"
                name = safe_file_name(f"{task.code} - {ev.original_name}", 120)
                arcname = _unique(f"{base}/{name}", used)
            files.append(ExportFile(
                ev.id, task.code, cl.code, ind.number, ev.original_name, ev.size_bytes, ev.mime,
                ev.sha256, ev.storage_key, ev.state, up_name, ev.uploaded_at, rv_name,
                ev.reviewed_at, ev.review_reason, arcname))
    return ExportData(workspace.regency, workspace.verification_date,
                      settings.verification.timezone,
                      now.astimezone(tz).replace(tzinfo=None), include_waiting,
                      [ExportCluster(**v) for v in clusters.values()], tasks, files)


def _unique(name: str, used: set[str]) -> str:
    stem, dot, ext = name.rpartition(".")
    if not dot or "/" in ext:
        stem, ext = name, ""
    candidate, n = name, 2
    while candidate.lower() in used:
        candidate = f"{stem} ({n}).{ext}" if ext else f"{stem} ({n})"
        n += 1
    used.add(candidate.lower())
    return candidate


def _entry_overhead(arcname: str) -> int:
    # Local header + central record + zip64 extras + data descriptor, with room to spare.
    return 200 + 2 * len(arcname.encode("utf-8"))


def plan_parts(data: ExportData, workbook_size: int, limit: int | None,
               workbook_name: str) -> list[list[ExportFile]]:
    """Group the files into parts whose zips each stay within ``limit`` bytes."""
    included = [f for f in data.files if f.arcname is not None]
    if limit is None:
        return [included]
    parts: list[list[ExportFile]] = [[]]
    used = 200 + workbook_size + _entry_overhead(workbook_name)  # part 1 carries the workbook
    for f in included:
        size = f.bytes + _entry_overhead(f.arcname or "")
        if used + size > limit:
            parts.append([])
            used = 200
        parts[-1].append(f)  # a file bigger than the limit alone still gets its own part
        used += size
    return parts


def part_paths(out: Path, count: int) -> list[Path]:
    """``laporan.zip``, or ``laporan-1-of-3.zip`` … when split."""
    if count == 1:
        return [out]
    return [out.with_name(f"{out.stem}-{i}-of-{count}{out.suffix}") for i in range(1, count + 1)]


def write_archive(data: ExportData, store: EvidenceStore, out: Path, t: Translator,
                  limit: int | None = None) -> ExportResult:
    """Write the zip(s) (blocking: run it in a thread from async code)."""
    workbook_name = safe_file_name(t("report.workbook_name"), 80)
    workbook = workbook_bytes(data, t)
    parts = plan_parts(data, len(workbook), limit, workbook_name)
    paths = part_paths(out, len(parts))
    result = ExportResult(paths, 0, 0)
    out.parent.mkdir(parents=True, exist_ok=True)
    for index, (path, files) in enumerate(zip(paths, parts, strict=True)):
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
            if index == 0:
                info = zipfile.ZipInfo(workbook_name, data.generated_at.timetuple()[:6])
                zf.writestr(info, workbook)
            for f in files:
                _copy_into(zf, f, store, result)
    return result


class _Hashing:
    """Writes into the zip entry, hashing and counting on the way (the store streams)."""

    def __init__(self, out: IO[bytes], result: ExportResult) -> None:
        self.out, self.result, self.digest = out, result, hashlib.sha256()

    def write(self, chunk: bytes) -> int:
        self.digest.update(chunk)
        self.out.write(chunk)
        self.result.bytes_written += len(chunk)
        return len(chunk)


def _copy_into(zf: zipfile.ZipFile, f: ExportFile, store: EvidenceStore,
               result: ExportResult) -> None:
    if f.arcname is None:
        return
    if not store.exists(f.storage_key):
        result.problems.append(ExportProblem("missing", f.task_code, f.original_name,
                                             f.sha256[:12]))
        return
    info = zipfile.ZipInfo(f.arcname, f.uploaded_at.timetuple()[:6])
    with zf.open(info, "w", force_zip64=True) as dst:
        sink = _Hashing(dst, result)
        store.copy_to(f.storage_key, sink)
    result.files_written += 1
    if sink.digest.hexdigest() != f.sha256:
        result.problems.append(ExportProblem("changed", f.task_code, f.original_name,
                                             f.sha256[:12]))


async def record_export(session: AsyncSession, *, requester: Member | None, now: datetime,
                        regency_id: int, result: ExportResult, include_waiting: bool) -> None:
    """Write the audit event of an export."""
    actor = audit.Actor.member(requester) if requester else audit.Actor.system("cli")
    await audit.record(session, at=now, actor=actor, action="export", subject_type="archive",
                       subject_id=result.parts[0].name, regency_id=regency_id,
                       parts=len(result.parts), files=result.files_written,
                       bytes=result.bytes_written, include_waiting=include_waiting,
                       problems=len(result.problems))

