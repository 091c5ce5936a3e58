"""``/alih`` (``/handover``): a member who will be away asks to hand their tasks over; the
cluster coordinator picks who takes them, in one tap (:mod:`kla_bot.services.handover`)."""

from __future__ import annotations

import re

from handlers.coordination import act
from handlers.registry import Command, Feature, Press, Rendered, renders
from kla_bot.conversation.turn import Turn
from kla_bot.i18n import Translator
from kla_bot.models import Member
from kla_bot.services import handover
from kla_bot.services.access import Session
from kla_bot.services.outbox_kinds import HandoverRequested
from kla_bot.text_fit import LINE_FIELD_WIDTH, shorten

PREFIX = "alih:"
_PRESS = re.compile(r"^alih:(\d+):([A-Za-z0-9-]{1,12}):(\d+)$")


def press_data(requester_id: int, cluster: str, assignee_id: int) -> str:
    return f"{PREFIX}{requester_id}:{cluster}:{assignee_id}"


async def handover_command(turn: Turn) -> None:
    """Send the request to the coordinators; tell the member who was asked."""
    deps = turn.deps
    note = " ".join(turn.args)

    async def work(session: Session, member: Member) -> handover.Requested:
        return await handover.request(session, deps.workspace, member, note, deps.clock.now())

    asked, t = await act(turn, work)
    if asked is None:
        return
    lines = [t("handover.sent")]
    lines += [t("handover.sent_line", cluster=cluster, count=count,
                names=", ".join(shorten(n, LINE_FIELD_WIDTH) for n in names))
              for cluster, names, count in asked.clusters]
    await turn.reply("\n".join(lines))


async def on_press(turn: Turn) -> None:
    """The coordinator's choice: move the tasks, say so on the request."""
    deps = turn.deps
    found = _PRESS.match(turn.inbound.press or "")
    if found is None:
        await turn.tell((await turn.translator())("handover.stale"))
        return
    requester_id, cluster, assignee_id = int(found[1]), found[2], int(found[3])

    async def work(session: Session, member: Member) -> handover.HandedOver:
        return await handover.approve(session, deps.workspace, member, requester_id, cluster,
                                      assignee_id, deps.clock.now())

    done, t = await act(turn, work)
    if done is None:
        return
    await turn.ack()
    await turn.reply(t("handover.done", count=len(done.moved), cluster=done.cluster,
                      requester=shorten(done.requester, LINE_FIELD_WIDTH),
                      assignee=shorten(done.assignee, LINE_FIELD_WIDTH),
                      codes=", ".join(m.task_code for m in done.moved)))


def render_requested(payload: HandoverRequested, t: Translator) -> Rendered:
    """The coordinator's request: who, why, which tasks, and a button per possible taker."""
    text = t("handover.request", name=shorten(payload.requester_name, LINE_FIELD_WIDTH),
             agency=shorten(payload.agency, LINE_FIELD_WIDTH), cluster=payload.cluster,
             note=payload.note or t("handover.no_note"), count=len(payload.task_codes),
             codes=", ".join(payload.task_codes))
    buttons = [[(t("handover.choice", name=shorten(c.name, LINE_FIELD_WIDTH)),
                 press_data(payload.requester_id, payload.cluster, c.member_id))]
               for c in payload.choices]
    return Rendered(text, buttons=buttons)


FEATURE = Feature(
    name="handover",
    commands=(Command("alih", "handover", handover_command, "handover.menu",
                      members_only=True),),
    presses=(Press(PREFIX, on_press),),
    renderers=dict([renders(HandoverRequested, render_requested)]),
)
