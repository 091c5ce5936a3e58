"""The pacer with a limit shared by every worker: it waits as long as the shared budget says,
and its own window no longer applies (the shared one is the whole bot's)."""

from __future__ import annotations

from kla_bot.pacing import GLOBAL_PER_WINDOW, Pacer
from tests.test_pacing import FakeTime


class Budget:
    def __init__(self, waits: list[float]) -> None:
        self.waits = waits
        self.asked = 0

    async def try_take(self) -> float:
        self.asked += 1
        return self.waits.pop(0) if self.waits else 0.0


async def test_the_pacer_waits_what_the_shared_budget_says() -> None:
    clock, budget = FakeTime(), Budget([0.25, 0.1])
    pacer = Pacer(monotonic=clock.monotonic, sleep=clock.sleep, shared=budget)
    await pacer.pace(7)
    assert clock.slept == [0.25, 0.1] and budget.asked == 3
    assert not pacer.chat_ready(7)  # the per-chat spacing still holds


async def test_with_a_shared_budget_the_own_window_does_not_hold_sends_back() -> None:
    clock, budget = FakeTime(), Budget([])
    pacer = Pacer(monotonic=clock.monotonic, sleep=clock.sleep, shared=budget)
    for chat in range(GLOBAL_PER_WINDOW * 2):
        await pacer.pace(chat)
    assert clock.slept == [] and budget.asked == GLOBAL_PER_WINDOW * 2
