"""Test data for the reminders tests: members and tasks written straight to the database."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot.models import Member, MemberCluster, Task
from kla_bot.services.workspace import Workspace

# Indicator number → cluster, from the shipped catalog (12 is in K3, 21 in K5, 1 in KL).
INDICATOR_OF = {"KL": 1, "K1": 4, "K2": 7, "K3": 12, "K4": 18, "K5": 21}


async def add_member(session: AsyncSession, ws: Workspace, now: datetime, *, name: str,
                     role: str = "member", clusters: tuple[str, ...] = ("K3",),
                     chat_id: int | None = None, language: str | None = None,
                     reachable: bool = True) -> Member:
    number = await _next_number(session)
    member = Member(regency_id=ws.regency_id, name=name, phone=f"+62812{number:07d}",
                    agency=f"Dinas {name}", role=role, telegram_user_id=chat_id,
                    chat_id=chat_id, language=language, reachable=reachable,
                    registered_at=now if chat_id else None, created_at=now, updated_at=now,
                    clusters=[MemberCluster(cluster_code=c) for c in clusters])
    session.add(member)
    await session.flush()
    return member


async def add_task(session: AsyncSession, ws: Workspace, now: datetime, *, code: str,
                   assignee: Member, due: date, points: str = "1.5", cluster: str = "K3",
                   state: str = "open", title: str | None = None) -> Task:
    task = Task(cycle_id=ws.cycle_id, code=code, code_key=code.upper(),
                indicator_number=INDICATOR_OF[cluster], title=title or f"Bukti {code}",
                points=Decimal(points), assignee_id=assignee.id, due_date=due, state=state,
                created_at=now, updated_at=now)
    session.add(task)
    await session.flush()
    return task


_counter = [0]


async def _next_number(session: AsyncSession) -> int:
    _counter[0] += 1
    return _counter[0]
