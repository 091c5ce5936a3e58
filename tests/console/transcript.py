"""Reading a piped console session back as turns: who typed what, and what came back."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ECHO = re.compile(r"^(?P<who>\S[^›\n]*?) › (?P<line>.*)$")
MESSAGE = re.compile(r"^KLA Bot  #(?P<number>\d+)(?: .*)?$")


@dataclass
class Turn:
    """One input line and everything printed until the next one."""

    who: str
    line: str
    output: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.output)

    def messages(self) -> list[str]:
        """The bot messages of this turn, each as its text (header line excluded)."""
        found: list[list[str]] = []
        for line in self.output:
            if MESSAGE.match(line):
                found.append([])
            elif found and line.startswith("  "):
                found[-1].append(line[2:])
        return ["\n".join(body) for body in found]

    def notes(self) -> list[str]:
        """Lines from the console itself (not bot messages)."""
        return [line for line in self.output
                if line and not line.startswith("  ") and not MESSAGE.match(line)]


def turns(stdout: str) -> tuple[list[str], list[Turn]]:
    """(lines before the first input, the turns)."""
    before: list[str] = []
    result: list[Turn] = []
    for line in stdout.splitlines():
        echo = ECHO.match(line)
        if echo:
            result.append(Turn(echo.group("who"), echo.group("line")))
        elif result:
            result[-1].output.append(line)
        else:
            before.append(line)
    return before, result
