"""A console session in-process, on the test database and a ManualClock, read as text."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from kla_bot.clock import ManualClock
from kla_bot.config import Settings
from kla_bot.console.actions import perform
from kla_bot.console.demo import load_demo_data
from kla_bot.console.screen import Screen
from kla_bot.console.session import ConsoleSession
from kla_bot.console.verbs import parse_line
from kla_bot.i18n import Translator


class Typist:
    """Types lines into a console session and returns what appeared after each one."""

    def __init__(self, session: ConsoleSession, out: io.StringIO) -> None:
        self.session = session
        self.out = out
        self._read = 0

    def new_output(self) -> str:
        text = self.out.getvalue()[self._read:]
        self._read = len(self.out.getvalue())
        return text

    async def type(self, line: str) -> str:
        """Type ``line`` (as the console would: echo, act, wait for the bot to go idle)."""
        action = parse_line(line)
        assert action is not None
        self.session.screen.echo(self.session.current.label, line)
        await perform(self.session, action)
        return self.new_output()


@asynccontextmanager
async def console(settings: Settings, clock: ManualClock, files: Path, *,
                  demo_data: bool = True, lang: str = "id") -> AsyncIterator[Typist]:
    """An open console session (demo task force loaded unless told otherwise)."""
    if demo_data:
        await load_demo_data(settings, clock)
    out = io.StringIO()
    screen = Screen(out, Translator(lang), interactive=False)
    session = await ConsoleSession.open(settings.replace(bot={"language": lang}), screen,
                                        files, clock, quiet=0)
    typist = Typist(session, out)
    typist.new_output()
    try:
        yield typist
    finally:
        await session.close()
