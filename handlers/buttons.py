"""Every button press is checked before a feature sees it, and none goes unanswered.

Button data comes back from the client untouched, so it may be forged: a press whose data is
not plain ASCII, or names an id beyond the database's BIGINT, is answered "this button is no
longer valid" and goes no further; a press that no feature takes gets the same
(:func:`handlers.route.dispatch`).
"""

from __future__ import annotations

from kla_bot.conversation.turn import Turn

BIGINT_MAX = 2**63 - 1


def well_formed(data: object) -> bool:
    """Plain ASCII ``word:word:…`` whose numbers all fit a database id."""
    if not isinstance(data, str) or not data.isascii() or not data.isprintable():
        return False
    return all(int(part) <= BIGINT_MAX for part in data.split(":") if part.isdigit())


def id_after(turn: Turn, prefix: str) -> int | None:
    """The id a press carries after ``prefix`` (None when there is none)."""
    tail = (turn.inbound.press or "").removeprefix(prefix)
    return int(tail) if tail.isdigit() else None


async def stale(turn: Turn) -> None:
    """Answer the press so the client stops waiting, and say the button no longer works."""
    t = await turn.translator()
    await turn.port.answer_press(t("common.stale_button"), alert=True)
