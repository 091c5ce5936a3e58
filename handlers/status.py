"""``/status`` and ``/status K3``: where the regency stands, as text and as a chart."""

from __future__ import annotations

from handlers.coordination import act
from handlers.group import status_in_group
from handlers.registry import Command, Feature
from kla_bot.clock import days_left
from kla_bot.conversation.replies import Attachment, Reply, SentFile
from kla_bot.conversation.turn import Turn
from kla_bot.deps import Deps
from kla_bot.domain import Role
from kla_bot.i18n import Translator
from kla_bot.models import Member
from kla_bot.services.access import Session
from kla_bot.services.status import ClusterDetail
from kla_bot.services.status_view import StatusView, cluster_for, status_for
from kla_bot.status_charts import ChartRequest
from kla_bot.text_fit import LINE_FIELD_WIDTH, shorten, split_text

STATE_ICONS = {"open": "⬜", "submitted": "🟡", "approved": "✅"}


def status_texts(view: StatusView, t: Translator) -> list[str]:
    """The headline, score line, cluster lines and the members most behind."""
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


async def status(turn: Turn) -> None:
    """Send the status text and its chart, or one cluster task by task."""
    deps = turn.deps
    now = deps.clock.now()
    if turn.args:
        await _cluster(turn, turn.args[0])
        return

    async def work(session: Session, member: Member) -> StatusView:
        return await status_for(session, deps.workspace, deps.settings, member, now)

    view, t = await act(turn, work)
    if view is None:
        return
    for text in status_texts(view, t):  # the text first: it never waits for the picture
        await turn.reply(text)
    await _send_chart(turn, view, t)


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


async def _cluster(turn: Turn, code: str) -> None:
    deps = turn.deps
    now = deps.clock.now()

    async def work(session: Session, member: Member) -> ClusterDetail:
        return await cluster_for(session, deps.workspace, deps.settings, member, now, code)

    detail, t = await act(turn, work)
    if detail is None:
        return
    left = days_left(now.astimezone(deps.settings.tz).date(), deps.workspace.verification_date)
    for text in detail_texts(detail, left, t):
        await turn.reply(text)


FEATURE = Feature(
    name="status",
    commands=(Command("status", None, status, "menu.status",
                      roles=frozenset({Role.COORDINATOR, Role.SECRETARIAT}), private=True,
                      in_group=status_in_group),),
    on_stop=_stop_charts,
)
