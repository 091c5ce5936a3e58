"""What a province's officer sees: every regency of their province, one summary line each, and
any one of them opened in full.

A provincial officer is a member of one regency (their record) whose ``province`` names their
province; they read every regency of it and act in none (the overseers' checks in
:mod:`kla_bot.services.access` refuse them). The summaries come from one aggregate query over
all the province's cycles (GROUP BY cycle and state), whatever the number of regencies.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot.clock import days_left as days_until
from kla_bot.domain import Role
from kla_bot.models import Member, Task
from kla_bot.services.access import AccessDenied, Scope, Viewer
from kla_bot.services.overdue import overdue
from kla_bot.services.regencies import RegencyProfile
from kla_bot.services.status import COUNTED
from kla_bot.services.status_model import Score, Tally, TaskCounts


@dataclass(frozen=True)
class RegencySummary:
    """One regency's line: its countdown, projected score against its target, its tasks."""

    regency_id: int
    name: str
    verification_date: date
    days_left: int
    score: Score
    tasks: TaskCounts


@dataclass(frozen=True)
class Province:
    """A provincial officer's province and its regencies (by name)."""

    name: str
    regencies: tuple[RegencyProfile, ...]


def province_of(viewer: Member | Viewer, profiles: Sequence[RegencyProfile]) -> Province:
    """The province the officer ``viewer`` reads (their regency's); everyone else, and an
    officer whose regency names no province, is refused."""
    if viewer.role != Role.PROVINCE:
        raise AccessDenied("access.coordinators_only")
    home = next((p for p in profiles if p.regency_id == viewer.regency_id), None)
    if home is None or not home.province:
        raise AccessDenied("province.no_province")
    wanted = home.province.casefold()
    return Province(home.province, tuple(sorted(
        (p for p in profiles if p.province and p.province.casefold() == wanted),
        key=lambda p: p.name.casefold())))


def officer_scope(viewer: Member | Viewer) -> Scope:
    """What an officer reads of an opened regency: everything, as its secretariat does."""
    return Scope(viewer.id, viewer.name, viewer.role, None)


def regency_named(province: Province, name: str) -> RegencyProfile:
    """The province's regency called ``name`` or the only one it begins (any case); others,
    and regencies of other provinces, are refused alike."""
    wanted = " ".join(name.split()).casefold()
    exact = [p for p in province.regencies if p.name.casefold() == wanted]
    found = exact or [p for p in province.regencies if wanted and
                      p.name.casefold().startswith(wanted)]
    if len(found) != 1:
        raise AccessDenied("province.unknown_regency", name=" ".join(name.split()),
                           province=province.name,
                           names=", ".join(p.name for p in province.regencies))
    return found[0]


def regency_with_id(province: Province, regency_id: int) -> RegencyProfile:
    """The province's regency ``regency_id`` (a button press); others are refused."""
    found = next((p for p in province.regencies if p.regency_id == regency_id), None)
    if found is None:
        raise AccessDenied("province.unknown_regency", name=str(regency_id),
                           province=province.name,
                           names=", ".join(p.name for p in province.regencies))
    return found


def local_today(profile: RegencyProfile, now: datetime) -> date:
    return now.astimezone(ZoneInfo(profile.timezone)).date()


async def summaries(session: AsyncSession, province: Province,
                    now: datetime) -> list[RegencySummary]:
    """Each regency of the province with its countdown, score and task counts (one query)."""
    profiles = province.regencies
    if not profiles:
        return []
    # "Overdue" is on each regency's own calendar: the cycles grouped by their local today
    # (at most Indonesia's three zones' days), each group with its own condition.
    by_today: dict[date, list[int]] = defaultdict(list)
    for profile in profiles:
        by_today[local_today(profile, now)].append(profile.cycle_id)
    late = case((or_(*(Task.cycle_id.in_(cycles) & overdue(today)
                       for today, cycles in by_today.items())), 1), else_=0)
    rows = await session.execute(
        select(Task.cycle_id, Task.state, func.count(), func.sum(Task.points), func.sum(late))
        .where(Task.cycle_id.in_([p.cycle_id for p in profiles]), COUNTED)
        .group_by(Task.cycle_id, Task.state))
    tallies: dict[int, Tally] = defaultdict(Tally)
    for cycle_id, state, count, points, overdue_tasks in rows:
        tallies[cycle_id].count(state, Decimal(points or 0), int(overdue_tasks or 0),
                                n=int(count))
    found = []
    for profile in profiles:
        totals = tallies[profile.cycle_id].freeze()
        score = Score.compute(last=profile.last_score, target_predicate=profile.target_predicate,
                              approved=totals.approved_points,
                              submitted=totals.submitted_points, open_=totals.open_points)
        found.append(RegencySummary(
            profile.regency_id, profile.name, profile.verification_date,
            days_until(local_today(profile, now), profile.verification_date), score,
            totals.counts))
    return found
