"""The send pacer: one message a second per private chat, under 30 a second overall."""

from __future__ import annotations

import pytest

from kla_bot.pacing import CHAT_INTERVAL, GLOBAL_PER_WINDOW, GLOBAL_WINDOW, Pacer


class FakeTime:
    """A monotonic clock that only moves when the pacer sleeps (or the test says so)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _pacer(clock: FakeTime) -> Pacer:
    return Pacer(monotonic=clock.monotonic, sleep=clock.sleep)


async def test_a_private_chat_cools_down_while_others_go_first() -> None:
    clock = FakeTime()
    pacer = _pacer(clock)
    rows = [("a", 1), ("b", 1), ("c", 2), ("d", -5)]  # (name, chat id)
    assert pacer.first_ready(rows, lambda r: r[1]) == ("a", 1)
    await pacer.pace(1)
    rest = rows[1:]
    assert pacer.first_ready(rest, lambda r: r[1]) == ("c", 2)  # chat 1 is cooling down
    await pacer.pace(2)
    assert pacer.first_ready(rest[:1], lambda r: r[1]) is None
    assert pacer.chat_ready(-5)  # a group with room left in its minute
    assert abs(pacer.seconds_until_a_chat_is_ready([1, 2]) - CHAT_INTERVAL) < 1e-9
    clock.now += CHAT_INTERVAL + 0.001
    assert pacer.first_ready(rest, lambda r: r[1]) == ("b", 1)


async def test_a_chat_keeps_its_order() -> None:
    pacer = _pacer(FakeTime())
    rows = [("first", 7), ("second", 7)]
    assert pacer.first_ready(reversed(rows), lambda r: r[1]) == ("second", 7)
    assert pacer.first_ready(rows, lambda r: r[1]) == ("first", 7)


async def test_the_global_window_holds_back_the_thirtieth_send() -> None:
    clock = FakeTime()
    pacer = _pacer(clock)
    for chat in range(1, GLOBAL_PER_WINDOW + 1):
        await pacer.pace(chat)
    assert clock.slept == []
    await pacer.pace(GLOBAL_PER_WINDOW + 1)
    assert clock.slept == [pytest.approx(GLOBAL_WINDOW)]
