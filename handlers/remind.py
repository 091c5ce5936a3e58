"""Reminders: ``/ingatkan``, the daily jobs, and how reminder messages look.

The job callbacks are thin on purpose: each one asks the planner what is due *now* (by
``deps.clock``) and queues it; the outbox sender delivers. So the schedule follows from the
configuration and the database — a restart loses nothing, and a late or double firing of
APScheduler changes nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from handlers.registry import Command, Feature, Job, Rendered, renders
from handlers.tasks import send_data
from kla_bot import scheduler
from kla_bot.clock import days_left
from kla_bot.conversation.turn import Turn
from kla_bot.deps import Deps
from kla_bot.domain import Role
from kla_bot.i18n import Translator
from kla_bot.services import reminders
from kla_bot.services.access import AccessDenied, registered_member
from kla_bot.services.outbox_kinds import (
    Brief,
    Countdown,
    Digest,
    Escalation,
    LastCall,
    MemberUnreachable,
)
from kla_bot.services.reminders import FanOut
from kla_bot.text_fit import LINE_FIELD_WIDTH, fit_list, shorten
from kla_bot.why_text import digest_reason, why_line

log = logging.getLogger(__name__)



async def remind(turn: Turn) -> None:
    """Send today's digest now to every member with open tasks in my clusters; say how many."""
    deps = turn.deps
    t = await turn.translator()
    try:
        async with deps.db.transaction() as session:
            member = await registered_member(session, deps.workspace, turn.who)
            t = turn.translator_for(member.language)
            result = await reminders.remind_now(session, deps.workspace, deps.settings,
                                                member, deps.clock.now())
    except AccessDenied as denied:
        key = denied.key if t.has(denied.key) else "reminders.remind_not_allowed"
        await turn.reply(t(key, **denied.params))
        return
    await turn.reply(_remind_reply(t, result))


def _remind_reply(t: Translator, result: FanOut) -> str:
    if result.queued == 0 and result.already == 0:
        return t("reminders.remind_none")
    lines = [t("reminders.remind_queued", count=result.queued)]
    if result.already:
        lines.append(t("reminders.remind_already", count=result.already))
    return "\n".join(lines)


async def queue_due_now(deps: Deps) -> dict[str, FanOut]:
    """Queue whatever reminders are due now (nothing twice); the sender then delivers them.
    The daily job, whichever channels run. Only the scheduler leader queues (several
    workers: :mod:`kla_bot.leader`); the others' jobs fire and do nothing."""
    if not deps.leader.leading:
        return {}
    async with deps.db.transaction() as session:
        result = await reminders.queue_due(session, deps.workspace, deps.settings,
                                           deps.clock.now())
    if any(fan_out.queued for fan_out in result.values()):  # nothing queued is not news
        log.info("reminders queued: %s", {k: v.queued for k, v in result.items()})
    return result


# --- how the reminder messages look (rendered at send time, in the recipient's language) ---

def _countdown(t: Translator, payload: Countdown, *, day_key: str,
               key: str, **extra: Any) -> str:
    vdate, left = payload.verification_date, payload.days_left
    if left == 0:
        return t(day_key, vdate=vdate, **extra)
    return t(key, countdown=t.countdown(left), vdate=vdate, **extra)


def _field(value: Any) -> str:
    return shorten(str(value), LINE_FIELD_WIDTH)


def render_digest(payload: Digest, t: Translator) -> Rendered:
    """A member's open tasks, the countdown, and a button per task to send its evidence; as
    many tasks as fit one message, then "… dan N lainnya"."""
    tasks = payload.tasks
    head = [_countdown(t, payload, day_key="reminders.countdown_day", key="reminders.countdown"),
            why_line(t, digest_reason(payload)),
            "", t("reminders.digest_intro", count=len(tasks) + payload.more)]
    items = [t("reminders.task_line_overdue" if task.overdue else "reminders.task_line",
               code=task.code, title=_field(task.title), due=task.due,
               left=t.due(days_left(payload.day, task.due)),
               points=task.points) for task in tasks]
    tail = ["", t("reminders.digest_hint_one" if len(tasks) == 1
                  else "reminders.digest_hint_many")]
    text, shown = fit_list(head, items, tail, lambda n: t("reminders.more", count=n),
                           hidden=payload.more)
    buttons = [[(t("reminders.send_button", code=task.code), send_data(task.id))]
               for task in tasks[:shown]]
    return Rendered(text, buttons=buttons)


def render_escalation(payload: Escalation, t: Translator) -> Rendered:
    """A coordinator's overdue tasks, one line each, with who is responsible; as many as fit
    one message, then "… dan N lainnya" and where the full list is."""
    tasks = payload.tasks
    head = [t("reminders.escalation_title", count=len(tasks) + payload.more),
            *([why_line(t, payload.why)] if payload.why else [])]
    items = [t("reminders.escalation_line_submitted" if task.state == "submitted"
               else "reminders.escalation_line", code=task.code, cluster=task.cluster,
               title=_field(task.title), assignee=_field(task.assignee),
               agency=_field(task.agency), due=task.due, days=task.days,
               points=task.points) for task in tasks]
    commands = " · ".join(f"/status {code}" for code in sorted({task.cluster for task in tasks}))
    text, _ = fit_list(head, items, ["", t("reminders.escalation_hint")],
                       lambda n: t("reminders.escalation_more", count=n, commands=commands),
                       hidden=payload.more)
    return Rendered(text)


def _late_at(payload: Brief) -> datetime | None:
    if payload.late_at is None or payload.timezone is None:
        return None
    try:
        return payload.late_at.astimezone(ZoneInfo(payload.timezone))
    except (ValueError, ZoneInfoNotFoundError):
        return None


def render_brief(payload: Brief, t: Translator) -> Rendered:
    """The morning brief: countdown, projected score against the target, tasks by state."""
    taken_at = _late_at(payload)  # caught up long after its slot: when the figures were taken
    late = "_late" if taken_at else ""
    lines = [
        _countdown(t, payload, day_key=f"reminders.brief_title_day{late}",
                   key=f"reminders.brief_title{late}", time=taken_at),
        t("reminders.brief_score", projected=payload.projected, target=payload.target,
          predicate=payload.predicate, needed=payload.needed),
        t("reminders.brief_tasks", open=payload.open, submitted=payload.submitted,
          approved=payload.approved, overdue=payload.overdue),
        t("reminders.brief_hint")]
    return Rendered("\n".join(lines))


def render_lastcall(payload: LastCall, t: Translator) -> Rendered:
    """The verification-day last call: what is still open or waiting for review."""
    return Rendered("\n".join([
        t("reminders.lastcall_title", vdate=payload.verification_date),
        t("reminders.lastcall_body", open=payload.open, open_points=payload.open_points,
          submitted=payload.submitted),
        t("reminders.lastcall_hint")]))


def render_unreachable(payload: MemberUnreachable, t: Translator) -> Rendered:
    """Tell a coordinator that a member blocked the bot (or never opened it)."""
    reason_key = f"reminders.reason_{payload.reason}"
    reason = t(reason_key if t.has(reason_key) else "reminders.reason_forbidden")
    return Rendered(t("reminders.unreachable", name=_field(payload.member_name),
                      agency=_field(payload.agency), reason=reason, since=payload.since,
                      open=payload.open_tasks))


FEATURE = Feature(
    name="remind",
    commands=(Command("ingatkan", "remind", remind, "menu.ingatkan",
                      roles=frozenset({Role.COORDINATOR, Role.SECRETARIAT})),),
    renderers=dict([
        renders(Digest, render_digest),
        renders(Escalation, render_escalation),
        renders(Brief, render_brief),
        renders(LastCall, render_lastcall),
        renders(MemberUnreachable, render_unreachable),
    ]),
    jobs=(Job("reminders:daily", queue_due_now, daily_at=scheduler.slots, catch_up=True),)
)
