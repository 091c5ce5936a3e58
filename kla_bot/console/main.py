"""``python bot.py console`` and ``python bot.py demo``: the bot in this terminal, no network."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from kla_bot.clock import OffsetClock
from kla_bot.config import Settings
from kla_bot.console import verbs
from kla_bot.console.screen import Screen
from kla_bot.console.session import ConsoleSession, MovableClock
from kla_bot.i18n import translator
from kla_bot.logs import setup_logging

Guide = Callable[[Screen], None]


async def run_console(args: argparse.Namespace, settings: Settings) -> int:
    """Chat with the configured bot in the terminal, as ``--as PHONE`` or as a guest."""
    files_dir = Path(settings.storage.path).parent / "console-files"
    return await converse(settings, OffsetClock(), files_dir, as_phone=args.as_phone)


async def run_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Build (or keep) the demo workspace and open it in the console as a member."""
    from kla_bot.console import demo

    workspace = await demo.prepare(Path(args.dir), keep=args.keep)
    return await converse(workspace.settings, workspace.clock, workspace.files_dir,
                          as_phone=workspace.member_phone, guide=workspace.guide)


async def converse(settings: Settings, clock: MovableClock, files_dir: Path, *,
                   as_phone: str | None, guide: Guide | None = None,
                   stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    """Open a session, show the guide, then read lines until ``:quit`` or end of input."""
    setup_logging(settings.log.level, settings.bot.token)
    source = stdin or sys.stdin
    screen = Screen(stdout or sys.stdout, translator(settings.bot.language),
                    interactive=source.isatty() and (stdout or sys.stdout).isatty())
    session = await ConsoleSession.open(settings, screen, files_dir, clock)
    try:
        if guide is not None:
            guide(screen)
        else:
            screen.note("console.welcome", style="")
        if as_phone:
            await session.switch_to(as_phone)
        while True:
            line = await _read_line(screen, source, session.current.label)
            if line is None:
                break
            action = verbs.parse_line(line)
            if action is None:
                continue
            screen.echo(session.current.label, line.strip())
            if not await session.act(action):
                break
    finally:
        await session.close()
    return 0


async def _read_line(screen: Screen, source: TextIO, who: str) -> str | None:
    """The next input line (None at end of input); the event loop keeps running meanwhile."""
    if screen.interactive:
        screen.console.print(screen.prompt(who), end="", style="bold")
    line = await asyncio.to_thread(source.readline)
    return line if line else None
