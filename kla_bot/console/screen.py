"""The terminal side: prints bot messages and notes, echoes input when reading from a pipe.

On a terminal the bot's messages are chat bubbles in colour; through a pipe the same content
is printed as plain indented lines with no escape codes and no wrapping, so a scripted session
reads as a dialogue (and as a transcript).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from rich.console import Console
from rich.text import Text

from kla_bot.console.render import as_panel, as_plain, styled
from kla_bot.i18n import Translator
from kla_bot.standin.html import EntityParseError, parse_html


def html_text(markup: str) -> Text:
    """A catalog text (Telegram HTML) as styled terminal text."""
    try:
        parsed = parse_html(markup)
    except EntityParseError:
        return Text(markup)
    return styled(parsed.plain, parsed.entities)


class Screen:
    """Where the console writes: a rich Console that knows whether it faces a terminal."""

    def __init__(self, stream: TextIO, t: Translator, *, interactive: bool | None = None,
                 width: int | None = None) -> None:
        self.interactive = stream.isatty() if interactive is None else interactive
        self.t = t
        self.console = Console(
            file=stream, force_terminal=self.interactive, no_color=not self.interactive,
            highlight=False, markup=False, emoji=False, soft_wrap=not self.interactive,
            width=width if width is not None else (None if self.interactive else 100),
        )

    def bot_message(self, head: Text, lines: Sequence[Text]) -> None:
        """One message from the bot."""
        if self.interactive:
            self.console.print(as_panel(head, lines))
        else:
            for line in as_plain(head, lines):
                self.console.print(line)

    def echo(self, who: str, line: str) -> None:
        """What the user typed, shown as their side of the dialogue (pipe mode only)."""
        if not self.interactive:
            self.console.print()
            self.console.print(Text(f"{who} › ", style="bold") + Text(line))

    def prompt(self, who: str) -> str:
        """The prompt shown before reading a line on a terminal."""
        return f"{who} › "

    def note(self, key: str, style: str = "dim", **params: object) -> None:
        """A line from the console itself (not from the bot), from the console catalog."""
        self.console.print(html_text(self.t(key, **params)), style=style)

    def error(self, key: str, **params: object) -> None:
        self.note(key, style="bold red", **params)
