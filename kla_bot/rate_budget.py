"""One Telegram rate budget for every worker of a bot: a token bucket in PostgreSQL.

Telegram allows a bot about 30 messages a second in total, however many processes send them.
Each worker's own :class:`~kla_bot.pacing.Pacer` keeps one process under that, so two workers
could send 58 a second. On PostgreSQL (the only database several workers share) the outbox
senders therefore take a token from one row of ``rate_budgets`` before each send, in a single
atomic ``UPDATE … RETURNING``: the row refills at :data:`TELEGRAM_RATE` tokens a second up to
:data:`TELEGRAM_BURST`; a bulk send needs a whole token left, an interactive one (a handler
reply, a review result) may borrow the row down to ``-TELEGRAM_BORROW``, so bulk sends of every
worker yield to any worker's replies (:mod:`kla_bot.priority_budget`). Any one-second window
holds at most ``RATE + BURST + BORROW`` (30) sends from all workers together, bulk alone
``RATE + BURST`` (29.5, so 29). No new service is needed (Redis would be one more thing to run). On
SQLite there is one worker, whose budget is a window in its memory.

Time is the machines' wall clock in seconds since the epoch (the pacer sleeps in real time, so
the bucket must refill in real time, whatever ``deps.clock`` says; a test injects both); a
worker whose clock lags another's adds no tokens until it catches up (never more).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert

from kla_bot.db import Database
from kla_bot.deps import Deps
from kla_bot.leader import bot_identity, is_postgres
from kla_bot.models import RateBudget
from kla_bot.priority_budget import BORROW, BURST, MIN_WAIT, RATE, LocalWindow, TokenSource

TELEGRAM_RATE = RATE  # tokens a second, for every worker together
TELEGRAM_BURST = BURST  # the bucket's size: bulk alone, RATE + BURST = 29.5 in any second
TELEGRAM_BORROW = BORROW  # interactive sends may go this far below zero: 30 in any second

_TAKE = text("""
    UPDATE rate_budgets
    SET tokens = LEAST(:burst, tokens + GREATEST(0, :now - refilled_at) * :rate) - 1,
        refilled_at = GREATEST(refilled_at, :now)
    WHERE name = :name
      AND LEAST(:burst, tokens + GREATEST(0, :now - refilled_at) * :rate) >= :need - 0.000001
    RETURNING tokens""")
_LEFT = text("""
    SELECT LEAST(:burst, tokens + GREATEST(0, :now - refilled_at) * :rate)
    FROM rate_budgets WHERE name = :name""")


class SharedBudget:
    """A token bucket in the database, shared by every process that names it."""

    def __init__(self, db: Database, name: str, *, now: Callable[[], float],
                 rate: float = TELEGRAM_RATE, burst: float = TELEGRAM_BURST,
                 borrow: float = TELEGRAM_BORROW) -> None:
        self.db, self.name, self.now = db, name, now
        self.rate, self.burst, self.borrow = rate, burst, borrow
        self._created = False

    async def try_take(self, borrow: bool = False) -> float:
        """Take one token: 0.0 when taken (send now), else how many seconds to wait before
        trying again. ``borrow``: an interactive send, which may leave the row below zero."""
        need = 1 - self.borrow if borrow else 1.0  # tokens there must be before the take
        params = {"name": self.name, "now": self.now(), "rate": self.rate, "burst": self.burst,
                  "need": need}
        async with self.db.transaction() as session:
            if not self._created:  # the first use anywhere makes the row, full
                await session.execute(insert(RateBudget).values(
                    name=self.name, tokens=self.burst, refilled_at=params["now"],
                ).on_conflict_do_nothing(index_elements=["name"]))
                self._created = True
            if (await session.execute(_TAKE, params)).first() is not None:
                return 0.0
            left = float(await session.scalar(_LEFT, params) or 0.0)
        return max(MIN_WAIT, (need - left) / self.rate)


def telegram_budget(deps: Deps, now: Callable[[], float] = time.time) -> SharedBudget | None:
    """The bot's shared Telegram budget on PostgreSQL; None on SQLite (one worker)."""
    if not is_postgres(deps.settings.database.url):
        return None
    return SharedBudget(deps.db, f"telegram:{bot_identity(deps.settings)}", now=now)


def telegram_tokens(deps: Deps) -> TokenSource:
    """Where the bot's Telegram tokens come from: the row every worker shares on PostgreSQL,
    this process's own window on SQLite."""
    return telegram_budget(deps) or LocalWindow()
