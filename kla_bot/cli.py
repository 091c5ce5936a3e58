"""The command line: ``python bot.py <command>`` (also installed as ``kla-bot``)."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import signal
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path

from kla_bot.clock import SystemClock
from kla_bot.config import ConfigError, Settings, default_config_path, load_settings
from kla_bot.errors import UserError
from kla_bot.logs import setup_logging

Command = Callable[[argparse.Namespace, Settings], Coroutine[None, None, int]]

# Each command's implementation: "module:function", imported only when that command runs.
COMMANDS: dict[str, str] = {
    "run": "kla_bot.cli:run_bot",
    "db": "kla_bot.cli:run_db",
    "import": "kla_bot.cli_data:run_import",
    "status": "kla_bot.cli_data:run_status",
    "export": "kla_bot.cli_export:run_export",
    "audit": "kla_bot.cli_export:run_audit",
    "invite": "kla_bot.cli_invite:run_invite",
    "console": "kla_bot.console.main:run_console",
    "demo": "kla_bot.console.main:run_demo",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kla-bot", description=__doc__)
    parser.add_argument("--config", type=Path, default=None,
                        help="TOML config (default: $KLA_BOT_CONFIG, then ./config.toml)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start the bot (long polling); applies migrations first")
    db = sub.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"])
    imp = sub.add_parser("import", help="import members or tasks from .csv or .xlsx")
    imp.add_argument("kind", choices=["members", "tasks"])
    imp.add_argument("file", type=Path)
    st = sub.add_parser("status", help="where each cluster stands")
    st.add_argument("--json", action="store_true", help="machine-readable output")
    ex = sub.add_parser("export", help="workbook plus evidence files by cluster and indicator")
    ex.add_argument("--out", type=Path, required=True)
    ex.add_argument("--all", action="store_true", help="include files waiting for review")
    au = sub.add_parser("audit", help="print the audit log")
    au.add_argument("--limit", type=int, default=200)
    inv = sub.add_parser("invite", help="one-time /start code for a member without a contact")
    inv.add_argument("phone")
    con = sub.add_parser("console", help="chat with the bot in this terminal (no network)")
    con.add_argument("--as", dest="as_phone", default=None, help="act as this member")
    demo = sub.add_parser("demo", help="a fresh demo workspace opened in the console")
    demo.add_argument("--keep", action="store_true", help="keep the previous demo workspace")
    demo.add_argument("--dir", type=Path, default=Path("demo-workspace"))
    for p in (sub.choices["run"], con, demo):
        p.add_argument("--config", type=Path, default=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse, load the configuration, run one command; exit 2 with one line on user errors."""
    args = build_parser().parse_args(argv)
    settings: Settings | None = None
    try:
        settings = _settings_for(args)
        module_name, _, func_name = COMMANDS[args.command].partition(":")
        command: Command = getattr(importlib.import_module(module_name), func_name)
        return asyncio.run(command(args, settings))
    except ConfigError as exc:
        print(f"kla-bot: {exc}", file=sys.stderr)  # about configuration keys, named in English
        return 2
    except UserError as exc:
        from kla_bot.cli_text import cli_translator, error_text

        t = cli_translator(settings or Settings())
        print(f"kla-bot: {error_text(t, exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _settings_for(args: argparse.Namespace) -> Settings:
    path = args.config or default_config_path()
    if args.command == "demo":
        # The demo writes its own workspace and configuration; nothing is read here.
        return Settings().replace(verification={"regency": "Kabupaten Banjar"})
    settings = load_settings(path, require_file=args.config is not None)
    if args.command == "run" and not settings.bot.token:
        raise ConfigError("bot.token: missing (set KLA_BOT_TOKEN or bot.token)")
    return settings


async def run_db(args: argparse.Namespace, settings: Settings) -> int:
    """``db upgrade``: apply pending migrations."""
    from kla_bot.db import Database

    db = Database(settings.database.url)
    try:
        await db.upgrade()
    finally:
        await db.dispose()
    from kla_bot.cli_text import cli_translator

    print(cli_translator(settings).plain("cli.db_up_to_date"))
    return 0


async def run_bot(args: argparse.Namespace, settings: Settings) -> int:
    """``run``: migrate, then long-poll Telegram until SIGINT or SIGTERM."""
    from handlers.application import build_application, start_application, stop_application
    from kla_bot.deps import create_deps

    setup_logging(settings.log.level, settings.bot.token)
    deps = await create_deps(settings, SystemClock())
    app = build_application(deps)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await start_application(app, polling=True)
    try:
        await stop.wait()
    finally:
        await stop_application(app)
    return 0
