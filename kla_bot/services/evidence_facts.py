"""What the reviewer and the member are told about a file's facts: the date it was made
against the period the task must cover, quality flags, and the same file used for another
task. Facts, never text: the handlers word them (catalog area ``facts``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot.models import Evidence, Task
from kla_bot.services.file_facts import SOURCES
from kla_bot.services.periods import Period

MAX_DUPLICATES = 3  # task codes named on a card


@dataclass(frozen=True)
class FileNotes:
    """The facts of one file as people see them. ``found``/``source``: the date the file says
    it was made (the one inside the period if any is, else the most trusted); ``outside``:
    no date it gives falls in the period."""

    period_start: date
    period_end: date
    kind: str | None = None
    pages: int | None = None
    found: date | None = None
    source: str | None = None
    outside: bool = False
    quality: tuple[str, ...] = ()
    duplicates: tuple[str, ...] = ()  # codes of other tasks the same bytes were sent for

    @property
    def period(self) -> Period:
        return Period(self.period_start, self.period_end)

    @property
    def worth_telling(self) -> bool:
        """Something the member should hear about (the file is accepted all the same)."""
        return self.outside or bool(self.quality)


def _dates(facts: Mapping[str, Any]) -> list[tuple[str, date]]:
    found: list[tuple[str, date]] = []
    for entry in facts.get("dates") or ():
        try:
            source, day = str(entry["source"]), date.fromisoformat(str(entry["date"]))
        except (KeyError, TypeError, ValueError):
            continue
        if source in SOURCES:
            found.append((source, day))
    return sorted(found, key=lambda pair: SOURCES.index(pair[0]))  # stable: text order kept


def judge(facts: Mapping[str, Any] | None, period: Period,
          duplicates: Iterable[str] = ()) -> FileNotes:
    """The notes for a file's stored facts against its task's period."""
    facts = facts or {}
    dates = _dates(facts)
    inside = [(source, day) for source, day in dates if period.contains(day)]
    first = (inside or dates)[:1]
    source, found = first[0] if first else (None, None)
    pages = facts.get("pages")
    quality = tuple(q for q in facts.get("quality") or () if isinstance(q, str))
    return FileNotes(period.start, period.end, kind=facts.get("kind"),
                     pages=pages if isinstance(pages, int) else None,
                     found=found, source=source, outside=bool(dates) and not inside,
                     quality=quality, duplicates=tuple(duplicates)[:MAX_DUPLICATES])


async def duplicates_of(session: AsyncSession, cycle_id: int,
                        files: Iterable[tuple[int, str]]) -> dict[tuple[int, str], list[str]]:
    """For each (task id, sha256): the codes of the cycle's other tasks that got the same
    bytes (in any state: a file used elsewhere is worth a look either way)."""
    wanted = list(files)
    if not wanted:
        return {}
    rows = await session.execute(
        select(Evidence.sha256, Task.id, Task.code).join(Task, Task.id == Evidence.task_id)
        .where(Task.cycle_id == cycle_id, Evidence.sha256.in_({sha for _, sha in wanted}))
        .order_by(Task.code))
    by_sha: dict[str, list[tuple[int, str]]] = {}
    for sha, task_id, code in rows:
        by_sha.setdefault(sha, []).append((task_id, code))
    return {(task_id, sha): list(dict.fromkeys(
        code for other, code in by_sha.get(sha, []) if other != task_id))
        for task_id, sha in wanted}
