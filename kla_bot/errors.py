"""Errors a user caused (bad input, bad usage): reported in one line, exit status 2.

They carry a catalog key and its values, never a sentence: the command line renders them in
the operator's language (``kla_bot.cli_text``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Reason:
    """Why something was refused: a catalog key and the values its text names.

    A value may itself be a Reason (rendered in place) or a tuple of them (joined by ``; ``).
    """

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, key: str, /, **params: Any) -> Reason:
        return cls(key, params)


class UserError(Exception):
    """Bad input or usage; ``reason`` is shown to the user, rendered from the catalog, and each
    of ``details`` on a line of its own after it."""

    details: tuple[Reason, ...] = ()
    exit_status = 2

    def __init__(self, key: str, /, **params: Any) -> None:
        self.reason = Reason(key, params)
        super().__init__(key, params)

    def __str__(self) -> str:
        # For logs and tracebacks only; people see the catalog text.
        return f"{self.reason.key} {dict(self.reason.params)}"


class RuntimeFailure(UserError):
    """The command was right but cannot run now (Telegram unreachable, another instance
    running): the same one line from the catalog, exit status 1."""

    exit_status = 1
