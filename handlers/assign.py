"""``/tugaskan KODE PHONE`` (``/assign``): a coordinator gives a task to another member."""

from __future__ import annotations

from handlers.coordination import act
from handlers.registry import Command, Feature, Rendered, renders
from handlers.tasks import send_data
from kla_bot.conversation.turn import Turn
from kla_bot.domain import Role
from kla_bot.i18n import Raw, Translator
from kla_bot.models import Member
from kla_bot.services.access import Session, overseer_scope
from kla_bot.services.outbox_kinds import TaskReassigned
from kla_bot.services.reassign import Reassigned, reassign
from kla_bot.text_fit import LINE_FIELD_WIDTH, shorten

USAGE = "usage"


async def assign(turn: Turn) -> None:
    """Reassign a task within its cluster; both members are told, the coordinator sees it."""
    words = turn.args
    deps = turn.deps

    async def work(session: Session, member: Member) -> Reassigned | str:
        if len(words) < 2:
            overseer_scope(member)  # a plain member is refused, not taught the syntax
            return USAGE
        return await reassign(session, deps.workspace, member, words[0], " ".join(words[1:]),
                              deps.clock.now())

    result, t = await act(turn, work)
    if result is None:
        return
    if isinstance(result, str):
        await turn.reply(t("assign.usage"))
        return
    previous = shorten(result.previous, LINE_FIELD_WIDTH)
    assignee = shorten(result.assignee, LINE_FIELD_WIDTH)
    told = [t("assign.told" if result.previous_told else "assign.not_told", name=previous),
            t("assign.told" if result.assignee_told else "assign.not_told", name=assignee)]
    await turn.reply(t("assign.done", code=result.task_code,
                       title=shorten(result.task_title, LINE_FIELD_WIDTH),
                       previous=previous, assignee=assignee, told=Raw("\n".join(told))))


def render_reassigned(payload: TaskReassigned, t: Translator) -> Rendered:
    """``task.reassigned``: the new assignee gets the task (with a send button); the
    previous one learns they are off it."""
    params = {"code": payload.task_code,
              "title": shorten(payload.task_title, LINE_FIELD_WIDTH),
              "points": payload.points, "due": payload.due,
              "other": shorten(payload.other_name, LINE_FIELD_WIDTH),
              "by": shorten(payload.by_name, LINE_FIELD_WIDTH)}
    if payload.direction == "in":
        task_id = payload.task_ids[0]
        return Rendered(t("assign.member_in", **params),
                        [[(t("assign.send_button"), send_data(task_id))]])
    return Rendered(t("assign.member_out", **params))


FEATURE = Feature(
    name="assign",
    commands=(Command("tugaskan", "assign", assign, "menu.tugaskan",
                      roles=frozenset({Role.COORDINATOR, Role.SECRETARIAT}), private=True),),
    renderers=dict([renders(TaskReassigned, render_reassigned)]),
)
