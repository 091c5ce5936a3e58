"""Noticing that a member who blocked the bot on Telegram writes again, without a query per
update.

Any update from a member's private chat proves the bot can write to them again
(:mod:`kla_bot.channels.telegram.presence`). Asking the database on every update cost as much
as answering ``/tugas`` itself, and almost everyone is reachable. So each worker keeps the
Telegram users marked unreachable (all regencies; read again every :data:`FRESH_FOR`
seconds, and at once after this worker marked someone) and the users it saw writing lately.

A member marked unreachable by *another* worker in the last seconds may write to this one
before it reads the list again: the read then finds them marked since before that sighting,
and they are made reachable again then (within :data:`FRESH_FOR` seconds, never missed). A
comeback to the worker that marked them is seen at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from kla_bot.db import Database
from kla_bot.services import registration

FRESH_FOR = 30.0  # seconds a worker trusts its list of unreachable Telegram users
SIGHTINGS_KEPT = 2 * FRESH_FOR  # a sighting older than this can no longer be a comeback
_LONG_AGO = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Sighting:
    """A Telegram user wrote in their private chat: when, where, and how (for the audit)."""

    at: datetime
    chat_id: int
    via: str


class Comebacks:
    """This worker's view of who is unreachable on Telegram, and of who wrote lately."""

    def __init__(self, db: Database, *, now: Callable[[], float] = time.monotonic) -> None:
        self.db, self._now = db, now
        self._unreachable: dict[int, datetime] = {}  # Telegram user id → marked since
        self._read_at = float("-inf")
        self._sightings: dict[int, tuple[float, Sighting]] = {}  # with this worker's time

    async def sighted(self, telegram_user_id: int,
                      sighting: Sighting) -> list[tuple[int, Sighting]]:
        """Note that this user wrote; who must be made reachable again now: this user when
        marked unreachable, and anyone another worker marked before this worker saw them."""
        due = await self._read_again() if self._now() - self._read_at > FRESH_FOR else {}
        self._sightings[telegram_user_id] = (self._now(), sighting)
        if telegram_user_id in self._unreachable:
            due[telegram_user_id] = sighting
        return list(due.items())

    def reachable(self, telegram_user_id: int) -> None:
        """They were made reachable again (by this worker)."""
        self._unreachable.pop(telegram_user_id, None)

    def forget(self) -> None:
        """This worker marked someone unreachable: read the list again at the next update."""
        self._read_at = float("-inf")

    async def _read_again(self) -> dict[int, Sighting]:
        async with self.db.lone_read() as session:
            marked = await registration.unreachable_telegram_users(session)
        self._read_at = self._now()
        known, self._unreachable = self._unreachable, {
            user: since or _LONG_AGO for user, since in marked.items()}
        oldest = self._read_at - SIGHTINGS_KEPT
        self._sightings = {user: seen for user, seen in self._sightings.items()
                           if seen[0] >= oldest}
        return {user: seen for user, since in self._unreachable.items()
                if user not in known and (seen := self._sighting(user)) is not None
                and seen.at > since}

    def _sighting(self, telegram_user_id: int) -> Sighting | None:
        found = self._sightings.get(telegram_user_id)
        return found[1] if found is not None else None
