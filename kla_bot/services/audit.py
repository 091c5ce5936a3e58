"""The audit log: every state change, with who, what and when."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot.models import AuditEvent, Member


@dataclass(frozen=True)
class Actor:
    """Who acts: a member, or a named system part (``cli``, ``scheduler``)."""

    member_id: int | None
    label: str

    @classmethod
    def member(cls, member: Member) -> Actor:
        return cls(member.id, member.name)

    @classmethod
    def system(cls, label: str) -> Actor:
        return cls(None, label)


def event(*, at: datetime, actor: Actor, action: str, subject_type: str, subject_id: object,
          regency_id: int | None = None, **details: Any) -> dict[str, Any]:
    """The column values of one audit event."""
    return {"at": at, "regency_id": regency_id, "actor_id": actor.member_id,
            "actor_label": actor.label, "action": action, "subject_type": subject_type,
            "subject_id": str(subject_id), "details": details}


async def record(session: AsyncSession, *, at: datetime, actor: Actor, action: str,
                 subject_type: str, subject_id: object, regency_id: int | None = None,
                 **details: Any) -> None:
    """Add one audit event to the current unit of work."""
    session.add(AuditEvent(**event(at=at, actor=actor, action=action, subject_type=subject_type,
                                   subject_id=subject_id, regency_id=regency_id, **details)))


async def record_many(session: AsyncSession, events: Sequence[dict[str, Any]]) -> None:
    """Many events (built with ``event``) in one statement: an import writes thousands."""
    if events:
        await session.execute(insert(AuditEvent), list(events))
