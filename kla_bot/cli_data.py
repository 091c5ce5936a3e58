"""``python bot.py import members|tasks FILE`` and ``python bot.py status [--json]``, each in
the configured regency or the one ``--regency`` names."""

from __future__ import annotations

import argparse
import json
import sys

from kla_bot.cli_regency import regency_deps
from kla_bot.cli_text import cli_translator, render
from kla_bot.clock import clock_from_env
from kla_bot.config import Settings
from kla_bot.i18n import Translator
from kla_bot.services.delivery import OutboxHealth, TemplateCounts, health, template_counts
from kla_bot.services.imports import MEMBER_COLUMNS, TASK_COLUMNS, import_in_batches
from kla_bot.services.status import build_status
from kla_bot.status_text import render_status
from kla_bot.tabular import read_sheet


async def run_import(args: argparse.Namespace, settings: Settings) -> int:
    """Validate the whole file, then upsert it in short transactions; print a summary (one
    line per regency when the file names several), the columns left unused and any warning
    (on stderr)."""
    columns = MEMBER_COLUMNS if args.kind == "members" else TASK_COLUMNS
    table = read_sheet(args.file, columns)  # unreadable files fail before the database opens
    clock = clock_from_env()
    async with regency_deps(args, settings, clock) as deps:
        result = await import_in_batches(deps.db, deps.workspace, args.kind, table.rows,
                                         clock.now(), source=str(args.file))
    t = cli_translator(settings)
    if table.header_row > 1:
        print(t.plain("imports.header_row", file=args.file, row=table.header_row))
    if table.ignored:
        print(t.plain("imports.ignored", file=args.file,
                      columns=", ".join(f"'{name}'" for name in table.ignored)))
    if table.absent:
        print(t.plain("imports.absent", file=args.file,
                      fields=", ".join(t.plain(f"imports.field.{f}") for f in table.absent)))
    print(t.plain("imports.summary", file=args.file, kind=t.plain(f"imports.kind.{result.kind}"),
                  created=result.created, updated=result.updated, unchanged=result.unchanged))
    for part in result.regencies:
        print(t.plain("imports.summary_regency", regency=part.regency, created=part.created,
                      updated=part.updated, unchanged=part.unchanged))
    for warning in result.warnings:
        print("kla-bot: " + render(t, warning), file=sys.stderr)
    return 0


async def run_status(args: argparse.Namespace, settings: Settings) -> int:
    """Print the status as a table, or with ``--json`` in the documented shape."""
    clock = clock_from_env()
    async with regency_deps(args, settings, clock) as deps, deps.db.snapshot() as session:
        report = await build_status(session, deps.workspace, deps.settings, clock.now())
        outbox = await health(session, deps.workspace)
        templates = await template_counts(session, deps.workspace)
    if args.json:
        print(json.dumps({**report.to_json(), "outbox": outbox.counts,
                          "whatsapp": templates.to_json()}, ensure_ascii=False, indent=2))
    else:
        t = cli_translator(settings)
        print(render_status(report, t), end="")
        print("".join(f"{line}\n" for line in _outbox_lines(outbox, t)), end="")
        print("".join(f"{line}\n" for line in _template_lines(templates, t)), end="")
    return 0


def _template_lines(templates: TemplateCounts, t: Translator) -> list[str]:
    """WhatsApp template messages sent (billed): nothing when none was."""
    if not templates.sent:
        return []
    names = ", ".join(f"{name} {n}" for name, n in templates.by_template.items())
    return ["", t.plain("cli.status.whatsapp_templates", sent=templates.sent, names=names)]


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
