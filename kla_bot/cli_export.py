"""``python bot.py export --out F.zip [--all]`` and ``python bot.py audit [--limit N]``, each
in the configured regency or the one ``--regency`` names."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from sqlalchemy import or_, select

from kla_bot.cli_regency import regency_deps
from kla_bot.cli_text import cli_translator, render
from kla_bot.clock import clock_from_env
from kla_bot.config import Settings
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
    t = cli_translator(settings)
    now = clock.now()
    async with regency_deps(args, settings, clock) as deps:
        async with deps.db.snapshot() as session:  # reads only: uploads need not wait
            data = await export.collect(session, deps.workspace, deps.settings, None, args.all,
                                        now, t)
        result = await asyncio.to_thread(export.write_archive, data, deps.store, out, t)
        async with deps.db.transaction() as session:
            await export.record_export(session, requester=None, now=now,
                                       regency_id=deps.workspace.regency_id, result=result,
                                       include_waiting=args.all)
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
    """Print the regency's newest audit events (and the deployment's own), oldest first: local
    time, actor, action, subject."""
    if args.limit < 1:
        raise UserError("cli.audit.bad_limit")
    async with regency_deps(args, settings, clock_from_env()) as deps, \
            deps.db.snapshot() as session:
        events = list(await session.scalars(
            select(AuditEvent)
            .where(or_(AuditEvent.regency_id == deps.workspace.regency_id,
                       AuditEvent.regency_id.is_(None)))
            .order_by(AuditEvent.id.desc()).limit(args.limit)))
    tz = deps.settings.tz  # the regency's own clock
    for e in reversed(events):
        at = e.at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S %Z")
        print(f"{at}  {e.actor_label}  {e.action}  {e.subject_type}:{e.subject_id}  "
              f"{_details(e.details)}".rstrip())
    if not events:
        print(cli_translator(settings).plain("cli.audit.empty"))
    return 0
