"""The secretariat's own regency in chat (``/kabupaten``): its settings shown, and one of them
changed as a correction is — shown as before → after, written on Ya.

The proposal and its Ya / Batal are the corrections' own (:mod:`kla_bot.services.corrections`
keeps the pending row and calls :func:`shown_change` and :func:`apply`); the values are read
and written by :mod:`kla_bot.services.regencies`. The secretariat sets the verification date,
time zone, target, last score and regional holidays; the regency's name and province (which
decides what a province's officers see) stay with the operator's ``python bot.py regency``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot.errors import Refusal
from kla_bot.models import Member
from kla_bot.services import regencies
from kla_bot.services.access import AccessDenied, secretariat_scope
from kla_bot.services.audit import Actor
from kla_bot.services.regencies import RegencyProfile
from kla_bot.services.workspace import Workspace

# What the secretariat may set in chat, by regencies.FIELDS' meaning.
SETTABLE = ("date", "zone", "target", "score", "holiday")
KIND_PREFIX = "regency."  # a pending correction's kind: "regency.date", "regency.holiday"…


@dataclass(frozen=True)
class RegencySetting:
    """``/kabupaten tanggal 2027-03-10``: one setting of the asker's regency, as typed."""

    field: str
    value: str


def is_regency_kind(kind: str) -> bool:
    return kind.startswith(KIND_PREFIX)


def setting(args: tuple[str, ...]) -> RegencySetting:
    """The words after ``/kabupaten``: a field word and its value."""
    if len(args) < 2:
        raise AccessDenied("regency_chat.usage")
    return RegencySetting(args[0], " ".join(args[1:]))


async def settings_of(session: AsyncSession, workspace: Workspace,
                      member: Member) -> RegencyProfile:
    """The asker's regency as it is set now; for the secretariat only."""
    secretariat_scope(member)
    return await _profile(session, workspace)


async def shown_change(session: AsyncSession, workspace: Workspace, member: Member,
                       request: RegencySetting) -> tuple[str, str, Any, Any]:
    """(kind, subject, before, after) of a setting change, checked but not written; bad
    values and fields are refused."""
    secretariat_scope(member)
    key = _key(request.field)
    profile = await _profile(session, workspace)
    after = _checked(lambda: _preview(profile, key, request.value))
    before_shown, after_shown = shown(profile, key), shown(after, key)
    if before_shown == after_shown:
        raise AccessDenied("regency_chat.unchanged")
    return KIND_PREFIX + key, profile.name, before_shown, after_shown


async def apply(session: AsyncSession, workspace: Workspace, member: Member, kind: str,
                before: Any, after: Any, now: datetime) -> None:
    """Write a shown change if the setting is still as shown (else refused as stale)."""
    secretariat_scope(member)
    key = kind.removeprefix(KIND_PREFIX)
    if key not in SETTABLE:
        raise AccessDenied("corrections.gone")
    if shown(await _profile(session, workspace), key) != before:
        raise AccessDenied("corrections.stale")
    await regencies.change(session, workspace.regency_id, key, _typed(key, before, after),
                           actor=Actor.member(member), now=now)


def shown(profile: RegencyProfile, key: str) -> Any:
    """A setting as a proposal keeps it (JSON-plain)."""
    values: dict[str, Any] = {
        "date": profile.verification_date.isoformat(), "zone": profile.zone_label,
        "target": profile.target_predicate,
        "score": str(profile.last_score.quantize(Decimal("0.01"))),
        "holiday": [d.isoformat() for d in profile.holidays]}
    return values[key]


def _typed(key: str, before: Any, after: Any) -> str:
    """The value ``regencies.change`` takes for the shown change: a holiday change names the
    one day added or removed (change toggles it)."""
    if key == "holiday":
        toggled: set[str] = set(before) ^ set(after)
        return next(iter(toggled))
    return str(after)


def _key(field: str) -> str:
    key = regencies.FIELDS.get(field.strip().lower())
    if key not in SETTABLE:
        raise AccessDenied("regency_chat.bad_field", field=field)
    return key


def _preview(profile: RegencyProfile, key: str, value: str) -> RegencyProfile:
    """The profile with one setting changed, read as ``regencies.change`` reads it."""
    if key == "date":
        return replace(profile, verification_date=regencies.date_of(value))
    if key == "zone":
        return replace(profile, timezone=regencies.zone_of(value))
    if key == "target":
        return replace(profile, target_predicate=regencies.predicate_of(value))
    if key == "score":
        return replace(profile, last_score=regencies.score_of(value))
    day = regencies.date_of(value)
    days = set(profile.holidays)
    return replace(profile, holidays=tuple(sorted(days - {day} if day in days
                                                  else days | {day})))


def _checked(read: Callable[[], RegencyProfile]) -> RegencyProfile:
    """A bad value's refusal, in this chat's words (``regency.bad_date`` →
    ``regency_chat.bad_date``, same values)."""
    try:
        return read()
    except Refusal as refusal:
        raise AccessDenied(refusal.key.replace("regency.", "regency_chat.", 1),
                           **refusal.params) from None


async def _profile(session: AsyncSession, workspace: Workspace) -> RegencyProfile:
    profile = await regencies.profile_of(session, workspace.regency_id)
    if profile is None:  # the regency's cycle was closed since
        raise AccessDenied("corrections.gone")
    return profile
