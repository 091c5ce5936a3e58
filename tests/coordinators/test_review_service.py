"""The review service: accept, reject with a reason, the double press, permissions."""

from __future__ import annotations

import asyncio

import pytest

from kla_bot.services import review
from kla_bot.services.access import AccessDenied
from kla_bot.services.review import Decision
from tests.coordinators.helpers import (
    AHMAD,
    DEWI,
    NAMES,
    RINA,
    SITI,
    YUSUF,
    World,
    audit_actions,
    outbox_rows,
    pdf_bytes,
    put_evidence,
    seed,
    task_row,
)


async def _accept(world: World, who: int, evidence_id: int) -> Decision:
    deps = world.deps
    member = await world.member(who)
    async with deps.db.transaction() as s:
        return await review.accept(s, deps.workspace, member, evidence_id, deps.clock.now())


async def _reject(world: World, who: int, evidence_id: int, reason: str,
                  ask: bool = True) -> Decision:
    deps = world.deps
    member = await world.member(who)
    if ask:
        async with deps.db.transaction() as s:
            asked = await review.ask_reason(s, deps.workspace, member, evidence_id,
                                            deps.clock.now(), channel="telegram",
                                                chat=str(member.chat_id),
                                            card_message=None)
        if asked.outcome != "asked":
            return asked
    async with deps.db.transaction() as s:
        return await review.reject(s, deps.workspace, member, evidence_id, reason,
                                   deps.clock.now())


async def test_accept_approves_the_task_and_queues_word_for_the_member(deps) -> None:
    world = await seed(deps)
    ev = await put_evidence(world, "K3-17a", RINA, pdf_bytes("perda"), "Perda KTR.pdf")
    decision = await _accept(world, AHMAD, ev)
    assert decision.outcome == "accepted" and decision.member_told
    assert (await task_row(deps, "K3-17a")).state == "approved"
    [row] = await outbox_rows(deps, "review.accepted")
    assert row.recipient_id == world.ids[RINA] and row.dedupe_key == f"review.accepted:{ev}"
    assert row.payload["task_code"] == "K3-17a" and row.payload["reviewer"] == NAMES[AHMAD]
    assert [a[1] for a in await audit_actions(deps)][-1] == "evidence.accept"


async def test_second_press_is_told_who_acted_and_nothing_changes_twice(deps, clock) -> None:
    world = await seed(deps)
    ev = await put_evidence(world, "K3-17a", RINA, pdf_bytes("perda"), "Perda KTR.pdf")
    first = await _accept(world, AHMAD, ev)
    second = await _accept(world, YUSUF, ev)
    rejected = await _reject(world, YUSUF, ev, "late", ask=True)
    assert first.outcome == "accepted"
    assert second.outcome == "already" and second.reviewer == NAMES[AHMAD]
    assert second.reviewed_at == clock.now() and second.state == "approved"
    assert rejected.outcome == "already"
    assert len(await outbox_rows(deps, "review.accepted")) == 1
    assert await outbox_rows(deps, "review.rejected") == []
    assert [a[1] for a in await audit_actions(deps)].count("evidence.accept") == 1


async def test_two_coordinators_accepting_at_once_only_one_wins(deps) -> None:
    world = await seed(deps)
    ev = await put_evidence(world, "K3-17a", RINA, pdf_bytes("perda"), "Perda KTR.pdf")
    results = await asyncio.gather(_accept(world, AHMAD, ev), _accept(world, YUSUF, ev),
                                   _accept(world, SITI, ev))
    outcomes = sorted(r.outcome for r in results)
    assert outcomes == ["accepted", "already", "already"]
    winner = next(r.reviewer for r in results if r.outcome == "accepted")
    assert all(r.reviewer == winner for r in results)
    assert [a[1] for a in await audit_actions(deps)].count("evidence.accept") == 1
    assert len(await outbox_rows(deps, "review.accepted")) == 1


async def test_accept_and_reject_racing_leave_one_decision(deps) -> None:
    world = await seed(deps)
    ev = await put_evidence(world, "K3-17a", RINA, pdf_bytes("perda"), "Perda KTR.pdf")
    yusuf = await world.member(YUSUF)
    async with deps.db.transaction() as s:
        await review.ask_reason(s, deps.workspace, yusuf, ev, deps.clock.now(),
                                channel="telegram", chat=str(yusuf.chat_id),
                                card_message=None)
    results = await asyncio.gather(_accept(world, AHMAD, ev),
                                   _reject(world, YUSUF, ev, "blurred", ask=False))
    assert sorted(r.outcome for r in results) in (["accepted", "already"],
                                                   ["already", "rejected"])
    task = await task_row(deps, "K3-17a")
    decided = next(r for r in results if r.outcome != "already")
    assert task.state == ("approved" if decided.outcome == "accepted" else "open")
    assert len(await outbox_rows(deps, "review.accepted")) \
        + len(await outbox_rows(deps, "review.rejected")) == 1


async def test_reject_sends_the_task_back_with_the_reason(deps) -> None:
    world = await seed(deps)
    ev = await put_evidence(world, "K3-17a", RINA, pdf_bytes("perda"), "Perda KTR.pdf")
    decision = await _reject(world, AHMAD, ev, "  Belum   ditandatangani  ")
    assert decision.outcome == "rejected" and decision.reason == "Belum ditandatangani"
    task = await task_row(deps, "K3-17a")
    assert task.state == "open" and task.last_rejection_reason == "Belum ditandatangani"
    [row] = await outbox_rows(deps, "review.rejected")
    assert row.payload["reason"] == "Belum ditandatangani"
    assert row.payload["task_ids"] == [task.id]
    action = (await audit_actions(deps))[-1]
    assert action[1] == "evidence.reject" and action[2]["reason"] == "Belum ditandatangani"


async def test_a_reason_nobody_asked_for_is_refused(deps) -> None:
    world = await seed(deps)
    ev = await put_evidence(world, "K3-17a", RINA, pdf_bytes("perda"), "Perda KTR.pdf")
    with pytest.raises(AccessDenied) as refused:
        await _reject(world, AHMAD, ev, "forged", ask=False)
    assert refused.value.key == "review.reason_stale"
    assert (await task_row(deps, "K3-17a")).state == "submitted"


async def test_permissions_cluster_member_and_unknown_evidence(deps) -> None:
    world = await seed(deps)
    k1 = await put_evidence(world, "K1-4a", DEWI, pdf_bytes("akta"), "akta.pdf")
    with pytest.raises(AccessDenied) as other_cluster:
        await _accept(world, AHMAD, k1)
    assert other_cluster.value.key == "access.not_your_cluster"
    with pytest.raises(AccessDenied) as member:
        await _accept(world, RINA, k1)
    assert member.value.key == "access.coordinators_only"
    with pytest.raises(AccessDenied) as forged:
        await _accept(world, SITI, 999_999)
    assert forged.value.key == "review.stale"
    assert (await task_row(deps, "K1-4a")).state == "submitted"
    assert await outbox_rows(deps) == []


async def test_waiting_list_is_oldest_first_and_per_cluster(deps, clock) -> None:
    from datetime import timedelta

    world = await seed(deps)
    late = await put_evidence(world, "K3-15a", RINA, pdf_bytes("b"), "b.pdf",
                              at=clock.now() + timedelta(hours=2))
    early = await put_evidence(world, "K3-17a", RINA, pdf_bytes("a"), "a.pdf")
    await put_evidence(world, "K1-4a", DEWI, pdf_bytes("c"), "c.pdf")
    async with deps.db.transaction() as s:
        mine = await review.waiting_for(s, deps.workspace, await world.member(AHMAD))
        everything = await review.waiting_for(s, deps.workspace, await world.member(SITI))
    assert [i.evidence_id for i in mine.items] == [early, late] and mine.total == 2
    assert everything.total == 3
