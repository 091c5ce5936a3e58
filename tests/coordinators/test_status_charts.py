"""/status on Telegram: the text first, the chart rendered once per data version in a
separate process and re-sent by the file id Telegram gave it (0 renders, 0 bytes uploaded for
a repeated request); a change in the numbers renders again."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.services.status_model import Score
from kla_bot.standin import BotApiStandin
from kla_bot.status_charts import ChartRequest, StatusCharts, render_request
from tests.coordinators.chat import chat_world
from tests.coordinators.helpers import AHMAD, RINA, SITI, pdf_bytes, put_evidence


@dataclass
class Counting:
    """A renderer that counts its renders (and what the chat had received by then)."""

    standin: BotApiStandin
    chat_id: int | None = None
    renders: int = 0
    messages_before: list[int] = field(default_factory=list)

    async def __call__(self, request: ChartRequest) -> bytes:
        self.renders += 1
        if self.chat_id is not None:
            self.messages_before.append(len(self.standin.messages_to(self.chat_id)))
        return await asyncio.to_thread(render_request, request)


def counting(bot: KlaApplication, standin: BotApiStandin) -> Counting:
    renderer = Counting(standin)
    bot.bot_data.deps.charts = StatusCharts(render=renderer)
    return renderer


async def test_a_repeated_status_is_not_rendered_again_and_is_sent_by_file_id(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    renderer = counting(bot, standin)
    cw = await chat_world(bot, standin)
    first = await cw.say(SITI, "/status")
    assert renderer.renders == 1 and first[-1].photo is not None
    uploaded = standin.stats.uploaded_bytes
    for _ in range(3):
        again = await cw.say(SITI, "/status")
        assert again[-1].method == "sendPhoto"
    assert renderer.renders == 1  # 0 renders for the repeated requests
    assert standin.stats.uploaded_bytes == uploaded  # and nothing uploaded again
    sent = [c.params.get("photo") for c in standin.calls_to("sendPhoto")]
    assert sent[1:] == [first[-1].message.photo[-1].file_id] * 3  # what the first send returned


async def test_a_change_in_the_numbers_renders_a_new_chart(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    renderer = counting(bot, standin)
    cw = await chat_world(bot, standin)
    await cw.say(AHMAD, "/status")
    await cw.say(AHMAD, "/status")
    assert renderer.renders == 1
    await put_evidence(cw.world, "K3-17a", RINA, pdf_bytes("baru"), "a.pdf")
    changed = await cw.say(AHMAD, "/status")
    assert renderer.renders == 2 and changed[-1].photo is not None
    await cw.say(SITI, "/status")  # another scope (every cluster): its own chart
    assert renderer.renders == 3


async def test_the_text_is_sent_before_the_chart_is_rendered(
        bot: KlaApplication, standin: BotApiStandin) -> None:
    renderer = counting(bot, standin)
    cw = await chat_world(bot, standin)
    chat = renderer.chat_id = cw.chats[SITI].chat_id
    earlier = len(standin.messages_to(chat))
    answers = await cw.say(SITI, "/status")
    *texts, photo = answers
    assert texts and photo.method == "sendPhoto"
    assert all(a.method == "sendMessage" for a in texts)
    # When the render started, every text answer had already reached the chat.
    assert renderer.messages_before == [earlier + len(texts)]


async def test_the_chart_renders_in_a_spawned_process() -> None:
    charts = StatusCharts()  # the real pool
    score = Score.compute(last=Decimal(640), target_predicate="Nindya", approved=Decimal(12),
                          submitted=Decimal(5), open_=Decimal(30))
    request = ChartRequest("id", "Kabupaten Banjar", 7, date(2025, 5, 16), score, ())
    try:
        chart = await charts.chart((1, None, "id"), request)
        assert chart.png.startswith(b"\x89PNG") and len(chart.png) > 20_000
        pool = charts.pool._pool
        assert pool is not None and pool._mp_context.get_start_method() == "spawn"
        workers = set(pool._processes)
        assert workers and os.getpid() not in workers
        same = await charts.chart((1, None, "id"), request)
        assert same is chart  # cached: no second render
    finally:
        charts.close()
    assert charts.pool._pool is None


async def test_a_dead_chart_process_is_replaced() -> None:
    charts = StatusCharts()
    score = Score.compute(last=Decimal(640), target_predicate="Nindya", approved=Decimal(1),
                          submitted=Decimal(0), open_=Decimal(3))
    request = ChartRequest("en", "Kota X", 3, date(2025, 5, 16), score, ())
    try:
        await charts.pool.render(request)
        pool = charts.pool._pool
        assert pool is not None
        for process in pool._processes.values():
            process.kill()  # as the OOM killer would
            await asyncio.to_thread(process.join, 30)
        png = await charts.pool.render(request)
        assert png.startswith(b"\x89PNG") and charts.pool._pool is not pool
    finally:
        charts.close()
