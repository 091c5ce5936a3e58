"""The status chart: a phone-wide PNG, in both languages, also for an empty cycle."""

from __future__ import annotations

import io
import struct
from datetime import date
from decimal import Decimal

from bench.render_chart import fixture
from kla_bot.chart import render_status_chart
from kla_bot.i18n import translator
from kla_bot.services.status_model import ClusterStatus, Score, Tally


def _size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def test_chart_is_phone_wide_in_both_languages() -> None:
    score, clusters = fixture()
    for lang in ("id", "en"):
        png = render_status_chart(regency="Kabupaten Banjar", days_left=0,
                                  verification_date=date(2025, 5, 16), score=score,
                                  clusters=clusters, t=translator(lang))
        assert _size(png) == (1080, 1440)


def test_chart_of_an_empty_cycle_and_a_single_cluster() -> None:
    score = Score.compute(last=Decimal(685), target_predicate="Nindya", approved=Decimal(0),
                          submitted=Decimal(0), open_=Decimal(0))
    empty = [ClusterStatus("K3", "Kesehatan", "Health", Tally().freeze())]
    png = render_status_chart(regency="Kota X", days_left=-2, verification_date="2025-05-16",
                              score=score, clusters=empty, t=translator("id"))
    assert _size(io.BytesIO(png).getvalue())[0] == 1080
