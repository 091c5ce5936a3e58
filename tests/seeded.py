"""Reading the seeded task force back, the same way in every harness (Telegram's World,
WhatsApp's WaChat, the both-channels Town): each has ``deps`` and the seeded ``tasks``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from kla_bot.deps import Deps
from kla_bot.models import Evidence, Task


class SeededReads:
    deps: Deps
    tasks: dict[str, int]

    async def scalar(self, stmt: Any) -> Any:
        async with self.deps.db.transaction() as s:
            return await s.scalar(stmt)

    async def count(self, model: Any) -> int:
        return int(await self.scalar(select(func.count()).select_from(model)) or 0)

    async def evidence(self) -> list[Evidence]:
        async with self.deps.db.transaction() as s:
            return list(await s.scalars(select(Evidence).order_by(Evidence.id)))

    async def task(self, code: str) -> Task:
        async with self.deps.db.transaction() as s:
            task = await s.get(Task, self.tasks[code])
            assert task is not None
            return task
