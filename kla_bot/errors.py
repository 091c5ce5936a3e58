"""Refusals: what the bot or the command line declines, and why, as a catalog key and its values.

One type, :class:`Refusal`, for every polite "no" — never a sentence: the chat renders it in
the user's language (``t(refusal.key, **refusal.params)``), the command line in the operator's
(``kla_bot.cli_text``, one line, exit status 2). Its subclasses only say where it came from, so
a caller can catch the ones it expects (an access check, the evidence store, a bad command line).
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


class Refusal(Exception):
    """A polite refusal that changed nothing: ``reason`` (its ``key`` and ``params``) is the
    catalog text telling the user what happened and what to do."""

    def __init__(self, key: str, /, **params: Any) -> None:
        super().__init__(key)  # pickling restores ``reason`` from the instance's state
        self.reason = Reason(key, params)

    @property
    def key(self) -> str:
        return self.reason.key

    @property
    def params(self) -> Mapping[str, Any]:
        return self.reason.params

    def __str__(self) -> str:
        # For logs and tracebacks only; people see the catalog text.
        return f"{self.reason.key} {dict(self.reason.params)}"


class UserError(Refusal):
    """Bad input or usage on the command line; each of ``details`` is shown on a line of its
    own after the reason."""

    details: tuple[Reason, ...] = ()
    exit_status = 2


class RuntimeFailure(UserError):
    """The command was right but cannot run now (Telegram unreachable, another instance
    running): the same one line from the catalog, exit status 1."""

    exit_status = 1
