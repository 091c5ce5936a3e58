"""The ``/status`` picture: points secured against the gap, per-cluster progress, days left.

Drawn with matplotlib's object API on the Agg backend (no display, safe in a worker thread)
as a 1080 px wide PNG, the width of a phone screen, with text sized to be read there.
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from kla_bot.i18n import Translator
from kla_bot.services.status_model import ClusterStatus, Score

WIDTH_IN, HEIGHT_IN, DPI = 7.2, 9.6, 150  # 1080 x 1440 px
APPROVED, SUBMITTED, OPEN, TARGET, LATE = "#2e7d32", "#f9a825", "#cfd8dc", "#c62828", "#c62828"


def _text(t: Translator, key: str, **params: Any) -> str:
    # Catalog texts are HTML-escaped for Telegram; the chart wants them plain.
    return html.unescape(t(key, **params))


def _f(value: Decimal) -> float:
    return float(value)


def render_status_chart(*, regency: str, days_left: int, verification_date: Any,
                        score: Score, clusters: Sequence[ClusterStatus],
                        t: Translator) -> bytes:
    """The PNG bytes of the status chart, labelled in the reader's language."""
    from matplotlib.figure import Figure  # imported late: it takes a while, and only here

    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, facecolor="white")
    grid = fig.add_gridspec(2, 1, height_ratios=[1, max(2.2, 0.62 * len(clusters) + 0.6)],
                            left=0.2, right=0.96, top=0.86, bottom=0.07, hspace=0.42)
    fig.text(0.04, 0.965, _text(t, "status.chart.title", regency=regency), fontsize=15,
             fontweight="bold", va="top")
    fig.text(0.04, 0.925, _text(t, "status.chart.subtitle", date=verification_date),
             fontsize=11, va="top", color="#455a64")
    fig.text(0.96, 0.965, html.unescape(t.countdown(days_left)), fontsize=24,
             fontweight="bold", va="top", ha="right", color=TARGET if days_left <= 3 else "#1565c0")
    _score_panel(fig.add_subplot(grid[0]), score, t)
    _cluster_panel(fig.add_subplot(grid[1]), clusters, t)
    handles = [_patch(APPROVED), _patch(SUBMITTED), _patch(OPEN)]
    fig.legend(handles, [_text(t, "status.chart.approved"), _text(t, "status.chart.submitted"),
                         _text(t, "status.chart.open")],
               loc="lower center", ncol=3, fontsize=10, frameon=False)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _patch(color: str) -> Any:
    from matplotlib.patches import Patch

    return Patch(facecolor=color, edgecolor="none")


def _score_panel(ax: Any, s: Score, t: Translator) -> None:
    """One bar from last year's score: approved, submitted, open; the target as a line."""
    last = _f(s.last)
    parts = [(_f(s.approved_points), APPROVED), (_f(s.submitted_points), SUBMITTED),
             (_f(s.open_points), OPEN)]
    left = last
    for width, color in parts:
        if width > 0:
            ax.barh(0, width, left=left, height=0.5, color=color)
            left += width
    target = float(s.target)
    low = min(last, target) - max(4.0, 0.15 * (max(left, target) - last))
    high = max(left, target) + max(4.0, 0.12 * (max(left, target) - last))
    ax.barh(0, last - low, left=low, height=0.5, color="#90a4ae")
    ax.axvline(target, color=TARGET, linewidth=2.5)
    ax.text(target, 0.42, _text(t, "status.chart.target", predicate=s.target_predicate,
                                target=s.target), color=TARGET, fontsize=10, ha="center",
            va="bottom", fontweight="bold",
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.5})
    ax.set_xlim(low, high)
    ax.set_ylim(-0.6, 0.9)
    ax.set_yticks([0], [_text(t, "status.chart.score_label")], fontsize=11)
    ax.tick_params(axis="x", labelsize=10)
    key = "status.chart.reached" if s.reached else "status.chart.needed"
    ax.set_title(_text(t, key, projected=s.projected, needed=s.still_needed, last=s.last,
                       approved=s.approved_points), fontsize=12, loc="left")
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)


def _cluster_panel(ax: Any, clusters: Sequence[ClusterStatus], t: Translator) -> None:
    """Per cluster: points approved / submitted / open, with tasks done and overdue."""
    codes = [c.code for c in clusters]
    ys = list(range(len(clusters)))[::-1]
    widest = max((_f(c.totals.points) for c in clusters), default=1.0) or 1.0
    for y, c in zip(ys, clusters, strict=True):
        tot = c.totals
        left = 0.0
        for width, color in ((_f(tot.approved_points), APPROVED),
                             (_f(tot.submitted_points), SUBMITTED), (_f(tot.open_points), OPEN)):
            if width > 0:
                ax.barh(y, width, left=left, height=0.6, color=color)
                left += width
        label = _text(t, "status.chart.cluster_value", approved=tot.approved_points,
                      points=tot.points, done=tot.counts.approved, tasks=tot.counts.total)
        ax.text(left + widest * 0.02, y, label, va="center", fontsize=10)
        if tot.counts.overdue:
            ax.text(left + widest * 0.02, y - 0.36,
                    _text(t, "status.chart.overdue", count=tot.counts.overdue),
                    va="center", fontsize=9, color=LATE, fontweight="bold")
    ax.set_yticks(ys, codes, fontsize=12, fontweight="bold")
    ax.set_xlim(0, widest * 1.55)
    ax.set_ylim(-0.8, len(clusters) - 0.4)
    ax.tick_params(axis="x", labelsize=10)
    ax.set_title(_text(t, "status.chart.clusters_title"), fontsize=12, loc="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
