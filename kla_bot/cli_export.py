"""``python bot.py export --out F.zip [--all]`` and ``python bot.py audit [--limit N]``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from sqlalchemy import or_, select

from kla_bot.cli_text import cli_translator, render
from kla_bot.clock import clock_from_env
from kla_bot.config import Settings
from kla_bot.deps import create_deps
from kla_bot.errors import UserError
from kla_bot.models import AuditEvent
from kla_bot.services import export


async def run_export(args: argparse.Namespace, settings: Settings) -> int:
    """Write the workbook and the evidence files into one zip; problems go to stderr."""
    out = args.out
    if out.suffix.lower() != ".zip":
        raise UserError("cli.export.not_zip", out=out)
    if out.exists() and out.is_dir():
        raise UserError("cli.export.is_folder", out=out)
    clock = clock_from_env()
    deps = await create_deps(settings, clock)
    t = cli_translator(settings)
    now = clock.now()
    try:
        async with deps.db.snapshot() as session:  # reads only: uploads need not wait
            data = await export.collect(session, deps.workspace, settings, None, args.all, now, t)
        result = await asyncio.to_thread(export.write_archive, data, deps.store, out, t)
        async with deps.db.transaction() as session:
            await export.record_export(session, requester=None, now=now,
                                       regency_id=deps.workspace.regency_id, result=result,
                                       include_waiting=args.all)
    finally:
        await deps.db.dispose()
    waiting = sum(1 for f in data.files if f.arcname and f.state == "submitted")
    note = t.plain("cli.export.waiting", count=waiting) if waiting else ""
    print(t.plain("cli.export.done", out=out, tasks=len(data.tasks), files=result.files_written,
                  bytes=result.bytes_written, waiting=note))
    for problem in result.problems:
        print("kla-bot: " + t.plain("cli.export.problem", problem=render(t, problem.reason)),
              file=sys.stderr)
    return 1 if result.problems else 0


def _details(details: dict[str, Any]) -> str:
    return " ".join(f"{key}={value}" for key, value in details.items())


async def run_audit(args: argparse.Namespace, settings: Settings) -> int:
    """Print the newest audit events, oldest first: local time, actor, action, subject."""
    if args.limit < 1:
        raise UserError("cli.audit.bad_limit")
    deps = await create_deps(settings, clock_from_env())
    try:
        async with deps.db.transaction() as session:
            events = list(await session.scalars(
                select(AuditEvent)
                .where(or_(AuditEvent.regency_id == deps.workspace.regency_id,
                           AuditEvent.regency_id.is_(None)))
                .order_by(AuditEvent.id.desc()).limit(args.limit)))
    finally:
        await deps.db.dispose()
    tz = settings.tz
    for e in reversed(events):
        at = e.at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S %Z")
        print(f"{at}  {e.actor_label}  {e.action}  {e.subject_type}:{e.subject_id}  "
              f"{_details(e.details)}".rstrip())
    if not events:
        print(cli_translator(settings).plain("cli.audit.empty"))
    return 0
