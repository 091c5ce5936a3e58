"""Hari H: ``/harih`` (``/dday``) the live checklist and the mode switch, ``/cari`` (``/find``)
the approved files at once, ``/butuh`` (``/need``) a call for a missing item, the minute job
that repeats calls and sends the post-day report, and how those messages look."""

from __future__ import annotations

import logging
from datetime import timedelta, tzinfo

from handlers.buttons import id_after
from handlers.coordination import act
from handlers.registry import Command, Feature, Job, Press, Rendered, renders
from kla_bot.conversation.replies import Attachment, Reply
from kla_bot.conversation.turn import Turn
from kla_bot.deps import Deps
from kla_bot.domain import Role
from kla_bot.i18n import Translator
from kla_bot.models import Member
from kla_bot.services import hari_h, hari_h_find, hari_h_need
from kla_bot.services.access import Session
from kla_bot.services.hari_h import Checklist
from kla_bot.services.hari_h_find import Found, Shown
from kla_bot.services.outbox_kinds import HariHReport, UrgentAnswered, UrgentCall, UrgentChase
from kla_bot.storage import evidence_path
from kla_bot.text_fit import CAPTION_LIMIT, LINE_FIELD_WIDTH, fits, label, shorten, split_text

log = logging.getLogger(__name__)

OVERSEERS = frozenset({Role.COORDINATOR, Role.SECRETARIAT})
START_WORDS = {"mulai", "start", "on"}
STOP_WORDS = {"selesai", "stop", "off"}
PICK = "cari:"
TICK_EVERY = timedelta(minutes=1)


# --- /harih: the checklist, and the switch ---

async def harih(turn: Turn) -> None:
    """The live checklist per cluster and indicator; ``mulai``/``selesai`` switch the mode."""
    deps = turn.deps
    now = deps.clock.now()
    word = turn.args[0].lower() if turn.args else ""
    if word in START_WORDS | STOP_WORDS:
        await _switch(turn, on=word in START_WORDS)
        return

    async def work(session: Session, member: Member) -> Checklist:
        return await hari_h.checklist(session, deps.workspace, deps.settings, member, now)

    checklist, t = await act(turn, work)
    if checklist is None:
        return
    for text in checklist_texts(checklist, t, deps.settings.tz):
        await turn.reply(text)


async def _switch(turn: Turn, *, on: bool) -> None:
    deps = turn.deps
    now = deps.clock.now()

    async def work(session: Session, member: Member) -> bool:
        return await hari_h.switch(session, deps.workspace, deps.settings, member, on=on,
                                   now=now)

    active, t = await act(turn, work)
    if active is None:
        return
    await turn.reply(t("hari_h.switched_on" if active else "hari_h.switched_off"))


def _codes(codes: list[str]) -> str:
    return shorten(", ".join(codes), LINE_FIELD_WIDTH)


def checklist_texts(checklist: Checklist, t: Translator, tz: tzinfo) -> list[str]:
    """Head (mode on or off, and when), then per cluster its counts and per indicator the
    task codes by state; split to fit Telegram's limit."""
    start = checklist.window_start.astimezone(tz)
    lines = [t("hari_h.title_on") if checklist.on
             else t("hari_h.title_off", start=start.date(), time=start)]
    if not checklist.clusters:
        lines.append(t("hari_h.nothing"))
    for cluster in checklist.clusters:
        lines += ["", t("hari_h.cluster", code=cluster.code,
                        approved=cluster.count("approved"), waiting=cluster.count("waiting"),
                        missing=cluster.count("missing"))]
        for ind in cluster.indicators:
            parts = []
            if ind.approved:
                parts.append(t("hari_h.approved", codes=_codes(ind.approved)))
            if ind.waiting:
                parts.append(t("hari_h.waiting", codes=_codes(ind.waiting)))
            if ind.missing:
                parts.append(t("hari_h.missing", codes=_codes(ind.missing)))
            lines.append(t("hari_h.indicator", number=ind.number,
                           name=shorten(ind.name, 40), parts=" · ".join(parts)))
    lines += ["", t("hari_h.hint")]
    return split_text("\n".join(lines))


# --- /cari: find it now ---

async def find(turn: Turn) -> None:
    """The approved files of an indicator or task, each with its index line; several
    matching tasks come back as choices."""
    deps = turn.deps
    query = " ".join(turn.args)
    now = deps.clock.now()

    async def work(session: Session, member: Member) -> Found:
        return await hari_h_find.find(session, deps.workspace, member, query, now)

    found, t = await act(turn, work)
    if found is None:
        return
    if found.choices:
        await turn.reply(t("hari_h.find_choose", query=query, count=len(found.choices)),
                         [[(label(f"{code} — {title}"), f"{PICK}{task_id}")]
                          for task_id, code, title in found.choices])
        return
    await _send_found(turn, found, t, query)


async def on_pick(turn: Turn) -> None:
    """A task chosen among several matches: its approved files."""
    deps = turn.deps
    picked = id_after(turn, PICK)
    task_id = -1 if picked is None else picked

    async def work(session: Session, member: Member) -> Found:
        return await hari_h_find.pick(session, deps.workspace, member, task_id)

    found, t = await act(turn, work)
    if found is None:
        return
    await turn.ack()
    await _send_found(turn, found, t, "")


def index_line(shown: Shown, t: Translator) -> str:
    """``Indikator 17 — <name> · K3-17a <title> · disetujui <date> oleh <reviewer>``."""
    return t("hari_h.index_line", number=shown.indicator,
             name=shorten(shown.indicator_name, 80), task=shown.task_code,
             title=shorten(shown.task_title, 200),
             date=shown.approved_at.date() if shown.approved_at else "-",
             reviewer=shorten(shown.reviewer, 60))


async def _send_found(turn: Turn, found: Found, t: Translator, query: str) -> None:
    if not found.files and not found.not_ready:
        await turn.reply(t("hari_h.find_none", query=query))
        return
    for shown in found.files:
        caption = index_line(shown, t)
        if not fits(caption, CAPTION_LIMIT):
            caption = shorten(caption, CAPTION_LIMIT - 10)
        attachment = Attachment(shown.file_name, evidence_path(turn.deps.storage_dir,
                                                               shown.storage_key),
                                telegram_file_id=shown.file_id, telegram_kind=shown.file_kind)
        try:
            await turn.port.send(turn.place, Reply(caption, attachment=attachment))
        except FileNotFoundError:
            await turn.reply(caption + "\n" + t("hari_h.file_missing"))
    if found.not_ready:
        lines = [t("hari_h.not_ready_line", task=code, state=t(f"report.state.{state}"))
                 for code, state in found.not_ready]
        await turn.reply("\n".join([t("hari_h.not_ready_head"), *lines,
                                    t("hari_h.not_ready_hint")]))


# --- /butuh: need it now ---

async def need(turn: Turn) -> None:
    """Call for a missing item now: urgent to its owner, repeated until it arrives."""
    deps = turn.deps
    now = deps.clock.now()
    if not turn.args:
        await turn.reply((await turn.translator())("hari_h.need_usage"))
        return

    async def work(session: Session, member: Member) -> hari_h_need.Called:
        return await hari_h_need.need(session, deps.workspace, member, turn.args[0], now)

    called, t = await act(turn, work)
    if called is None:
        return
    key = "hari_h.need_already" if called.already else "hari_h.need_sent"
    await turn.reply(t(key, task=called.task_code, title=shorten(called.task_title, 120),
                       owner=called.owner, coordinators=called.coordinators,
                       minutes=int(hari_h_need.REPEAT_EVERY.total_seconds() // 60)))


# --- the job ---

async def tick_now(deps: Deps) -> hari_h_need.Ticked:
    """Repeat due calls, close answered ones, queue the report when due (idempotent)."""
    async with deps.db.transaction() as session:
        result = await hari_h_need.tick(session, deps.workspace, deps.settings,
                                        deps.clock.now())
    if result.repeated or result.answered or result.reports:
        log.info("hari H: %d call(s) repeated, %d answered, %d report(s) queued",
                 result.repeated, result.answered, result.reports)
    return result


# --- how the messages look ---

def render_call(payload: UrgentCall, t: Translator) -> Rendered:
    """The owner's urgent request (a reply to it files the evidence under the task)."""
    key = "hari_h.call" if payload.call == 1 else "hari_h.call_again"
    return Rendered(t(key, task=payload.task_code, title=shorten(payload.task_title, 300),
                      indicator=shorten(payload.indicator, 120), by=payload.requested_by,
                      call=payload.call))


def render_chase(payload: UrgentChase, t: Translator) -> Rendered:
    return Rendered(t("hari_h.chase", task=payload.task_code,
                      title=shorten(payload.task_title, 300), owner=payload.owner_name,
                      by=payload.requested_by))


def render_answered(payload: UrgentAnswered, t: Translator) -> Rendered:
    return Rendered(t("hari_h.answered", task=payload.task_code,
                      title=shorten(payload.task_title, 300), who=payload.answered_by,
                      minutes=payload.minutes, file=shorten(payload.file_name, 120)))


def render_report(payload: HariHReport, t: Translator) -> Rendered:
    """The post-day report: lookups, calls with who answered and how fast, what is missing."""
    answered = [c for c in payload.calls if c.minutes is not None]
    lines = [t("hari_h.report_title", vdate=payload.verification_date),
             t("hari_h.report_lookups", lookups=payload.lookups, found=payload.found),
             t("hari_h.report_calls", calls=len(payload.calls), answered=len(answered))]
    if answered:
        minutes = sorted(c.minutes for c in answered if c.minutes is not None)
        lines.append(t("hari_h.report_times", median=minutes[len(minutes) // 2],
                       longest=minutes[-1]))
    for call in payload.calls[:20]:
        lines.append(t("hari_h.report_call_line", task=call.task_code, who=call.answered_by,
                       minutes=call.minutes) if call.minutes is not None
                     else t("hari_h.report_call_open", task=call.task_code))
    lines.append(t("hari_h.report_missing", count=payload.missing,
                   codes=", ".join(payload.missing_codes) or "-"))
    lines.append(t("hari_h.report_hint"))
    text = "\n".join(lines)
    return Rendered(text if fits(text) else split_text(text)[0])


FEATURE = Feature(
    name="hari_h",
    commands=(
        Command("harih", "dday", harih, "hari_h.menu_harih", roles=OVERSEERS),
        Command("cari", "find", find, "hari_h.menu_cari", roles=OVERSEERS, private=True),
        Command("butuh", "need", need, "hari_h.menu_butuh",
                roles=frozenset({Role.SECRETARIAT})),
    ),
    presses=(Press(PICK, on_pick),),
    renderers=dict([
        renders(UrgentCall, render_call),
        renders(UrgentChase, render_chase),
        renders(UrgentAnswered, render_answered),
        renders(HariHReport, render_report),
    ]),
    jobs=(Job("hari_h:tick", tick_now, every=TICK_EVERY),),
)
