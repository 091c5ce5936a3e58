"""Words for a file's facts (services.evidence_facts): one line each on the member's receipt,
a few at a glance on the reviewer's card."""

from __future__ import annotations

from kla_bot.i18n import Raw, Translator
from kla_bot.services.evidence_facts import FileNotes
from kla_bot.services.periods import Period


def period_text(period: Period, t: Translator) -> str:
    """``2024`` for a calendar year, else ``1 Januari 2024 s.d. 30 Juni 2024``."""
    if period.year is not None:
        return str(period.year)
    return t("facts.period_range", start=period.start, end=period.end)


def _flags(notes: FileNotes, t: Translator) -> str:
    return ", ".join(t(f"facts.quality.{flag}") for flag in notes.quality
                     if t.has(f"facts.quality.{flag}"))


def member_lines(notes: FileNotes | None, t: Translator) -> list[str]:
    """What the member should know about the file just accepted (nothing: no line)."""
    if notes is None:
        return []
    lines = []
    if notes.outside and notes.found is not None:
        found = t(f"facts.member_source.{notes.source}", day=notes.found)
        lines.append(t("facts.member_outside", found=Raw(found),
                       period=Raw(period_text(notes.period, t))))
    flags = _flags(notes, t)
    if flags:
        lines.append(t("facts.member_quality", flags=Raw(flags)))
    return lines


def card_lines(notes: FileNotes | None, t: Translator) -> list[str]:
    """The facts on the reviewer's card: type, pages, date found and period check; quality;
    the same file sent for other tasks."""
    if notes is None:
        return []
    lines = []
    if notes.kind is not None:  # None: the facts could not be read (or predate them)
        lines.append(t("facts.card_line", facts=Raw(" · ".join(_card_facts(notes, t)))))
    flags = _flags(notes, t)
    if flags:
        lines.append(t("facts.card_quality", flags=Raw(flags)))
    if notes.duplicates:
        lines.append(t("facts.card_duplicates", codes=", ".join(notes.duplicates)))
    return lines


def _card_facts(notes: FileNotes, t: Translator) -> list[str]:
    parts = []
    if t.has(f"facts.kind.{notes.kind}"):
        parts.append(t(f"facts.kind.{notes.kind}"))
    if notes.pages:
        parts.append(t("facts.pages", pages=notes.pages))
    period = Raw(period_text(notes.period, t))
    if notes.found is None:
        parts.append(t("facts.no_date"))
    else:
        found = t(f"facts.source.{notes.source}", day=notes.found)
        key = "facts.outside" if notes.outside else "facts.inside"
        parts.append(t(key, found=Raw(found), period=period))
    return parts
