"""``python bot.py console`` and ``python bot.py demo``: the bot in this terminal, no network."""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from kla_bot.clock import OffsetClock
from kla_bot.config import Settings
from kla_bot.console import verbs
from kla_bot.console.screen import Screen
from kla_bot.console.session import ConsoleSession, MovableClock
from kla_bot.i18n import translator
from kla_bot.logs import setup_logging

if TYPE_CHECKING:
    from kla_bot.console.whatsapp import WhatsAppConsoleSession

Guide = Callable[[Screen], None]


async def run_console(args: argparse.Namespace, settings: Settings) -> int:
    """Chat with the configured bot in the terminal, as ``--as PHONE`` or as a guest."""
    from kla_bot.console.demo import pinned_clock

    files_dir = Path(settings.storage.path).parent / "console-files"
    clock = pinned_clock() or OffsetClock()
    return await converse(settings, clock, files_dir, as_phone=args.as_phone,
                          channel=getattr(args, "channel", "telegram"))


async def run_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Build (or keep) the demo workspace and open it in the console as a member."""
    from kla_bot.console import demo
    from kla_bot.console.scenes import scene_lines

    workspace = await demo.prepare(Path(args.dir), keep=args.keep)
    scene = getattr(args, "scene", None)
    script = Script(scene, scene_lines(scene, workspace.directory)) if scene else None
    return await converse(workspace.settings, workspace.clock, workspace.files_dir,
                          as_phone=workspace.member_phone, guide=workspace.guide,
                          script=script)


@dataclass(frozen=True)
class Script:
    """A demo scene: lines typed before the keyboard's (``bot.py demo --scene NAME``)."""

    name: str
    lines: list[str]


async def converse(settings: Settings, clock: MovableClock, files_dir: Path, *,
                   as_phone: str | None, guide: Guide | None = None,
                   stdin: TextIO | None = None, stdout: TextIO | None = None,
                   channel: str = "telegram", script: Script | None = None) -> int:
    """Open a session (on Telegram's stand-in or WhatsApp's), show the guide, then read lines
    until ``:quit`` or end of input."""
    from kla_bot.console.whatsapp import WhatsAppConsoleSession

    setup_logging(settings.log.level, settings.bot.token)
    source = stdin or sys.stdin
    screen = Screen(stdout or sys.stdout, translator(settings.bot.language),
                    interactive=source.isatty() and (stdout or sys.stdout).isatty())
    session: ConsoleSession | WhatsAppConsoleSession
    if channel == "whatsapp":
        session = await WhatsAppConsoleSession.open(settings, screen, files_dir, clock)
    else:
        session = await ConsoleSession.open(settings, screen, files_dir, clock)
    try:
        if guide is not None:
            guide(screen)
        else:
            screen.note("console_wa.welcome" if channel == "whatsapp" else "console.welcome",
                        style="")
        if as_phone:
            await session.switch_to(as_phone)
        if script is not None:
            screen.note("console_scenes.scene_starts", style="bold", scene=script.name)
            for scripted in script.lines:
                if not await _do(screen, session, scripted):
                    return 0
            screen.note("console_scenes.scene_ends", style="bold", scene=script.name)
        reader = LineReader(source)
        while True:
            typed = await _read_line(screen, reader, session.current.label)
            if typed is None or not await _do(screen, session, typed):
                break
    finally:
        await session.close()
    return 0


async def _do(screen: Screen, session: ConsoleSession | WhatsAppConsoleSession,
              line: str) -> bool:
    """Echo and carry out one typed (or scripted) line; False when the session should end."""
    action = verbs.parse_line(line)
    if action is None:
        return True
    screen.echo(session.current.label, line.strip())
    return await session.act(action)


class LineReader:
    """Lines from a stream, read by a daemon thread so the event loop never blocks and Ctrl-C
    never waits for a pending read (the default executor would be joined at exit)."""

    def __init__(self, source: TextIO) -> None:
        self._lines: asyncio.Queue[str | None] = asyncio.Queue()
        self._loop = asyncio.get_running_loop()
        self._wanted = threading.Semaphore(0)
        threading.Thread(target=self._run, args=(source,), daemon=True,
                         name="console-input").start()

    def _run(self, source: TextIO) -> None:
        while True:
            self._wanted.acquire()  # read only when asked, so the prompt comes first
            line = source.readline()
            self._loop.call_soon_threadsafe(self._lines.put_nowait, line or None)
            if not line:
                return

    async def next(self) -> str | None:
        """The next line, or None at the end of the input."""
        self._wanted.release()
        return await self._lines.get()


async def _read_line(screen: Screen, reader: LineReader, who: str) -> str | None:
    """The next input line (None at end of input); the event loop keeps running meanwhile."""
    if screen.interactive:
        screen.console.print(screen.prompt(who), end="", style="bold")
    return await reader.next()
