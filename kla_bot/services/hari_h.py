"""Hari H mode: when it is on, and the live checklist of what can be shown to the verifiers.

The mode is on from the start of the day before the verification until the end of the
verification day, in ``verification.timezone`` (:func:`window`), and whenever the secretariat
switches it on by hand (``/harih mulai``) until they switch it off (``/harih selesai``).
:func:`active` is the one place that says whether it is on. While it is on, calls for missing
items go out at once, whatever the hour or the working-day calendar.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot.config import Settings
from kla_bot.domain import TaskState
from kla_bot.models import HariHSwitch, Indicator, Member, Task
from kla_bot.services import audit
from kla_bot.services.access import Scope, overseer_scope, secretariat_scope
from kla_bot.services.workspace import Workspace

ON, OFF = "on", "off"


def window(settings: Settings, verification_date: date) -> tuple[datetime, datetime]:
    """From local midnight starting H-1 to local midnight ending hari H (aware datetimes)."""
    start = datetime.combine(verification_date - timedelta(days=1), time(0), tzinfo=settings.tz)
    end = datetime.combine(verification_date + timedelta(days=1), time(0), tzinfo=settings.tz)
    return start, end


def decide(settings: Settings, verification_date: date, switch: HariHSwitch | None,
           now: datetime) -> bool:
    """The rule, without the database: a switch still in force wins, else the calendar."""
    if switch is not None and (switch.until is None or now < switch.until):
        return switch.mode == ON
    start, end = window(settings, verification_date)
    return start <= now < end


async def _switch(session: AsyncSession, workspace: Workspace) -> HariHSwitch | None:
    return await session.get(HariHSwitch, workspace.regency_id)


async def active(session: AsyncSession, workspace: Workspace, settings: Settings,
                 now: datetime) -> bool:
    """Whether the regency is in hari H mode at ``now``."""
    return decide(settings, workspace.verification_date, await _switch(session, workspace), now)


async def switch(session: AsyncSession, workspace: Workspace, settings: Settings,
                 member: Member, *, on: bool, now: datetime) -> bool:
    """The secretariat switches the mode on or off until the verification day ends (on after
    it: until switched off; off after it: the calendar is off anyway); audited. Returns
    whether it is on now."""
    secretariat_scope(member)
    row = await _switch(session, workspace)
    _, end = window(settings, workspace.verification_date)
    # Never past the verification day: a drill started days before ends with it, not never.
    until = end if now < end else (None if on else now)
    if row is None:
        row = HariHSwitch(regency_id=workspace.regency_id, mode=ON if on else OFF,
                          until=until, set_by_id=member.id, set_at=now)
        session.add(row)
    else:
        row.mode, row.until, row.set_by_id, row.set_at = ON if on else OFF, until, member.id, now
    await session.flush()
    await audit.record(session, at=now, actor=audit.Actor.member(member),
                       action="harih.on" if on else "harih.off", subject_type="regency",
                       subject_id=workspace.regency_id, regency_id=workspace.regency_id)
    return decide(settings, workspace.verification_date, row, now)


@dataclass
class IndicatorCheck:
    """One indicator's tasks by what can be shown: approved, waiting for review, missing."""

    number: int
    name: str
    approved: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


@dataclass
class ClusterCheck:
    code: str
    indicators: list[IndicatorCheck]

    def count(self, what: str) -> int:
        return sum(len(getattr(i, what)) for i in self.indicators)


@dataclass(frozen=True)
class Checklist:
    on: bool
    window_start: datetime
    window_end: datetime
    clusters: list[ClusterCheck]


BUCKET = {TaskState.APPROVED.value: "approved", TaskState.SUBMITTED.value: "waiting",
          TaskState.OPEN.value: "missing"}


async def checklist(session: AsyncSession, workspace: Workspace, settings: Settings,
                    member: Member, now: datetime) -> Checklist:
    """The live checklist of the clusters this coordinator (or the secretariat) oversees."""
    scope: Scope = overseer_scope(member)
    rows = await session.execute(
        select(Task.code, Task.state, Indicator.number, Indicator.name, Indicator.name_en,
               Indicator.cluster_code)
        .join(Indicator, Indicator.number == Task.indicator_number)
        .where(Task.cycle_id == workspace.cycle_id, Task.state.in_(list(BUCKET)))
        .order_by(Indicator.number, Task.code_key))
    clusters: dict[str, dict[int, IndicatorCheck]] = {}
    for code, state, number, name, _name_en, cluster in rows:
        if not scope.covers(cluster):
            continue
        by_number = clusters.setdefault(cluster, {})
        check = by_number.setdefault(number, IndicatorCheck(number, name))
        getattr(check, BUCKET[state]).append(code)
    start, end = window(settings, workspace.verification_date)
    ordered = [ClusterCheck(code, list(clusters[code].values())) for code in _cluster_order(
        clusters)]
    return Checklist(await active(session, workspace, settings, now), start, end, ordered)


def _cluster_order(codes: Iterable[str]) -> list[str]:
    """KL first, then K1..K5."""
    return sorted(codes, key=lambda c: (c != "KL", c))
