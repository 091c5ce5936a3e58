"""``python bot.py import members|tasks FILE`` and ``python bot.py status [--json]``."""

from __future__ import annotations

import argparse
import json

from kla_bot.cli_text import cli_translator
from kla_bot.clock import clock_from_env
from kla_bot.config import Settings
from kla_bot.deps import create_deps
from kla_bot.i18n import Translator
from kla_bot.services.delivery import OutboxHealth, health
from kla_bot.services.imports import MEMBER_COLUMNS, TASK_COLUMNS, import_members, import_tasks
from kla_bot.services.status import build_status
from kla_bot.status_text import render_status
from kla_bot.tabular import read_table


async def run_import(args: argparse.Namespace, settings: Settings) -> int:
    """Validate the whole file, then upsert it in one transaction; print one summary line."""
    columns = MEMBER_COLUMNS if args.kind == "members" else TASK_COLUMNS
    rows = read_table(args.file, columns)  # unreadable files fail before the database opens
    clock = clock_from_env()
    deps = await create_deps(settings, clock)
    try:
        async with deps.db.transaction() as session:
            if args.kind == "members":
                result = await import_members(session, deps.workspace, rows, clock.now(),
                                              source=str(args.file))
            else:
                result = await import_tasks(session, deps.workspace, rows, clock.now(),
                                            source=str(args.file))
    finally:
        await deps.db.dispose()
    t = cli_translator(settings)
    print(t.plain("imports.summary", file=args.file, kind=t.plain(f"imports.kind.{result.kind}"),
                  created=result.created, updated=result.updated, unchanged=result.unchanged))
    return 0


async def run_status(args: argparse.Namespace, settings: Settings) -> int:
    """Print the status as a table, or with ``--json`` in the documented shape."""
    clock = clock_from_env()
    deps = await create_deps(settings, clock)
    try:
        async with deps.db.transaction() as session:
            report = await build_status(session, deps.workspace, settings, clock.now())
            outbox = await health(session, deps.workspace)
    finally:
        await deps.db.dispose()
    if args.json:
        print(json.dumps({**report.to_json(), "outbox": outbox.counts}, ensure_ascii=False,
                         indent=2))
    else:
        t = cli_translator(settings)
        print(render_status(report, t), end="")
        print("".join(f"{line}\n" for line in _outbox_lines(outbox, t)), end="")
    return 0


def _outbox_lines(outbox: OutboxHealth, t: Translator) -> list[str]:
    """Nothing when every message went out (or still may); else counts and the latest causes."""
    if not outbox.problems:
        return []
    c = outbox.counts
    lines = ["", t.plain("cli.status.outbox.summary", failed=c["failed"], expired=c["expired"],
                         unreachable=c["unreachable"])]
    for row, state in outbox.latest_problems:
        lines.append(t.plain("cli.status.outbox.problem", id=row.id, kind=row.kind,
                             state=t.plain(f"cli.status.outbox.state.{state}"),
                             cause=(row.cause or "-")[:120]))
    return lines
