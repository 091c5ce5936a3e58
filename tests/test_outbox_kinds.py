"""Typed outbox payloads: one type per kind, every channel renders every kind, and rows stored
before the types existed (today's JSON shape) still load and render."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from kla_bot.channels.telegram.sender import renderer_tables
from kla_bot.deps import Deps
from kla_bot.i18n import translator
from kla_bot.models import OutboxMessage
from kla_bot.services import outbox
from kla_bot.services.outbox_kinds import (
    PAYLOAD_TYPES,
    Brief,
    Digest,
    OutboxKind,
    ReviewRejected,
    load,
)

TASK = {"id": 7, "code": "K3-17a", "title": "Perda KTR", "due": "2025-05-14", "points": "1.5"}
COUNTDOWN = {"days_left": 11, "day": "2025-05-05", "verification_date": "2025-05-16"}
# Each kind's payload exactly as the services wrote it before the payloads were typed.
STORED: dict[OutboxKind, dict[str, Any]] = {
    OutboxKind.DIGEST: {**COUNTDOWN, "task_ids": [7], "more": 0,
                        "tasks": [{**TASK, "overdue": False}]},
    OutboxKind.ESCALATION: {**COUNTDOWN, "task_ids": [7], "more": 2, "tasks": [
        {**TASK, "state": "open", "cluster": "K3", "assignee": "Budi",
         "agency": "Dinas Kesehatan", "days": 3}]},
    OutboxKind.BRIEF: {**COUNTDOWN, "task_ids": [], "projected": "685.75", "target": 701,
                       "predicate": "Nindya", "needed": "16", "open": 3, "submitted": 1,
                       "approved": 2, "overdue": 0,
                       "late_at": "2025-05-05T13:21:00+08:00", "timezone": "Asia/Makassar"},
    OutboxKind.LASTCALL: {"task_ids": [], "verification_date": "2025-05-16", "open": 2,
                          "open_points": "2.25", "submitted": 1},
    OutboxKind.EVIDENCE_SUBMITTED: {
        "task_ids": [7], "evidence_id": 3, "task_code": "K3-17a", "task_title": "Perda KTR",
        "indicator": "17. Kawasan Tanpa Rokok", "cluster": "K3", "points": "1.5",
        "member_name": "Budi", "agency": "Dinas Kesehatan", "file_name": "perda.pdf",
        "bytes": 2048, "sha256": "d5" * 32, "mime": "application/pdf",
        "storage_key": "d5/" + "d5" * 32, "file_id": None, "file_kind": None,
        "content_notes": None},
    OutboxKind.REVIEW_ACCEPTED: {"task_ids": [7], "evidence_id": 3, "task_code": "K3-17a",
                                 "task_title": "Perda KTR", "file_name": "perda.pdf",
                                 "points": "1.5", "reviewer": "dr. Ahmad"},
    OutboxKind.REVIEW_REJECTED: {"task_ids": [7], "evidence_id": 3, "task_code": "K3-17a",
                                 "task_title": "Perda KTR", "file_name": "perda.pdf",
                                 "points": "1.5", "reviewer": "dr. Ahmad",
                                 "reason": "Belum ditandatangani"},
    OutboxKind.TASK_REASSIGNED: {"task_ids": [7], "task_code": "K3-17a",
                                 "task_title": "Perda KTR", "points": "1.5",
                                 "due": "2025-05-14", "direction": "in", "other_name": "Budi",
                                 "by_name": "dr. Ahmad"},
    OutboxKind.MEMBER_UNREACHABLE: {"task_ids": [], "member_id": 4, "member_name": "Budi",
                                    "agency": "Dinas Kesehatan", "reason": "blocked",
                                    "since": "2025-05-05", "open_tasks": 2,
                                    "clusters": ["K3"]},
    OutboxKind.HANDOVER_REQUESTED: {"task_ids": [7], "requester_id": 4,
                                    "requester_name": "Budi", "agency": "Dinas Kesehatan",
                                    "cluster": "K3", "note": "dinas luar sampai Jumat",
                                    "task_codes": ["K3-17a"],
                                    "choices": [{"member_id": 5, "name": "Ani"}]},
    OutboxKind.GROUP_PROGRESS: {**COUNTDOWN, "task_ids": [], "approved_points": "2.5",
                                "needed": "13.5", "target": 701, "predicate": "Nindya",
                                "clusters": [{"code": "K3", "approved": 1, "total": 6,
                                              "open": 5}],
                                "approved_since": ["K3-17a"], "more_approved": 0,
                                "updated_at": None, "zone": None, "first": None},
    OutboxKind.GROUP_APPROVAL: {"task_ids": [7], "task_code": "K3-17a",
                                "member_name": "Rina Marlina"},
    OutboxKind.MEMBER_AWAY: {"task_ids": [], "member_id": 4, "member_name": "Budi",
                             "agency": "Dinas Kesehatan", "until": "2025-05-09",
                             "by_name": "Hj. Siti", "open_tasks": 2},
    OutboxKind.URGENT_CALL: {"task_ids": [7], "request_id": 2, "task_code": "K3-17a",
                             "task_title": "Perda KTR", "indicator": "17. Kawasan Tanpa Rokok",
                             "requested_by": "Sari", "call": 2},
    OutboxKind.URGENT_CHASE: {"task_ids": [7], "request_id": 2, "task_code": "K3-17a",
                              "task_title": "Perda KTR", "owner_name": "Budi",
                              "requested_by": "Sari"},
    OutboxKind.URGENT_ANSWERED: {"task_ids": [7], "request_id": 2, "task_code": "K3-17a",
                                 "task_title": "Perda KTR", "answered_by": "Budi",
                                 "minutes": 12, "file_name": "perda.pdf"},
    OutboxKind.HARI_H_REPORT: {"task_ids": [], "verification_date": "2025-05-16",
                               "lookups": 5, "found": 4,
                               "calls": [{"task_ids": [], "task_code": "K3-17a",
                                          "answered_by": "Budi", "minutes": 12},
                                         {"task_ids": [], "task_code": "K1-4",
                                          "answered_by": None, "minutes": None}],
                               "missing": 1, "missing_codes": ["K1-4"]},
}


def test_every_kind_has_exactly_one_payload_type() -> None:
    assert set(PAYLOAD_TYPES) == set(OutboxKind)
    assert all(cls.kind == kind for kind, cls in PAYLOAD_TYPES.items())
    assert len(set(PAYLOAD_TYPES.values())) == len(OutboxKind)


@pytest.mark.parametrize("channel", sorted(renderer_tables()))
@pytest.mark.parametrize("kind", list(OutboxKind))
def test_every_channel_renders_every_kind(channel: str, kind: OutboxKind) -> None:
    assert kind in renderer_tables()[channel], f"{channel} has no renderer for {kind}"


@pytest.mark.parametrize("kind", list(OutboxKind))
def test_a_payload_stored_in_todays_shape_loads_and_round_trips(kind: OutboxKind) -> None:
    stored = STORED[kind]
    payload = load(kind, {**stored, "dropped_key": "ignored"})
    assert type(payload) is PAYLOAD_TYPES[kind]
    again = payload.to_json()
    assert {k: v for k, v in again.items() if k in stored} == stored
    assert set(again) - set(stored) <= {"late_at", "timezone", "facts", "why"}  # optional: null
    assert load(kind, again) == payload


# Something of each stored payload that its message shows (in both languages).
SHOWN = {OutboxKind.BRIEF: "21 WITA", OutboxKind.LASTCALL: "16 M",
         OutboxKind.MEMBER_UNREACHABLE: "Budi", OutboxKind.MEMBER_AWAY: "Budi"}


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("kind", list(OutboxKind))
def test_a_stored_payload_renders_on_telegram(kind: OutboxKind, lang: str) -> None:
    rendered = renderer_tables()["telegram"][kind](load(kind, STORED[kind]), translator(lang))
    assert SHOWN.get(kind, "K3-17a") in rendered.text
    assert "{" not in rendered.text  # every placeholder filled


def test_fields_are_typed_and_optional_ones_may_be_absent() -> None:
    digest = load(OutboxKind.DIGEST, {**COUNTDOWN, "tasks": [TASK]})
    assert isinstance(digest, Digest)
    assert digest.task_ids == () and digest.more == 0
    assert digest.tasks[0].due == date(2025, 5, 14) and digest.tasks[0].points == Decimal("1.5")
    assert digest.tasks[0].overdue is False
    brief = load(OutboxKind.BRIEF, {k: v for k, v in STORED[OutboxKind.BRIEF].items()
                                    if k not in ("late_at", "timezone")})
    assert isinstance(brief, Brief) and brief.late_at is None


def test_a_payload_that_does_not_fit_its_kind_or_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValidationError):
        load(OutboxKind.REVIEW_REJECTED, STORED[OutboxKind.REVIEW_ACCEPTED])  # no reason
    with pytest.raises(LookupError):
        load("test.unknown", {})


async def test_enqueue_takes_the_kind_from_the_payload_type(deps: Deps) -> None:
    payload = ReviewRejected.from_json(STORED[OutboxKind.REVIEW_REJECTED])
    async with deps.db.transaction() as s:
        assert await outbox.enqueue(s, dedupe_key="r", chat_id=1, recipient_id=None,
                                    payload=payload, now=deps.clock.now())
    async with deps.db.transaction() as s:
        row = await s.scalar(select(OutboxMessage))
    assert row is not None and row.kind == "review.rejected"
    assert row.payload == STORED[OutboxKind.REVIEW_REJECTED]
    assert row.expires_at is not None  # a review result is kept for days, by its kind
