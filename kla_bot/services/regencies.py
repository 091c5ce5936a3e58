"""Regencies in one deployment: each with its own verification day, time zone, target and
regional holidays, and the one regency a person, a group or an invite belongs to.

A regency's settings live in the database: the regency row (province, regional holidays) and
its active cycle (verification date, time zone, last score, target predicate). The regency
named in ``config.toml`` is one of them (:mod:`kla_bot.services.workspace`); others are added
with ``python bot.py regency add`` and changed there or, for its own regency, by the
secretariat in chat (``/kabupaten``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot.domain import LIVE_TASK_STATES, PREDICATE_THRESHOLDS, Channel, Who
from kla_bot.errors import Refusal
from kla_bot.models import Cycle, Invite, Member, MemberAddress, Regency, Task, TaskForceGroup
from kla_bot.services import audit
from kla_bot.services.audit import Actor
from kla_bot.services.due_dates import follow_verification_date
from kla_bot.services.workspace import Workspace

# Indonesia's three time zones, as people name them.
ZONES: dict[str, str] = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}
DEFAULT_CYCLE_NAME = "Verifikasi Lapangan Virtual KLA"
# What ``change`` can set, by the words people use (Indonesian and English).
FIELDS: dict[str, str] = {
    "tanggal": "date", "date": "date", "zona": "zone", "zone": "zone",
    "target": "target", "skor": "score", "score": "score",
    "provinsi": "province", "province": "province", "libur": "holiday", "holiday": "holiday",
    "nama": "name", "name": "name"}


@dataclass(frozen=True)
class RegencyProfile:
    """One regency's settings, as every service and job reads them."""

    regency_id: int
    name: str
    province: str | None
    cycle_id: int
    cycle_name: str
    verification_date: date
    timezone: str
    last_score: Decimal
    target_predicate: str
    holidays: tuple[date, ...] = ()

    @property
    def workspace(self) -> Workspace:
        return Workspace(self.regency_id, self.cycle_id, self.name, self.verification_date)

    @property
    def zone_label(self) -> str:
        """WIB, WITA or WIT (the zone's own name otherwise)."""
        return next((label for label, key in ZONES.items() if key == self.timezone),
                    self.timezone)

    def as_settings(self) -> dict[str, Any]:
        """The ``[verification]`` keys this profile stands for (kla_bot.config)."""
        return {"regency": self.name, "name": self.cycle_name, "date": self.verification_date,
                "timezone": self.timezone, "last_score": float(self.last_score),
                "target_predicate": self.target_predicate}


def _profile(regency: Regency, cycle: Cycle) -> RegencyProfile:
    return RegencyProfile(
        regency.id, regency.name, regency.province, cycle.id, cycle.name,
        cycle.verification_date, cycle.timezone, cycle.last_score, cycle.target_predicate,
        tuple(sorted(date.fromisoformat(d) for d in regency.holidays or ())))


def _with_cycle() -> Any:
    return (select(Regency, Cycle).join(Cycle, Cycle.regency_id == Regency.id)
            .where(Cycle.active.is_(True)))


async def all_profiles(session: AsyncSession) -> list[RegencyProfile]:
    """Every regency with an active cycle, by name."""
    rows = await session.execute(_with_cycle().order_by(Regency.name))
    return [_profile(regency, cycle) for regency, cycle in rows]


async def profile_of(session: AsyncSession, regency_id: int) -> RegencyProfile | None:
    row = (await session.execute(_with_cycle().where(Regency.id == regency_id))).first()
    return _profile(*row) if row else None


async def find(session: AsyncSession, name: str) -> RegencyProfile:
    """The regency called ``name`` (any case, spaces trimmed), or a refusal listing none."""
    wanted = " ".join(name.split()).lower()
    row = (await session.execute(
        _with_cycle().where(func.lower(Regency.name) == wanted))).first()
    if row is None:
        raise Refusal("regency.unknown", name=name.strip())
    return _profile(*row)


async def in_province(session: AsyncSession, province: str) -> list[RegencyProfile]:
    """The regencies of one province, by name."""
    rows = await session.execute(_with_cycle().where(
        func.lower(Regency.province) == province.strip().lower()).order_by(Regency.name))
    return [_profile(regency, cycle) for regency, cycle in rows]


@dataclass(frozen=True)
class RegencyCounts:
    """How big a regency's work is: its members and its live tasks (open or waiting for
    review, in its active cycle)."""

    members: int = 0
    live_tasks: int = 0


async def counts(session: AsyncSession) -> dict[int, RegencyCounts]:
    """Every regency's counts by id (absent: none), in two GROUP BY queries whatever the
    number of regencies."""
    members: dict[int, int] = {regency_id: n for regency_id, n in await session.execute(
        select(Member.regency_id, func.count()).group_by(Member.regency_id))}
    tasks: dict[int, int] = {regency_id: n for regency_id, n in await session.execute(
        select(Cycle.regency_id, func.count()).join(Task, Task.cycle_id == Cycle.id)
        .where(Cycle.active.is_(True), Task.state.in_(LIVE_TASK_STATES))
        .group_by(Cycle.regency_id))}
    return {regency_id: RegencyCounts(members.get(regency_id, 0), tasks.get(regency_id, 0))
            for regency_id in members.keys() | tasks.keys()}


# --- reading values people type ----------------------------------------------------------

def zone_of(text: str) -> str:
    """``WIB``/``WITA``/``WIT`` (any case) or a time zone name; refused otherwise."""
    value = text.strip()
    if value.upper() in ZONES:
        return ZONES[value.upper()]
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise Refusal("regency.bad_zone", value=value) from None
    return value


def scheduled_zones(timezones: Collection[str]) -> set[str]:
    """The time zones a running bot fires its daily jobs in, for regencies in ``timezones``:
    one regency's own; with several, Indonesia's three and any other one used (a regency
    added later in one of those is served without a restart)."""
    if len(timezones) <= 1:
        return set(timezones)
    return set(ZONES.values()) | set(timezones)


def predicate_of(text: str) -> str:
    wanted = text.strip().lower()
    found = next((p for p in PREDICATE_THRESHOLDS if p.lower() == wanted), None)
    if found is None:
        raise Refusal("regency.bad_target", choices=", ".join(PREDICATE_THRESHOLDS))
    return found


def score_of(text: str) -> Decimal:
    try:
        score = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        raise Refusal("regency.bad_score") from None
    if not 0 <= score <= 1000:
        raise Refusal("regency.bad_score")
    return score


def date_of(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise Refusal("regency.bad_date", value=text.strip()) from None


def name_of(text: str) -> str:
    name = " ".join(text.split())
    if not name or len(name) > 120:
        raise Refusal("regency.bad_name")
    return name


# --- adding and changing -----------------------------------------------------------------

async def add(session: AsyncSession, *, name: str, verification_date: date, timezone: str,
              target_predicate: str = "Nindya", last_score: Decimal = Decimal(0),
              province: str | None = None, cycle_name: str = DEFAULT_CYCLE_NAME,
              actor: Actor, now: datetime) -> RegencyProfile:
    """A new regency and its first cycle; refused when the name is taken."""
    name = name_of(name)
    if await session.scalar(select(Regency.id).where(func.lower(Regency.name) == name.lower())):
        raise Refusal("regency.exists", name=name)
    regency = Regency(name=name, province=" ".join((province or "").split()) or None,
                      holidays=[], created_at=now)
    session.add(regency)
    await session.flush()
    cycle = Cycle(regency_id=regency.id, name=cycle_name, verification_date=verification_date,
                  timezone=zone_of(timezone), last_score=last_score,
                  target_predicate=predicate_of(target_predicate), active=True)
    session.add(cycle)
    await session.flush()
    await audit.record(session, at=now, actor=actor, action="regency.add",
                       subject_type="regency", subject_id=regency.id, regency_id=regency.id,
                       name=name, province=regency.province, date=verification_date.isoformat(),
                       timezone=cycle.timezone, target=cycle.target_predicate)
    return _profile(regency, cycle)


async def change(session: AsyncSession, regency_id: int, field: str, value: str, *,
                 actor: Actor, now: datetime) -> tuple[RegencyProfile, RegencyProfile]:
    """Set one setting of a regency (``FIELDS`` names them); (before, after). A holiday is
    added, or removed when it is listed already."""
    key = FIELDS.get(field.strip().lower())
    if key is None:
        raise Refusal("regency.bad_field", choices="tanggal, zona, target, skor, provinsi, libur")
    row = (await session.execute(
        _with_cycle().where(Regency.id == regency_id).with_for_update())).first()
    if row is None:
        raise Refusal("regency.unknown", name=str(regency_id))
    regency, cycle = row
    before = _profile(regency, cycle)
    if key == "date":
        cycle.verification_date = date_of(value)
        await follow_verification_date(session, cycle.id, cycle.verification_date)
    elif key == "zone":
        cycle.timezone = zone_of(value)
    elif key == "target":
        cycle.target_predicate = predicate_of(value)
    elif key == "score":
        cycle.last_score = score_of(value)
    elif key == "province":
        regency.province = " ".join(value.split()) or None
    elif key == "name":
        regency.name = name_of(value)
    else:
        day = date_of(value).isoformat()
        days = set(regency.holidays or ())
        regency.holidays = sorted(days - {day} if day in days else days | {day})
    await session.flush()
    after = _profile(regency, cycle)
    await audit.record(session, at=now, actor=actor, action="regency.change",
                       subject_type="regency", subject_id=regency_id, regency_id=regency_id,
                       field=key, before=shown(before, key), after=shown(after, key))
    return before, after


def shown(profile: RegencyProfile, key: str) -> str:
    """One setting (a key of ``FIELDS``' values) as people read it."""
    values = {"date": profile.verification_date.isoformat(), "zone": profile.zone_label,
              "target": profile.target_predicate, "score": str(profile.last_score),
              "province": profile.province or "", "name": profile.name,
              "holiday": ", ".join(d.isoformat() for d in profile.holidays)}
    return values[key]


# --- whose regency -----------------------------------------------------------------------

async def of_sender(session: AsyncSession, who: Who, chat: str | None) -> int | None:
    """The regency of the member behind ``who``; else of the group ``chat`` (linked by a
    secretariat); None for a stranger in a private chat."""
    if who.telegram_user_id is not None:
        found = await session.scalar(select(Member.regency_id).where(
            Member.telegram_user_id == who.telegram_user_id))
    else:
        found = await session.scalar(select(Member.regency_id).join(
            MemberAddress, MemberAddress.member_id == Member.id).where(
            MemberAddress.channel == who.channel, MemberAddress.address == who.address))
    if found is None and chat is not None:
        found = await session.scalar(select(TaskForceGroup.regency_id).where(
            TaskForceGroup.channel == who.channel, TaskForceGroup.chat == chat))
    return found


async def all_senders(session: AsyncSession) -> dict[Who, int]:
    """Every registered member's regency, by how each channel knows them (two queries)."""
    found = {Who.telegram(user): regency for user, regency in await session.execute(
        select(Member.telegram_user_id, Member.regency_id).where(
            Member.telegram_user_id.is_not(None))) if user is not None}
    found |= {Who(cast(Channel, channel), address): regency for channel, address, regency in
              await session.execute(select(MemberAddress.channel, MemberAddress.address,
                                           Member.regency_id)
                                    .join(Member, Member.id == MemberAddress.member_id))}
    return found


async def with_phone(session: AsyncSession, phone: str) -> list[int]:
    """The regencies that list this (normalised) phone, for a stranger sharing their contact."""
    rows = await session.scalars(select(Member.regency_id).where(Member.phone == phone)
                                 .order_by(Member.regency_id))
    return list(dict.fromkeys(rows))


async def of_stranger(session: AsyncSession, *, phone: str | None,
                     code: str | None) -> int | None:
    """The regency a newcomer belongs to: the only one listing their (normalised) phone,
    else the one of the invite ``code`` they sent; None when neither says."""
    if phone:
        listing = await with_phone(session, phone)
        if len(listing) == 1:
            return listing[0]
    if code:
        return await session.scalar(select(Member.regency_id).join(
            Invite, Invite.member_id == Member.id).where(Invite.code == code.strip()))
    return None
