"""Shared plumbing of the coordinators' handlers: who is asking, refusals, small formats."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import TypeVar

from kla_bot.cli_text import render
from kla_bot.conversation.turn import Turn
from kla_bot.domain import Who
from kla_bot.errors import Reason
from kla_bot.i18n import Translator
from kla_bot.models import Member
from kla_bot.services.access import (
    AccessDenied,
    Session,
    Viewer,
    registered_member,
    registered_viewer,
)
from kla_bot.services.workspace import Workspace

T = TypeVar("T")
Asker = TypeVar("Asker", Member, Viewer)
Work = Callable[[Session, Member], Awaitable[T]]
Reading = Callable[[Session, Viewer], Awaitable[T]]
UnitOfWork = Callable[[], AbstractAsyncContextManager[Session]]
Find = Callable[[Session, Workspace, Who], Awaitable[Asker]]


async def act(turn: Turn, work: Work[T]) -> tuple[T | None, Translator]:
    """Run ``work`` for the registered member behind the input, in one unit of work.

    A refusal (``AccessDenied``) rolls everything back and is told to the user politely, as
    a note on the pressed button or as a message; the result is then None.
    """
    return await _as_asker(turn, turn.deps.db.transaction, registered_member, work)


async def look(turn: Turn, work: Reading[T]) -> tuple[T | None, Translator]:
    """``act`` for work that only reads and shows what it read: the member is read as a
    ``Viewer`` (one statement, no entity), each statement on its own (``lone_read``)."""
    return await _as_asker(turn, turn.deps.db.lone_read, registered_viewer, work)


async def _as_asker(turn: Turn, unit: UnitOfWork, find: Find[Asker],
                    work: Callable[[Session, Asker], Awaitable[T]],
                    ) -> tuple[T | None, Translator]:
    lang: str | None = None
    try:
        async with unit() as session:
            asker = await find(session, turn.deps.workspace, turn.who)
            lang = asker.language
            result = await work(session, asker)
        return result, turn.translator_for(lang)
    except AccessDenied as refusal:
        t = turn.translator_for(lang)
        await turn.tell(refusal_text(t, refusal))
        return None, t


def refusal_text(t: Translator, refusal: AccessDenied) -> str:
    """A refusal's sentence; its reasons (a new task's bad cells) in the reader's language."""
    params = {name: "; ".join(render(t, r) for r in value)
              if isinstance(value, tuple) and value and all(isinstance(r, Reason) for r in value)
              else render(t, value) if isinstance(value, Reason) else value
              for name, value in refusal.params.items()}
    return t(refusal.key, **params)


def local_moment(moment: datetime, turn: Turn) -> datetime:
    """A moment in ``verification.timezone``: its date and ``{x:time}`` are what people read."""
    return moment.astimezone(turn.deps.settings.tz)
