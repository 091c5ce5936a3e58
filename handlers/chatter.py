"""Plain words ("halo", "Pak, saya mau daftar"): who I am and what this person does next.

In a private chat every plain text gets a short answer fitted to the writer: a stranger is
shown how to register, a member how to send evidence, a coordinator what waits for review. In
a group the bot answers only when addressed (a reply to it, or its @name), and then says
nothing personal: it points to the private chat.
"""

from __future__ import annotations

import re

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import MessageHandler, filters

from handlers.context import KlaContext
from handlers.registry import Feature
from handlers.start import share_keyboard
from kla_bot.clock import local_today
from kla_bot.domain import Role, Who
from kla_bot.i18n import Translator
from kla_bot.services.guide import Guide, guide_for


def addressed(message: Message, bot_id: int, username: str) -> bool:
    """In a group: a reply to one of the bot's messages, or a mention of its @name."""
    reply = message.reply_to_message
    if reply is not None and reply.from_user is not None and reply.from_user.id == bot_id:
        return True
    return re.search(rf"@{re.escape(username)}\b", message.text or "", re.IGNORECASE) is not None


async def on_text(update: Update, context: KlaContext) -> None:
    """Answer plain text with the writer's next step."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return
    private = chat.type == ChatType.PRIVATE
    if not private and not addressed(message, context.bot.id, context.bot.username):
        return
    deps = context.deps
    async with deps.db.transaction() as session:
        guide = await guide_for(session, deps.workspace, Who.telegram(user.id),
                                local_today(deps.clock, deps.settings.tz))
    t = deps.translator(guide.language, user.language_code)
    intro = t("chatter.intro", regency=deps.workspace.regency)
    if not private:
        await message.reply_text(f"{intro}\n{t('chatter.group', bot=context.bot.username)}")
        return
    if guide.role is None:
        await message.reply_text(f"{intro}\n{t('chatter.stranger')}",
                                 reply_markup=share_keyboard(t))
        return
    await message.reply_text(f"{intro}\n{_next_step(guide, t)}")


def _next_step(guide: Guide, t: Translator) -> str:
    lines = [t("chatter.member", name=guide.name, count=guide.open_tasks)]
    if guide.role != Role.MEMBER:
        lines.append(t("chatter.overseer", count=guide.waiting_review))
    return "\n".join(lines)


FEATURE = Feature(
    name="chatter",
    handlers=(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text),),
)
