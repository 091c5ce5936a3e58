"""``python bot.py status``: the status report as a plain-text table (at most 100 columns).

Every word comes from the ``cli.status`` catalog texts, in the operator's language; a column is
as wide as its widest heading needs, so both languages keep the table within 100 columns.
"""

from __future__ import annotations

from collections.abc import Sequence

from kla_bot.i18n import Translator
from kla_bot.services.status_model import MemberStatus, StatusReport, TaskCounts

COUNTS = ("tasks", "open", "submitted", "approved", "late")


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _row(cells: Sequence[tuple[str, int, bool]], gap: str = "") -> str:
    """Cells of (text, width, right-aligned) side by side."""
    return gap.join(f"{_fit(text, width):>{width}}" if right else f"{_fit(text, width):<{width}}"
                    for text, width, right in cells)


def render_status(report: StatusReport, t: Translator) -> str:
    """Headline, clusters, members (most behind first) and evidence, as fixed-width text."""
    return "\n".join(line.rstrip() for line in [
        *_headline(report, t), "", *_clusters(report, t), "", *_members(report, t), "",
        *_evidence(report, t)]) + "\n"


def _headline(report: StatusReport, t: Translator) -> list[str]:
    s = report.score
    passed = [t.plain("cli.status.verification_date_passed",
                      date=report.verification_date.isoformat())] if report.days_left < 0 else []
    return [
        *passed,
        t.plain("cli.status.headline", regency=report.regency,
                date=report.verification_date.isoformat(), timezone=report.timezone),
        t.plain("cli.status.today", today=report.today.isoformat(),
                days=t.countdown_plain(report.days_left)),
        t.plain("cli.status.score", last=s.last, predicate=s.target_predicate, target=s.target,
                gap=s.gap),
        t.plain("cli.status.points", approved=s.approved_points, submitted=s.submitted_points,
                open=s.open_points, projected=s.projected, needed=s.still_needed),
    ]


def _clusters(report: StatusReport, t: Translator) -> list[str]:
    heads = [t.plain(f"cli.status.column.{name}") for name in COUNTS]
    widths = [max(6, len(head) + 1) for head in heads]
    points_head = t.plain("cli.status.column.points")
    approved_head = t.plain("cli.status.column.approved_points")
    points_w, approved_w = max(9, len(points_head) + 1), max(10, len(approved_head) + 1)

    def counts(c: TaskCounts) -> list[tuple[str, int, bool]]:
        values = (c.total, c.open, c.submitted, c.approved, c.overdue)
        return [(str(v), w, True) for v, w in zip(values, widths, strict=True)]

    lines = [_row([(t.plain("cli.status.column.cluster"), 44, False),
                   *zip(heads, widths, [True] * len(heads), strict=True),
                   (points_head, points_w, True), (approved_head, approved_w, True)])]
    for c in report.clusters:
        tot = c.totals
        lines.append(_row([(c.code, 4, False), (c.name, 40, False), *counts(tot.counts),
                           (t.num(tot.points), points_w, True),
                           (t.num(tot.approved_points), approved_w, True)]))
    s = report.score
    lines.append(_row([("    " + t.plain("cli.status.all_clusters"), 44, False),
                       *counts(report.tasks),
                       (t.num(s.approved_points + s.submitted_points + s.open_points),
                        points_w, True),
                       (t.num(s.approved_points), approved_w, True)]))
    return lines


def _members(report: StatusReport, t: Translator) -> list[str]:
    roles = {m.role: t.plain(f"cli.status.role.{m.role}") for m in report.members}
    chats = {key: t.plain(f"cli.status.chat.{key}") for key in ("yes", "no", "blocked")}
    open_head, late_head = t.plain("cli.status.column.open"), t.plain("cli.status.column.late")
    role_w = max([11, *(len(r) for r in roles.values())])
    chat_w = max(7, *(len(c) + 1 for c in chats.values()))
    open_w, late_w = max(5, len(open_head) + 1), max(5, len(late_head) + 1)
    lines = [t.plain("cli.status.members", count=len(report.members)),
             _row([(t.plain("cli.status.column.name"), 24, False),
                   (t.plain("cli.status.column.agency"), 22, False),
                   (t.plain("cli.status.column.phone"), 15, False),
                   (t.plain("cli.status.column.role"), role_w, False)], " ") + " "
             + _row([(t.plain("cli.status.column.chat"), chat_w, False),
                     (open_head, open_w, True), (late_head, late_w, True)])]
    behind = sorted(report.members, key=lambda m: (-m.counts.overdue, -m.counts.open, m.name))
    lines += [_row([(m.name, 24, False), (m.agency, 22, False), (m.phone, 15, False),
                    (roles[m.role], role_w, False)], " ") + " "
              + _row([(chats[_chat(m)], chat_w, False), (str(m.counts.open), open_w, True),
                      (str(m.counts.overdue), late_w, True)])
              for m in behind]
    return lines


def _evidence(report: StatusReport, t: Translator) -> list[str]:
    lines = [t.plain("cli.status.evidence", count=len(report.evidence))]
    if not report.evidence:
        return lines
    widths = (12, 10, 9, 19, 15, 20, 8)
    names = ("task", "state", "bytes", "type", "uploaded_by", "uploaded_at", "sha256")
    lines.append(_row([(t.plain(f"cli.status.column.{name}"), w, name == "bytes")
                       for name, w in zip(names, widths, strict=True)], " "))
    lines += [_row([(e.task, 12, False), (t.plain(f"cli.status.evidence_state.{e.state}"), 10,
                                          False),
                    (str(e.bytes), 9, True), (e.mime, 19, False), (e.uploaded_by, 15, False),
                    (str(e.to_json()["uploaded_at"]), 20, False), (e.sha256[:8], 8, False)], " ")
              for e in report.evidence]
    return lines


def _chat(m: MemberStatus) -> str:
    """``yes`` registered, ``no`` never pressed Start, ``blocked`` cannot be reached."""
    if not m.registered:
        return "no"
    return "yes" if m.reachable else "blocked"
