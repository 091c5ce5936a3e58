"""Helpers for the import, status and CLI tests: run an import, snapshot the database."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
from sqlalchemy import func, select

from kla_bot.deps import Deps
from kla_bot.models import AuditEvent, Evidence, Member, MemberCluster, Task
from kla_bot.services.imports import (
    MEMBER_COLUMNS,
    TASK_COLUMNS,
    ImportResult,
    import_members,
    import_tasks,
)
from kla_bot.tabular import read_table

FIXTURES = Path(__file__).resolve().parent / "fixtures"


async def import_file(deps: Deps, kind: str, path: Path) -> ImportResult:
    """What ``python bot.py import <kind> <path>`` does, in-process."""
    rows = read_table(path, MEMBER_COLUMNS if kind == "members" else TASK_COLUMNS)
    async with deps.db.transaction() as session:
        if kind == "members":
            return await import_members(session, deps.workspace, rows, deps.clock.now())
        return await import_tasks(session, deps.workspace, rows, deps.clock.now())


async def import_fixtures(deps: Deps) -> None:
    """The hand-written Banjar members and tasks files."""
    await import_file(deps, "members", FIXTURES / "anggota.csv")
    await import_file(deps, "tasks", FIXTURES / "tugas.csv")


async def snapshot(deps: Deps) -> dict[str, Any]:
    """Every imported row, timestamps included, plus the audit count."""
    async with deps.db.transaction() as s:
        members = [tuple(r) for r in await s.execute(
            select(Member.id, Member.name, Member.phone, Member.agency, Member.role,
                   Member.created_at, Member.updated_at).order_by(Member.id))]
        clusters = [tuple(r) for r in await s.execute(
            select(MemberCluster.member_id, MemberCluster.cluster_code)
            .order_by(MemberCluster.member_id, MemberCluster.cluster_code))]
        tasks = [tuple(r) for r in await s.execute(
            select(Task.id, Task.code, Task.code_key, Task.indicator_number, Task.title,
                   Task.points, Task.assignee_id, Task.due_date, Task.notes, Task.state,
                   Task.created_at, Task.updated_at).order_by(Task.id))]
        evidence = await s.scalar(select(func.count()).select_from(Evidence))
        audit = await s.scalar(select(func.count()).select_from(AuditEvent))
    return {"members": members, "clusters": clusters, "tasks": tasks, "evidence": evidence,
            "audit": audit}


def write_csv(path: Path, rows: list[list[str]], delimiter: str = ",") -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, delimiter=delimiter).writerows(rows)
    return path


def csv_to_xlsx(source: Path, target: Path, delimiter: str = ",") -> Path:
    """The same table as a workbook, with the cells Excel would type: numbers and dates."""
    with source.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter=delimiter))
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Data"
    for row in rows:
        sheet.append([_typed(cell) for cell in row])
    workbook.save(target)
    return target


def _typed(cell: str) -> object:
    digits = cell.replace(" ", "").replace("-", "")
    if digits.isdigit() and len(digits) >= 11 and digits.startswith("62"):
        return int(digits)  # a phone column formatted as numbers
    if digits.isdigit() and len(digits) <= 3:
        return int(digits)
    if cell.replace(",", ".", 1).replace(".", "", 1).isdigit() and len(cell) <= 5:
        return float(cell.replace(",", "."))
    try:
        return date.fromisoformat(cell)
    except ValueError:
        return cell or None


def points(value: str) -> Decimal:
    return Decimal(value)
