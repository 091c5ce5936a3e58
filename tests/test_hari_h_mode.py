"""Hari H mode's calendar (local midnights of H-1 and the day after hari H, in the regency's
own zone), the secretariat's switch over it, and urgent messages claimed before bulk."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kla_bot.config import Settings
from kla_bot.deps import Deps
from kla_bot.models import HariHSwitch
from kla_bot.services import delivery, hari_h, outbox
from kla_bot.services.outbox_kinds import (
    Digest,
    EvidenceSubmitted,
    OutboxKind,
    UrgentCall,
)

VDATE = date(2025, 5, 16)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(("zone", "on_from_utc"), [
    ("Asia/Makassar", "2025-05-14T16:00"),  # WITA, UTC+8
    ("Asia/Jakarta", "2025-05-14T17:00"),   # WIB, UTC+7
    ("Asia/Jayapura", "2025-05-14T15:00"),  # WIT, UTC+9
])
def test_the_mode_is_on_from_local_midnight_of_h1_to_the_end_of_hari_h(
        settings: Settings, zone: str, on_from_utc: str) -> None:
    local = settings.replace(verification={"timezone": zone, "date": VDATE})
    start = at(on_from_utc)
    end = start + timedelta(days=2)
    # Walk H-3 … the day after in 30-minute steps: on exactly inside [start, end).
    moment = start - timedelta(days=2)
    while moment < end + timedelta(days=1):
        assert hari_h.decide(local, VDATE, None, moment) == (start <= moment < end), moment
        moment += timedelta(minutes=30)
    assert not hari_h.decide(local, VDATE, None, start - timedelta(seconds=1))
    assert hari_h.decide(local, VDATE, None, end - timedelta(seconds=1))
    first, last = hari_h.window(local, VDATE)
    assert first.tzinfo == ZoneInfo(zone) and (first.hour, first.date()) == (0, date(2025, 5, 15))
    assert last.date() == date(2025, 5, 17)


def test_a_switch_in_force_wins_over_the_calendar(settings: Settings) -> None:
    h_5 = at("2025-05-11T02:00")
    on = HariHSwitch(regency_id=1, mode="on", until=None, set_at=h_5)
    assert hari_h.decide(settings, VDATE, on, h_5)
    assert hari_h.decide(settings, VDATE, on, h_5 + timedelta(days=30))  # until switched off
    _, end = hari_h.window(settings, VDATE)
    off = HariHSwitch(regency_id=1, mode="off", until=end, set_at=at("2025-05-15T03:00"))
    assert not hari_h.decide(settings, VDATE, off, at("2025-05-15T04:00"))
    assert not hari_h.decide(settings, VDATE, off, end)  # past it the calendar says off


async def test_urgent_kinds_are_claimed_before_a_fan_out_of_reminders(deps: Deps) -> None:
    now = deps.clock.now()
    day = now.astimezone(deps.settings.tz).date()
    async with deps.db.transaction() as s:
        for n in range(40):
            await outbox.enqueue(s, dedupe_key=f"digest:{n}", chat_id=1000 + n,
                                 recipient_id=None, now=now, day=day, tz=deps.settings.tz,
                                 payload=Digest(days_left=11, day=day, verification_date=VDATE,
                                                tasks=()))
        await outbox.enqueue(s, dedupe_key="card", chat_id=7, recipient_id=None, now=now,
                             payload=EvidenceSubmitted.from_json({
                                 "evidence_id": 1, "task_code": "K3-17a", "task_title": "x",
                                 "indicator": "17. x", "cluster": "K3", "points": "1",
                                 "member_name": "Ani", "agency": "Dinkes", "file_name": "a.pdf",
                                 "bytes": 1, "sha256": "a" * 64, "mime": "application/pdf",
                                 "storage_key": "aa/" + "a" * 64}))
        await outbox.enqueue(s, dedupe_key="call", chat_id=8, recipient_id=None, now=now,
                             payload=UrgentCall(request_id=1, task_code="K3-12", task_title="y",
                                                indicator="12. y", requested_by="Sari"))
    async with deps.db.transaction() as s:
        claimed = await delivery.claim_due(s, now=now, limit=5, lease=timedelta(seconds=30))
    kinds = [c.kind for c in claimed]
    assert kinds[:2] == [OutboxKind.EVIDENCE_SUBMITTED, OutboxKind.URGENT_CALL]
    assert kinds[2:] == [OutboxKind.DIGEST] * 3


def test_a_big_checklist_is_split_into_messages_that_fit(settings: Settings) -> None:
    from handlers.hari_h import checklist_texts
    from kla_bot.i18n import translator
    from kla_bot.services.hari_h import Checklist, ClusterCheck, IndicatorCheck
    from kla_bot.text_fit import TEXT_LIMIT, visible_len

    start, end = hari_h.window(settings, VDATE)
    clusters = [ClusterCheck(f"K{c}", [
        IndicatorCheck(c * 4 + i, "Nama indikator yang cukup panjang " * 3,
                       approved=[f"K{c}-{i}a{n}" for n in range(40)],
                       waiting=[f"K{c}-{i}b{n}" for n in range(40)],
                       missing=[f"K{c}-{i}c{n}" for n in range(40)]) for i in range(5)])
        for c in range(1, 6)]
    texts = checklist_texts(Checklist(True, start, end, clusters), translator("id"),
                            settings.tz)
    assert len(texts) > 1 and all(visible_len(text) <= TEXT_LIMIT for text in texts)
    joined = "\n".join(texts)
    assert "<b>K5</b>: ✅ 200 siap tampil · 🟡 200 menunggu tinjauan · ⬜ 200 belum ada" in joined
