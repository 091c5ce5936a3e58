"""Why a reminder: the one-line reason on every digest and escalation, and ``/kenapa``
(``/why``), where a member asks why they got a reminder, or why not.

The facts come from :mod:`kla_bot.services.reminder_why` (the same rules the reminders use);
this module only words them in the reader's language.
"""

from __future__ import annotations

from handlers.coordination import act
from handlers.registry import Command, Feature
from kla_bot.conversation.turn import Turn
from kla_bot.i18n import Translator
from kla_bot.models import Member
from kla_bot.services.access import Session
from kla_bot.services.reminder_why import Explanation, explain
from kla_bot.why_text import reason


def _answer(t: Translator, found: Explanation) -> str:
    lines: list[str] = []
    if found.last_at is None:
        lines.append(t("why.last_none"))
    else:
        lines.append(t("why.last", day=found.last_at, at=found.last_at))
        if found.last_why is not None:
            lines.append(f"{t('why.last_why')} {reason(t, found.last_why)}.")
    if found.quiet:
        lines += ["", t("why.quiet_title")]
        lines += [t(f"why.quiet_{code}") for code in found.quiet]
    lines.append("")
    lines.append(t("why.next", day=found.next_at, at=found.next_at) if found.next_at is not None
                 else t("why.next_none"))
    if found.open_tasks:
        lines.append(t("why.open_tasks", count=found.open_tasks))
    return "\n".join(lines)


async def why_command(turn: Turn) -> None:
    """``/kenapa``: when the last reminder went and why; why none goes now; when the next."""
    deps = turn.deps

    async def work(session: Session, member: Member) -> Explanation:
        return await explain(session, deps.workspace, deps.settings, member, deps.clock.now())

    found, t = await act(turn, work)
    if found is not None:
        await turn.reply(_answer(t, found))


FEATURE = Feature(
    name="why",
    commands=(Command("kenapa", "why", why_command, "why.menu", members_only=True),),
)
