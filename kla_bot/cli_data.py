"""``python bot.py import members|tasks FILE`` and ``python bot.py status [--json]``."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping
from datetime import datetime

from kla_bot.clock import Clock, ManualClock, SystemClock
from kla_bot.config import ConfigError, Settings
from kla_bot.deps import create_deps
from kla_bot.services.imports import MEMBER_COLUMNS, TASK_COLUMNS, import_members, import_tasks
from kla_bot.services.status import build_status
from kla_bot.status_text import render_status
from kla_bot.tabular import read_table

NOW_VARIABLE = "KLA_BOT_NOW"


def clock_from_env(env: Mapping[str, str] | None = None) -> Clock:
    """The system clock, or a fixed moment from ``KLA_BOT_NOW`` (a testing aid, ISO 8601
    with an offset, e.g. ``2025-05-05T09:00:00+08:00``)."""
    env = os.environ if env is None else env
    value = env.get(NOW_VARIABLE)
    if not value:
        return SystemClock()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ConfigError(f"{NOW_VARIABLE}: expected an ISO date-time, got {value!r}") from exc
    if moment.tzinfo is None:
        raise ConfigError(f"{NOW_VARIABLE}: needs a UTC offset, e.g. {value}+08:00")
    return ManualClock(moment)


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
    print(f"{args.file}: {result.summary()}")
    return 0


async def run_status(args: argparse.Namespace, settings: Settings) -> int:
    """Print the status as a table, or with ``--json`` in the documented shape."""
    clock = clock_from_env()
    deps = await create_deps(settings, clock)
    try:
        async with deps.db.transaction() as session:
            report = await build_status(session, deps.workspace, settings, clock.now())
    finally:
        await deps.db.dispose()
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        print(render_status(report), end="")
    return 0
