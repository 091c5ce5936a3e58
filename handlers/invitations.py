"""``/undang`` (``/invite``) without a phone: a ready-to-forward invitation for every member
not yet registered, each with their own link, then a workbook of them all.

The secretariat gets everyone; a coordinator, the members of their clusters. Up to
:data:`ONE_BY_ONE` invitations go one message each (easy to forward); a longer list goes a few
to a message (the channel's length limit), so a big task force is not hundreds of messages —
the workbook has every one on its own row either way. The rules are
:mod:`kla_bot.services.invitations`'.
"""

from __future__ import annotations

from collections.abc import Callable

from handlers.coordination import act
from kla_bot.conversation.replies import Attachment, Reply
from kla_bot.conversation.turn import Turn
from kla_bot.i18n import Translator
from kla_bot.models import Member
from kla_bot.services.access import Session
from kla_bot.services.invitations import (
    Invitation,
    invitation_text,
    invitation_workbook,
    invite_unregistered,
)
from kla_bot.text_fit import split_text

ONE_BY_ONE = 20


def _bot_name(turn: Turn) -> str:
    name = turn.port.bot_name
    return name if turn.place.channel == "whatsapp" or name.startswith("@") else f"@{name}"


async def invite_everyone(turn: Turn) -> None:
    deps = turn.deps

    async def work(session: Session, member: Member) -> list[Invitation]:
        return await invite_unregistered(session, deps.workspace, creator=member,
                                         now=deps.clock.now())

    found, t = await act(turn, work)
    if found is None:
        return
    if not found:
        await turn.reply(t("invitations.nobody"))
        return
    # The invitation is for the member, whose language is not known yet: the bot's default.
    them = deps.translator(None, None)
    channel, bot = turn.place.channel, _bot_name(turn)

    def text(item: Invitation, plain: bool = False) -> str:
        return invitation_text(them, item, channel=channel, link=turn.port.invite_link(
            item.code), bot=bot, plain=plain)

    header = t("invitations.header", count=len(found))
    if len(found) > ONE_BY_ONE:
        header += "\n" + t("invitations.packed", count=len(found))
    await turn.reply(header)
    if len(found) <= ONE_BY_ONE:
        for item in found:
            await turn.reply(text(item))
    else:
        for part in split_text("\n\n".join(text(item) for item in found)):
            await turn.reply(part)
    await _send_workbook(turn, t, found, lambda item: text(item, plain=True))


async def _send_workbook(turn: Turn, t: Translator, found: list[Invitation],
                         message: Callable[[Invitation], str]) -> None:
    data = invitation_workbook(t, found, turn.port.invite_link, message)
    await turn.port.send(turn.place, Reply(t("invitations.caption"), attachment=Attachment(
        f"{t.plain('invitations.file_stem')}.xlsx", data=data)))
