"""The regency and evaluation cycle this deployment serves, taken from the configuration."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot.clock import Clock
from kla_bot.config import Settings, VerificationSettings
from kla_bot.models import Cycle, Regency
from kla_bot.services.due_dates import follow_verification_date

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Workspace:
    """Ids every service needs: which regency and which cycle."""

    regency_id: int
    cycle_id: int
    regency: str
    verification_date: date


def _configured(v: VerificationSettings) -> dict[str, Any]:
    """The ``[verification]`` keys as stored in ``regencies.config_applied``."""
    return {"name": v.name, "date": v.date.isoformat(), "timezone": v.timezone,
            "last_score": str(v.last_score), "target_predicate": v.target_predicate}


async def ensure_workspace(session: AsyncSession, settings: Settings, clock: Clock) -> Workspace:
    """Find or create the configured regency and its cycle. The configuration is applied to
    the cycle when it is new or changed since it was last applied (an operator edited
    ``config.toml``); otherwise the cycle keeps what was set since (``/kabupaten``,
    ``bot.py regency set``)."""
    v = settings.verification
    regency = await session.scalar(select(Regency).where(Regency.name == v.regency))
    if regency is None:
        regency = Regency(name=v.regency, holidays=[], created_at=clock.now())
        session.add(regency)
        await session.flush()
    cycle = await session.scalar(
        select(Cycle).where(Cycle.regency_id == regency.id, Cycle.active.is_(True)))
    configured = _configured(v)
    if cycle is None:
        cycle = Cycle(regency_id=regency.id, active=True, name=v.name,
                      verification_date=v.date, timezone=v.timezone,
                      last_score=Decimal(str(v.last_score)), target_predicate=v.target_predicate)
        session.add(cycle)
    elif regency.config_applied != configured:
        cycle.name = v.name
        cycle.verification_date = v.date
        cycle.timezone = v.timezone
        cycle.last_score = Decimal(str(v.last_score))
        cycle.target_predicate = v.target_predicate
    elif cycle.verification_date != v.date:
        log.info("verification date %s was set in chat or with `bot.py regency set`; "
                 "config.toml still says %s", cycle.verification_date, v.date)
    regency.config_applied = configured
    await session.flush()
    moved = await follow_verification_date(session, cycle.id, cycle.verification_date)
    if moved:
        log.info("verification date %s: %d default due dates moved to follow it",
                 cycle.verification_date, moved)
    return Workspace(regency.id, cycle.id, regency.name, cycle.verification_date)


def warn_if_verification_passed(workspace: Workspace, today: date) -> bool:
    """Log a WARNING when the configured verification date is already behind us."""
    if workspace.verification_date >= today:
        return False
    log.warning("verification.date %s has passed (today is %s): every task with a default due "
                "date is overdue; set the next verification date in the configuration",
                workspace.verification_date, today)
    return True
