"""Plain words ("halo", "Pak, saya mau daftar"): who I am and what this person does next.

In a private chat every plain text gets a short answer fitted to the writer: a stranger is
shown how to register, a member how to send evidence, a coordinator what waits for review. In
a group the bot answers only when addressed (a reply to it, or its @name), and then says
nothing personal: it points to the private chat.
"""

from __future__ import annotations

from handlers.registry import Feature
from kla_bot.clock import local_today
from kla_bot.conversation.turn import Turn
from kla_bot.domain import OVERSEER_ROLES
from kla_bot.i18n import Translator
from kla_bot.services.guide import Guide, guide_for


async def on_text(turn: Turn) -> bool:
    """Answer plain text with the writer's next step (in a group only when addressed)."""
    if not turn.inbound.addressed:
        return False
    deps = turn.deps
    async with deps.db.transaction() as session:
        guide = await guide_for(session, deps.workspace, turn.who,
                                local_today(deps.clock, deps.settings.tz))
    t = turn.translator_for(guide.language)
    intro = t("chatter.intro", regency=deps.workspace.regency)
    if not turn.inbound.private:
        await turn.reply(f"{intro}\n{t('chatter.group', bot=turn.port.bot_name)}")
    elif guide.role is None:
        await turn.reply(f"{intro}\n{t('chatter.stranger')}",
                         ask_contact=t("start.share_button"))
    else:
        await turn.reply(f"{intro}\n{_next_step(guide, t)}")
    return True


def _next_step(guide: Guide, t: Translator) -> str:
    lines = [t("chatter.member", name=guide.name, count=guide.open_tasks)]
    if guide.role in OVERSEER_ROLES:
        lines.append(t("chatter.overseer", count=guide.waiting_review))
    return "\n".join(lines)


FEATURE = Feature(name="chatter", reads_text=on_text)
