"""Render ``docs/status-chart.png`` from a fixed fixture (no database): the chart the README shows.

    .venv/bin/python bench/render_chart.py [OUT.png] [--lang en]
"""

from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

from kla_bot.chart import render_status_chart
from kla_bot.i18n import translator
from kla_bot.services.status_model import ClusterStatus, Score, Tally

# A Banjar-like week: 685 last year, Nindya (701) needed, some of it approved already.
CLUSTERS = [  # code, name, [(state, points, overdue)]
    ("KL", "Kelembagaan", [("approved", "2"), ("open", "1.5"), ("submitted", "2")]),
    ("K1", "Hak Sipil dan Kebebasan", [("approved", "3"), ("open", "1", True)]),
    ("K2", "Lingkungan Keluarga dan Pengasuhan Alternatif", [("open", "1.5"), ("open", "2")]),
    ("K3", "Kesehatan Dasar dan Kesejahteraan",
     [("approved", "5"), ("submitted", "3.5"), ("open", "2", True), ("approved", "1")]),
    ("K4", "Pendidikan, Pemanfaatan Waktu Luang dan Kegiatan Budaya",
     [("open", "4", True), ("submitted", "1")]),
    ("K5", "Perlindungan Khusus", [("approved", "2.5"), ("open", "1")]),
]


def fixture() -> tuple[Score, list[ClusterStatus]]:
    total = Tally()
    clusters = []
    for code, name, tasks in CLUSTERS:
        tally = Tally()
        for state, points, *late in tasks:
            tally.count(state, Decimal(points), bool(late))
        total.add(tally)
        clusters.append(ClusterStatus(code, name, name, tally.freeze()))
    frozen = total.freeze()
    score = Score.compute(last=Decimal(685), target_predicate="Nindya",
                          approved=frozen.approved_points, submitted=frozen.submitted_points,
                          open_=frozen.open_points)
    return score, clusters


def main(argv: list[str]) -> None:
    lang = "en" if "--lang" in argv and argv[argv.index("--lang") + 1] == "en" else "id"
    paths = [a for a in argv if a.endswith(".png")]
    out = Path(paths[0]) if paths else Path("docs/status-chart.png")
    score, clusters = fixture()
    png = render_status_chart(regency="Kabupaten Banjar", days_left=7,
                              verification_date=date(2025, 5, 16), score=score,
                              clusters=clusters, t=translator(lang))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(png)
    print(f"{out}: {len(png)} bytes")


if __name__ == "__main__":
    main(sys.argv[1:])
