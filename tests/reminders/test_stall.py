"""The Bot API stalls (time-outs, dropped connections, 502) for longer than three minutes of the
test's clock: nothing is given up while it is still useful, everything goes out once after, a
reminder whose day ended expires (and the operator sees it), nothing is sent twice."""

from __future__ import annotations

import argparse
import json
import logging
from collections import Counter
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.channels.telegram.sender import MAX_BACKOFF, MAX_PAUSE, drain
from kla_bot.cli_data import run_status
from kla_bot.clock import ManualClock, local_today
from kla_bot.deps import Deps
from kla_bot.models import Member
from kla_bot.services import outbox
from kla_bot.services.outbox_kinds import Brief, Digest, DigestTask, ReviewAccepted
from kla_bot.standin import BotApiStandin
from tests.reminders.helpers import IGNORE_PTB_DEPRECATION, outbox_rows, started_user
from tests.reminders.seed import add_member

pytestmark = IGNORE_PTB_DEPRECATION

STEP = timedelta(seconds=30)
BRIEF = Brief(days_left=11, day=date(2025, 5, 5), verification_date=date(2025, 5, 16),
              projected=Decimal(685), target=701, predicate="Nindya", needed=Decimal(16),
              open=3, submitted=0, approved=0, overdue=0)
DIGEST = Digest(days_left=11, day=date(2025, 5, 5), verification_date=date(2025, 5, 16),
                tasks=(DigestTask(id=1, code="K3-17a", title="Perda KTR", due=date(2025, 5, 14),
                                  points=Decimal("1.5")),))
ACCEPTED = ReviewAccepted(evidence_id=1, task_code="K3-17a", task_title="Perda KTR",
                          file_name="perda.pdf", reviewer="dr. Ahmad", points=Decimal("1.5"))


async def _queue(deps: Deps, standin: BotApiStandin, chats: range) -> list[Member]:
    """For each chat: the morning brief of today (useful until the local day ends) and a
    review result (useful for days)."""
    members = []
    today = local_today(deps.clock, deps.settings.tz)
    for chat in chats:
        started_user(standin, chat, f"Anggota {chat}")
        async with deps.db.transaction() as s:
            member = await add_member(s, deps.workspace, deps.clock.now(),
                                      name=f"Anggota {chat}", chat_id=chat)
            await outbox.enqueue(s, dedupe_key=f"brief:{chat}",
                                 chat_id=chat, recipient_id=member.id,
                                 payload=replace(BRIEF, day=today),
                                 now=deps.clock.now(), day=today, tz=deps.settings.tz)
            await outbox.enqueue(s, dedupe_key=f"accepted:{chat}", chat_id=chat,
                                 recipient_id=member.id, payload=ACCEPTED, now=deps.clock.now())
        members.append(member)
    return members


async def _run_until(bot: KlaApplication, clock: ManualClock, end: datetime) -> None:
    """The sender's loop, with the test's clock moving STEP between drains."""
    while clock.now() < end:
        await drain(bot)
        clock.advance(STEP)
    await drain(bot)


@pytest.mark.parametrize("how", ["timeout", "drop", 502])
# The two-hour stall steps the sender through 2 h of clock (seconds of CPU): CI runs it, the
# fast loop keeps the ten-minute one, which takes the same paths.
@pytest.mark.parametrize("stall", [timedelta(minutes=10),
                                   pytest.param(timedelta(hours=2), marks=pytest.mark.slow)])
async def test_everything_goes_out_once_after_a_long_stall(
        bot: KlaApplication, standin: BotApiStandin, clock: ManualClock, how: str | int,
        stall: timedelta) -> None:
    deps = bot.bot_data.deps
    chats = range(1001, 1011)
    await _queue(deps, standin, chats)
    start = clock.now()
    standin.stall(start + stall, how=how)
    await _run_until(bot, clock, start + stall - STEP)
    assert standin.sent == []
    rows = await outbox_rows(deps)
    assert {r.state for r in rows} == {"pending"}  # never given up while useful
    assert max(r.attempts for r in rows) > 8  # the old limit
    tries = len(standin.calls_to("sendMessage"))
    # One probe per pause, not a time-out per row: the stall costs few requests.
    assert tries <= 2 * len(rows) + stall / MAX_PAUSE + 10
    await _run_until(bot, clock, start + stall + MAX_BACKOFF + MAX_PAUSE)
    rows = await outbox_rows(deps)
    assert [r.state for r in rows] == ["sent"] * len(rows)
    delivered = Counter(m.chat_id for m in standin.sent)
    assert delivered == Counter(dict.fromkeys(chats, 2))  # the brief and the result, once each
    assert standin.stats.duplicates() == []
    assert all("NoAnswer" not in u for u in standin.unexpected)


async def test_reminders_whose_day_ended_expire_and_the_operator_sees_it(
        bot: KlaApplication, standin: BotApiStandin, clock: ManualClock,
        caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> None:
    deps = bot.bot_data.deps
    clock.set(datetime(2025, 5, 5, 22, 0, tzinfo=deps.settings.tz))  # a late brief
    (member,) = await _queue(deps, standin, range(1001, 1002))
    today = local_today(deps.clock, deps.settings.tz)
    async with deps.db.transaction() as s:  # and the member's digest of the same day
        await outbox.enqueue(s, dedupe_key="digest", chat_id=1001,
                             recipient_id=member.id, now=clock.now(), day=today,
                             tz=deps.settings.tz, payload=DIGEST)
    standin.stall(clock.now() + timedelta(hours=3), how="timeout")  # until 01:00 the next day
    with caplog.at_level(logging.WARNING):
        await _run_until(bot, clock, clock.now() + timedelta(hours=3, minutes=10))
    brief, accepted, digest = await outbox_rows(deps)
    assert (brief.state, accepted.state, digest.state) == ("expired", "sent", "expired")
    assert digest.expires_at == datetime(2025, 5, 6, 0, 0, tzinfo=deps.settings.tz)
    assert "TimedOut" in (digest.last_error or "")  # why it could not go out in time
    assert [m.chat_id for m in standin.sent] == [1001]  # only the review result
    expired = [r.getMessage() for r in caplog.records if "expired" in r.getMessage()]
    assert len(expired) == 2 and "reminder.digest" in expired[1] and "TimedOut" in expired[1]
    assert all(member.phone not in r.getMessage() for r in caplog.records)
    capsys.readouterr()
    await run_status(argparse.Namespace(json=True), deps.settings)
    counts = json.loads(capsys.readouterr().out)["outbox"]
    assert (counts["sent"], counts["expired"], counts["failed"]) == (1, 2, 0)
    await run_status(argparse.Namespace(json=False), deps.settings)
    table = capsys.readouterr().out
    assert "0 gagal, 2 kedaluwarsa, 0 tidak dapat dihubungi" in table
    assert f"#{digest.id} reminder.digest · kedaluwarsa · TimedOut" in table


async def test_a_permanent_answer_ends_the_row_at_once(
        bot: KlaApplication, standin: BotApiStandin, clock: ManualClock) -> None:
    deps = bot.bot_data.deps
    await _queue(deps, standin, range(1001, 1002))
    standin.stall(clock.now() + timedelta(minutes=10), how=502)
    await _run_until(bot, clock, clock.now() + timedelta(minutes=4))
    standin.fail_next("sendMessage", status=400, description="Bad Request: can't parse entities")
    await _run_until(bot, clock, clock.now() + timedelta(minutes=15))
    states = sorted(r.state for r in await outbox_rows(deps))
    assert states == ["failed", "sent"]
    failed = next(r for r in await outbox_rows(deps) if r.state == "failed")
    assert failed.last_error == "400 Can't parse entities"
