"""``/status`` and ``/status K3``: where the regency stands, as text and as a chart; for a
province's officer ``/status`` lists their province's regencies and ``/status NAMA`` (or the
"Buka" button) opens one of them."""

from __future__ import annotations

from dataclasses import dataclass, replace

from handlers.buttons import id_after
from handlers.coordination import look
from handlers.group import status_in_group
from handlers.registry import Command, Feature, Press
from kla_bot.clock import days_left
from kla_bot.conversation.replies import Attachment, Reply, SentFile
from kla_bot.conversation.turn import Turn
from kla_bot.deps import Deps
from kla_bot.domain import Role
from kla_bot.i18n import Translator
from kla_bot.services.access import Session, Viewer
from kla_bot.services.province_status import (
    Province,
    RegencySummary,
    officer_scope,
    province_of,
    regency_named,
    regency_with_id,
    summaries,
)
from kla_bot.services.regencies import RegencyProfile
from kla_bot.services.status import ClusterDetail
from kla_bot.services.status_view import StatusView, cluster_for, status_for, view_in_scope
from kla_bot.status_charts import ChartRequest
from kla_bot.text_fit import LINE_FIELD_WIDTH, label, shorten, split_text

STATE_ICONS = {"open": "⬜", "submitted": "🟡", "approved": "✅"}
OPEN_REGENCY = "prov:open:"  # + regency id: a province's officer opens one regency


def status_texts(view: StatusView, t: Translator, *, detail_hint: bool = True) -> list[str]:
    """The headline, score line, cluster lines and the members most behind (and how to see
    a cluster task by task, unless ``detail_hint`` is off)."""
    r, s, mine = view.headline, view.headline.score, view.totals
    lines = [t("status.title", regency=view.regency, days=t.countdown(r.days_left),
               date=r.verification_date)]
    if r.days_left < 0:
        lines.append(t("status.verification_passed", date=r.verification_date))
    lines += [t("status.score", last=s.last, predicate=s.target_predicate, target=s.target,
                gap=s.gap),
              t("status.projection_reached", projected=s.projected, predicate=s.target_predicate)
              if s.reached else t("status.projection", projected=s.projected,
                                  needed=s.still_needed), ""]
    # The score above is the regency's; every number below is of the viewer's clusters.
    if view.scope.clusters is not None:
        lines.append(t("status.scope", clusters=", ".join(sorted(view.scope.clusters)) or "-"))
    lines += [
        t("status.points", approved=mine.approved_points, submitted=mine.submitted_points,
          open=mine.open_points),
        t("status.tasks", **vars(mine.counts)),
        "", t("status.clusters_header")]
    for c in view.clusters:
        tot = c.totals
        line = t("status.cluster_line", code=c.code, name=c.name if t.lang == "id" else c.name_en,
                 approved=tot.counts.approved, submitted=tot.counts.submitted,
                 open=tot.counts.open, approved_points=tot.approved_points, points=tot.points)
        if tot.counts.overdue:
            line += t("status.cluster_overdue", overdue=tot.counts.overdue)
        lines.append(line)
    lines += ["", t("status.behind_header")]
    lines += [t("status.behind_line", name=shorten(m.name, LINE_FIELD_WIDTH),
                agency=shorten(m.agency, LINE_FIELD_WIDTH), overdue=m.counts.overdue,
                open=m.counts.open) for m in view.behind] or [t("status.nobody_behind")]
    if detail_hint:
        lines += ["", t("status.detail_hint")]
    return split_text("\n".join(lines))


def detail_texts(detail: ClusterDetail, days_left: int, t: Translator) -> list[str]:
    """One cluster task by task, split into messages within Telegram's limit."""
    c, tot = detail.cluster, detail.cluster.totals
    head = [t("status.detail_title", code=c.code, name=c.name if t.lang == "id" else c.name_en,
              days=t.countdown(days_left)),
            t("status.detail_summary", **vars(tot.counts), approved_points=tot.approved_points,
              points=tot.points), ""]
    lines = [t("status.detail_line", icon=STATE_ICONS.get(x.state, "•"), task=x.code,
               indicator=x.indicator, title=shorten(x.title, LINE_FIELD_WIDTH),
               points=x.points, assignee=shorten(x.assignee_name, LINE_FIELD_WIDTH),
               due=x.due, late=t("status.detail_late") if x.overdue else "")
             for x in detail.tasks] or [t("status.detail_empty")]
    return split_text("\n".join([*head, *lines]))


@dataclass(frozen=True)
class Opened:
    """A regency a province's officer opened: its dependencies and its whole status."""

    here: Deps
    view: StatusView


@dataclass(frozen=True)
class ProvinceAnswer:
    province: Province
    regencies: list[RegencySummary]


async def status(turn: Turn) -> None:
    """Send the status text and its chart, or one cluster task by task; to a province's
    officer, their regencies one line each, or the regency they name in full."""
    deps = turn.deps
    now = deps.clock.now()
    profiles = await deps.regencies.profiles()

    async def work(session: Session, member: Viewer,
                   ) -> StatusView | ClusterDetail | Opened | ProvinceAnswer:
        if member.role == Role.PROVINCE:
            province = province_of(member, profiles)
            if turn.args:
                return await _open(session, deps, member,
                                   regency_named(province, " ".join(turn.args)))
            return ProvinceAnswer(province, await summaries(session, province, now))
        if turn.args:
            return await cluster_for(session, deps.workspace, deps.settings, member, now,
                                     turn.args[0])
        return await status_for(session, deps.workspace, deps.settings, member, now)

    answer, t = await look(turn, work)
    if answer is None:
        return
    if isinstance(answer, ClusterDetail):
        left = days_left(now.astimezone(deps.settings.tz).date(),
                         deps.workspace.verification_date)
        for text in detail_texts(answer, left, t):
            await turn.reply(text)
    elif isinstance(answer, ProvinceAnswer):
        await _send_province(turn, answer, t)
    elif isinstance(answer, Opened):
        await _send_status(replace(turn, deps=answer.here), answer.view, t, detail_hint=False)
    else:
        await _send_status(turn, answer, t)


async def open_pressed(turn: Turn) -> None:
    """"Buka <nama>": the regency's whole status, for a province's officer."""
    regency_id = id_after(turn, OPEN_REGENCY)
    if regency_id is None:
        await turn.ack()
        return
    deps = turn.deps
    profiles = await deps.regencies.profiles()

    async def work(session: Session, member: Viewer) -> Opened:
        return await _open(session, deps, member,
                           regency_with_id(province_of(member, profiles), regency_id))

    opened, t = await look(turn, work)
    if opened is None:
        return
    await turn.ack()
    await _send_status(replace(turn, deps=opened.here), opened.view, t, detail_hint=False)


async def _open(session: Session, deps: Deps, member: Viewer,
                profile: RegencyProfile) -> Opened:
    here = deps.in_regency(profile)
    view = await view_in_scope(session, here.workspace, here.settings, officer_scope(member),
                               deps.clock.now())
    return Opened(here, view)


async def _send_status(turn: Turn, view: StatusView, t: Translator, *,
                       detail_hint: bool = True) -> None:
    for text in status_texts(view, t, detail_hint=detail_hint):  # the text never waits
        await turn.reply(text)
    await _send_chart(turn, view, t)


def province_texts(answer: ProvinceAnswer, t: Translator) -> list[str]:
    """The province's regencies, one line each, split within Telegram's limit."""
    lines = [t("province.title", province=answer.province.name,
               count=len(answer.regencies)), t("province.legend"), ""]
    for r in answer.regencies:
        s, n = r.score, r.tasks
        line = t("province.line", name=shorten(r.name, LINE_FIELD_WIDTH),
                 days=t.countdown(r.days_left), projected=s.projected,
                 predicate=s.target_predicate, target=s.target, approved=n.approved,
                 submitted=n.submitted, open=n.open)
        if n.overdue:
            line += t("province.line_overdue", overdue=n.overdue)
        if s.reached:
            line += t("province.line_reached")
        lines.append(line)
    if not answer.regencies:
        lines.append(t("province.none"))
    lines += ["", t("province.open_hint")]
    return split_text("\n".join(lines))


async def _send_province(turn: Turn, answer: ProvinceAnswer, t: Translator) -> None:
    texts = province_texts(answer, t)
    buttons = [[(label(t("province.button_open", name=r.name)), f"{OPEN_REGENCY}{r.regency_id}")]
               for r in answer.regencies]
    for text in texts[:-1]:
        await turn.reply(text)
    await turn.reply(texts[-1], buttons)


async def _send_chart(turn: Turn, view: StatusView, t: Translator) -> None:
    """The chart, from the cache when nothing it shows changed (then Telegram gets it by the
    file id of the first send: no render, no upload), else rendered in the chart process."""
    r, charts = view.headline, turn.deps.charts
    clusters = view.scope.clusters
    key = (turn.deps.workspace.regency_id,
           tuple(sorted(clusters)) if clusters is not None else None, t.lang)
    chart = await charts.chart(key, ChartRequest(
        t.lang, view.regency, r.days_left, r.verification_date, r.score, view.clusters))
    caption = t("status.chart_caption", regency=shorten(view.regency, LINE_FIELD_WIDTH),
                days=t.countdown(r.days_left))
    sent = SentFile()
    await turn.port.send(turn.place, Reply(caption, attachment=Attachment(
        "status.png", data=chart.png, photo=True, telegram_file_id=chart.telegram_file_id,
        sent=sent)))
    if chart.telegram_file_id is None:  # the first send: Telegram now knows the picture
        chart.telegram_file_id = sent.telegram_file_id


async def _stop_charts(deps: Deps) -> None:
    deps.charts.close()


FEATURE = Feature(
    name="status",
    commands=(Command("status", None, status, "menu.status",
                      roles=frozenset({Role.COORDINATOR, Role.SECRETARIAT, Role.PROVINCE}),
                      private=True, in_group=status_in_group),),
    presses=(Press(OPEN_REGENCY, open_pressed),),
    on_stop=_stop_charts,
)
