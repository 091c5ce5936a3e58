"""Texts of the command-line tools: the operator's language, plain text (no HTML escaping).

The language is ``bot.language`` (``KLA_BOT_BOT_LANGUAGE`` overrides it for one run).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from kla_bot.clock import days_left
from kla_bot.config import Settings
from kla_bot.errors import Reason, Refusal, UserError
from kla_bot.i18n import Translator, translator


def cli_translator(settings: Settings) -> Translator:
    return translator(settings.bot.language)


def render(t: Translator, reason: Reason) -> str:
    """A reason as text; nested reasons are rendered in place, a tuple of them joined by ``; ``."""
    return t.plain(reason.key, **{name: _value(t, value) for name, value in reason.params.items()})


def _value(t: Translator, value: Any) -> Any:
    if isinstance(value, Reason):
        return render(t, value)
    if isinstance(value, Sequence) and not isinstance(value, str) and value \
            and all(isinstance(item, Reason) for item in value):
        return "; ".join(render(t, item) for item in value)
    return value


def error_text(t: Translator, error: Refusal) -> str:
    """What ``kla-bot: …`` says after its colon: the reason, then one line per detail."""
    details = error.details if isinstance(error, UserError) else ()
    return "\n".join(render(t, reason) for reason in (error.reason, *details))


def startup_line(t: Translator, settings: Settings, *, username: str, now: datetime) -> str:
    """The one INFO line ``run`` logs once it is polling: as whom, for which regency, and how
    far the verification day is (on the regency's calendar)."""
    vdate = settings.verification.date
    left = days_left(now.astimezone(settings.tz).date(), vdate)
    return t.plain("cli.run.started", username=username,
                   regency=settings.verification.regency, date=vdate, left=t.countdown_plain(left))
