"""``python bot.py status``: the status report as a plain-text table (at most 100 columns)."""

from __future__ import annotations

from decimal import Decimal

from kla_bot.services.status_model import MemberStatus, StatusReport, TaskCounts

WIDTH = 100


def points_text(value: Decimal) -> str:
    """``23.50`` → ``23.5``, ``5.00`` → ``5``."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _counts(c: TaskCounts) -> str:
    return f"{c.total:>6}{c.open:>6}{c.submitted:>6}{c.approved:>6}{c.overdue:>6}"


def render_status(report: StatusReport) -> str:
    """Headline, clusters, members (most behind first) and evidence, as fixed-width text."""
    s = report.score
    lines = [
        f"{report.regency} · verification {report.verification_date.isoformat()} "
        f"({report.timezone})",
        f"Today {report.today.isoformat()} · {_days(report.days_left)}",
        f"Score: last {points_text(s.last)} · target {s.target_predicate} {s.target} · "
        f"gap {points_text(s.gap)}",
        f"Points: approved {points_text(s.approved_points)} · submitted "
        f"{points_text(s.submitted_points)} · open {points_text(s.open_points)} · projected "
        f"{points_text(s.projected)} · still needed {points_text(s.still_needed)}",
        "",
        f"{'Cluster':<44}{'Tasks':>6}{'Open':>6}{'Subm':>6}{'Appr':>6}{'Late':>6}"
        f"{'Points':>9}{'Approved':>10}",
    ]
    for c in report.clusters:
        t = c.totals
        lines.append(f"{c.code:<4}{_fit(c.name, 40):<40}{_counts(t.counts)}"
                     f"{points_text(t.points):>9}{points_text(t.approved_points):>10}")
    total_points = s.approved_points + s.submitted_points + s.open_points
    lines.append(f"{'    All clusters':<44}{_counts(report.tasks)}"
                 f"{points_text(total_points):>9}{points_text(s.approved_points):>10}")
    lines += ["", f"Members ({len(report.members)}, most overdue first)",
              f"{'Name':<24} {'Agency':<22} {'Phone':<15} {'Role':<11} {'Chat':<7}"
              f"{'Open':>5}{'Late':>5}"]
    behind = sorted(report.members, key=lambda m: (-m.counts.overdue, -m.counts.open, m.name))
    lines += [f"{_fit(m.name, 24):<24} {_fit(m.agency, 22):<22} {m.phone:<15} {m.role:<11} "
              f"{_chat(m):<7}{m.counts.open:>5}{m.counts.overdue:>5}" for m in behind]
    lines += ["", f"Evidence ({len(report.evidence)} files)"]
    if report.evidence:
        lines.append(f"{'Task':<12} {'State':<10} {'Bytes':>9} {'Type':<19} {'Uploaded by':<15} "
                     f"{'Uploaded at (UTC)':<20} {'SHA-256':<8}")
        lines += [f"{_fit(e.task, 12):<12} {e.state:<10} {e.bytes:>9} {_fit(e.mime, 19):<19} "
                  f"{e.uploaded_by:<15} {e.to_json()['uploaded_at']:<20} {e.sha256[:8]}"
                  for e in report.evidence]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _days(days_left: int) -> str:
    if days_left > 1:
        return f"{days_left} days left"
    if days_left == 1:
        return "1 day left"
    if days_left == 0:
        return "verification is today"
    return f"verification was {-days_left} days ago"


def _chat(m: MemberStatus) -> str:
    """``yes`` registered, ``no`` never pressed Start, ``blocked`` cannot be reached."""
    if not m.registered:
        return "no"
    return "yes" if m.reachable else "blocked"
