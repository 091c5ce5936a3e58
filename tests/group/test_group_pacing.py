"""Groups take about 20 messages a minute: the outbox pacing holds a burst for one group back
(other chats go on meanwhile), on an injected clock, and the stand-in — enforcing the same
limit on that clock — never has to answer 429."""

from __future__ import annotations

from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.channels.telegram.sender import sender_of
from kla_bot.pacing import CHAT_INTERVAL, GROUP_PER_WINDOW, GROUP_WINDOW, Pacer
from kla_bot.services import outbox
from kla_bot.services.outbox_kinds import GroupApproval
from kla_bot.standin import BotApiStandin, RateLimits
from tests.coordinators.chat import chat_world
from tests.coordinators.helpers import BUDI
from tests.test_pacing import FakeTime

GROUP = -4_000_000_001


async def test_a_group_takes_twenty_a_minute_while_private_chats_go_on() -> None:
    clock = FakeTime()
    pacer = Pacer(monotonic=clock.monotonic, sleep=clock.sleep)
    for _ in range(GROUP_PER_WINDOW):
        assert pacer.chat_ready(GROUP)
        await pacer.pace(GROUP)
        clock.now += 0.5
    assert not pacer.chat_ready(GROUP)
    assert pacer.first_ready([("news", GROUP), ("digest", 7)], lambda r: r[1]) == ("digest", 7)
    wait = pacer.seconds_until_a_chat_is_ready([GROUP])
    assert abs(wait - (GROUP_WINDOW - GROUP_PER_WINDOW * 0.5)) < 1e-9
    clock.now += wait
    assert pacer.chat_ready(GROUP)  # the first send of the minute has left the window
    await pacer.pace(7)
    assert abs(pacer.seconds_until_a_chat_is_ready([7, GROUP]) - 0.01) < 1e-9  # the group
    assert abs(pacer.seconds_until_a_chat_is_ready([7]) - CHAT_INTERVAL) < 1e-9


async def test_a_burst_for_the_group_is_paced_without_a_429(bot: KlaApplication,
                                                            standin: BotApiStandin) -> None:
    cw = await chat_world(bot, standin)
    group = standin.add_group("Gugus Tugas KLA Banjar")
    deps = cw.world.deps
    burst = 45
    async with deps.db.transaction() as s:
        for n in range(burst):
            await outbox.enqueue(s, dedupe_key=f"burst:{n}", recipient_id=None,
                                 chat_id=group.id, now=deps.clock.now(),
                                 payload=GroupApproval(task_code=f"K3-{n}",
                                                       member_name="Tim"))
    clock = FakeTime()
    standin.rate_limits = RateLimits(30, 1, 20, clock.monotonic)
    sender_of(bot).channels["telegram"].pacer = Pacer(  # type: ignore[misc]
        monotonic=clock.monotonic, sleep=clock.sleep)
    start = clock.now
    assert await cw.drain() == burst
    assert standin.stats.too_many_requests == 0
    texts = [m.plain for m in standin.chat(cw.chats[BUDI].user, group).messages()]
    assert texts == [f"✅ K3-{n} disetujui — terima kasih, Tim!" for n in range(burst)]
    # 45 messages at 20 a minute: the last ones went in the third minute.
    assert clock.now - start >= 2 * GROUP_WINDOW - 1
