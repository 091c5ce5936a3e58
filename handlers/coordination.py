"""Shared plumbing of the coordinators' handlers: who is asking, refusals, small formats."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from kla_bot.cli_text import render
from kla_bot.conversation.turn import Turn
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

T = TypeVar("T")
Work = Callable[[Session, Member], Awaitable[T]]
Reading = Callable[[Session, Viewer], Awaitable[T]]


async def act(turn: Turn, work: Work[T]) -> tuple[T | None, Translator]:
    """Run ``work`` for the registered member behind the input, in one unit of work.

    A refusal (``AccessDenied``) rolls everything back and is told to the user politely, as
    a note on the pressed button or as a message; the result is then None.
    """
    deps = turn.deps
    lang: str | None = None
    try:
        async with deps.db.transaction() as session:
            member = await registered_member(session, deps.workspace, turn.who)
            lang = member.language
            result = await work(session, member)
        return result, turn.translator_for(lang)
    except AccessDenied as refusal:
        return None, await _refused(turn, refusal, lang)


async def look(turn: Turn, work: Reading[T]) -> tuple[T | None, Translator]:
    """``act`` for work that only reads and shows what it read: the member is read as a
    ``Viewer`` (one statement, no entity), each statement on its own (``lone_read``)."""
    deps = turn.deps
    lang: str | None = None
    try:
        async with deps.db.lone_read() as session:
            viewer = await registered_viewer(session, deps.workspace, turn.who)
            lang = viewer.language
            result = await work(session, viewer)
        return result, turn.translator_for(lang)
    except AccessDenied as refusal:
        return None, await _refused(turn, refusal, lang)


async def _refused(turn: Turn, refusal: AccessDenied, lang: str | None) -> Translator:
    """Tell the refusal politely, as a note on the pressed button or as a message."""
    t = turn.translator_for(lang)
    await turn.tell(refusal_text(t, refusal))
    return t


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
