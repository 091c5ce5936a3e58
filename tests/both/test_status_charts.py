"""/status asked again with nothing changed is not rendered again, on every channel
(Telegram re-sends by file id, WhatsApp the cached PNG); the text comes before the chart."""

from __future__ import annotations

import asyncio

from kla_bot.status_charts import ChartRequest, StatusCharts, render_request
from tests.both.conftest import Town


async def test_repeated_status_renders_the_chart_once(town: Town) -> None:
    renders: list[ChartRequest] = []

    async def counting(request: ChartRequest) -> bytes:
        renders.append(request)
        return await asyncio.to_thread(render_request, request)

    town.deps.charts = StatusCharts(render=counting)
    citra = await town.member("Citra")
    first = await citra.say("/status")
    again = await citra.say("/status")
    assert len(renders) == 1
    for answers in (first, again):
        assert "H-" in answers[0].text  # the text first
        assert answers[-1].file_name == "photo" and "Grafik status" in answers[-1].text
