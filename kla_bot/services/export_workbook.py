"""The export's index workbook: Ringkasan (per cluster), Tugas (every task), Bukti (every file).

Column titles come from the catalog (``report.xlsx.*``, ``|``-separated), so the workbook
speaks the deployment's language. Every row goes through ``_append``, so every value passes
``kla_bot.sheet_cells.cell_value`` (texts inert, never a formula; no character that breaks
the file).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from kla_bot.i18n import Translator
from kla_bot.sheet_cells import cell_value

if TYPE_CHECKING:
    from kla_bot.services.export import ExportData


def _local(moment: datetime | None, tz: ZoneInfo) -> datetime | None:
    # Excel has no time zones: times are written in the local zone, without tzinfo.
    return None if moment is None else moment.astimezone(tz).replace(tzinfo=None)


def _append(ws: Any, values: Sequence[object]) -> None:
    ws.append([cell_value(v) for v in values])


def _header(ws: Any, labels: str) -> None:
    cells = []
    for label in labels.split("|"):
        cell = WriteOnlyCell(ws, value=cell_value(label))
        cell.font = Font(bold=True)
        cells.append(cell)
    ws.append(cells)


def workbook_bytes(data: ExportData, t: Translator) -> bytes:
    """The .xlsx file as bytes (a few MB even for 20,000 tasks)."""
    tz = ZoneInfo(data.timezone)
    wb = Workbook(write_only=True)
    summary = wb.create_sheet(t("report.xlsx.sheet_summary"))
    _append(summary, [t("report.xlsx.regency"), data.regency])
    _append(summary, [t("report.xlsx.verification_date"), data.verification_date])
    _append(summary, [t("report.xlsx.generated_at"), data.generated_at])
    _append(summary, [t("report.xlsx.files_included"),
                      t("report.xlsx.with_waiting") if data.include_waiting
                      else t("report.xlsx.accepted_only")])
    _append(summary, [])
    _header(summary, t("report.xlsx.summary_columns"))
    for c in data.clusters:
        _append(summary, [c.code, c.name, c.total, c.open, c.submitted, c.approved, c.overdue,
                          float(c.points), float(c.approved_points)])

    tasks = wb.create_sheet(t("report.xlsx.sheet_tasks"))
    _header(tasks, t("report.xlsx.tasks_columns"))
    for task in data.tasks:
        _append(tasks, [task.code, task.cluster, task.indicator, task.indicator_name, task.title,
                        float(task.points), t(f"report.state.{task.state}"),
                        t("report.xlsx.yes") if task.overdue else "", task.assignee, task.agency,
                        task.due, _local(task.last_upload, tz), task.reviewer,
                        _local(task.reviewed_at, tz), task.last_rejection_reason, task.files,
                        task.notes])

    files = wb.create_sheet(t("report.xlsx.sheet_files"))
    _header(files, t("report.xlsx.files_columns"))
    for f in data.files:
        _append(files, [f.task_code, f.cluster, f.indicator, f.arcname or "", f.original_name,
                        f.bytes, f.mime, f.sha256, t(f"report.evidence_state.{f.state}"),
                        f.uploaded_by, _local(f.uploaded_at, tz), f.reviewer,
                        _local(f.reviewed_at, tz), f.reason])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
