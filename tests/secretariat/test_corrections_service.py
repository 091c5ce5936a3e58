"""The corrections service on its own: propose keeps what it showed and writes nothing;
confirm writes exactly that (or refuses when the record moved); who may do what."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from kla_bot.deps import Deps
from kla_bot.models import Member
from kla_bot.services import correction_requests as r
from kla_bot.services import corrections
from kla_bot.services.access import AccessDenied
from kla_bot.services.corrections import Proposal
from tests.coordinators.helpers import (
    AHMAD,
    BUDI,
    RINA,
    SITI,
    YUSUF,
    World,
    outbox_rows,
    seed,
    task_row,
)


async def _propose(world: World, who: int, request: r.Request) -> Proposal:
    deps = world.deps
    async with deps.db.transaction() as s:
        member = await s.get(Member, world.ids[who])
        assert member is not None
        return await corrections.propose(s, deps.workspace, member, request, deps.clock.now())


async def _confirm(world: World, who: int, pending_id: int) -> Proposal:
    deps = world.deps
    async with deps.db.transaction() as s:
        member = await s.get(Member, world.ids[who])
        assert member is not None
        return await corrections.confirm(s, deps.workspace, member, pending_id,
                                         deps.clock.now(), deps.settings.tz)


async def test_propose_writes_nothing_and_confirm_writes_what_was_shown(deps: Deps) -> None:
    world = await seed(deps)
    shown = await _propose(world, SITI, r.EditTask("k3-17A", "points", Decimal("1.5")))
    assert (shown.kind, shown.subject, shown.before, shown.after) == (
        "points", "K3-17a", "5.00", "1.50")
    assert (await task_row(deps, "K3-17a")).points == Decimal(5)
    await _confirm(world, SITI, shown.pending_id)
    assert (await task_row(deps, "K3-17a")).points == Decimal("1.5")
    with pytest.raises(AccessDenied) as again:  # one confirmation per proposal
        await _confirm(world, SITI, shown.pending_id)
    assert again.value.key == "corrections.gone"


async def test_a_due_date_chosen_no_longer_follows_the_verification_date(deps: Deps) -> None:
    world = await seed(deps)
    task = await task_row(deps, "K3-15a")  # imported without a due date
    assert task.due_is_default
    shown = await _propose(world, SITI, r.EditTask("K3-15a", "due", date(2025, 5, 12)))
    await _confirm(world, SITI, shown.pending_id)
    task = await task_row(deps, "K3-15a")
    assert (task.due_date, task.due_is_default) == (date(2025, 5, 12), False)


async def test_confirm_refuses_when_the_record_moved(deps: Deps) -> None:
    world = await seed(deps)
    first = await _propose(world, SITI, r.EditTask("K3-17a", "title", "A"))
    second = await _propose(world, SITI, r.EditTask("K3-17a", "title", "B"))
    await _confirm(world, SITI, second.pending_id)
    with pytest.raises(AccessDenied) as stale:
        await _confirm(world, SITI, first.pending_id)
    assert stale.value.key == "corrections.stale"
    assert (await task_row(deps, "K3-17a")).title == "B"


@pytest.mark.parametrize(("who", "request_", "key"), [
    (RINA, r.CancelTask("K3-17a"), "access.coordinators_only"),
    (AHMAD, r.CancelTask("K4-19a"), "access.not_your_cluster"),
    (AHMAD, r.AddTask("K4-20", "19", "1", "0812-0000-0003", "", "SK"), "access.not_your_cluster"),
    # Budi is in K4 and K3: moving him is the secretariat's, not K3's coordinator's.
    (AHMAD, r.MoveMember("+6281200000004", ("K3",)), "members.invite_not_yours"),
    (AHMAD, r.MoveMember("+6281200000003", ("K4",)), "access.not_your_cluster"),
    (SITI, r.CancelTask("K9-1"), "corrections.unknown_task"),
    (SITI, r.MoveMember("+6281200000003", ("K3",)), "corrections.unchanged"),
    (SITI, r.AwayMember("+6281299999999", None), "start.unknown_phone"),
])
async def test_who_may_do_what(deps: Deps, who: int, request_: r.Request, key: str) -> None:
    world = await seed(deps)
    with pytest.raises(AccessDenied) as refused:
        await _propose(world, who, request_)
    assert refused.value.key == key


async def test_a_coordinator_marks_a_member_of_his_cluster_away_and_is_not_told_himself(
        deps: Deps) -> None:
    world = await seed(deps)
    shown = await _propose(world, AHMAD, r.AwayMember("+6281200000003", date(2025, 5, 9)))
    assert (shown.before, shown.after) == (None, "2025-05-09")
    await _confirm(world, AHMAD, shown.pending_id)
    told = [row.recipient_id for row in await outbox_rows(deps, "member.away")]
    assert told == [world.ids[YUSUF]]  # the other K3 coordinator; not Ahmad, not Budi


async def test_an_added_task_is_checked_by_the_import_rules(deps: Deps) -> None:
    world = await seed(deps)
    with pytest.raises(AccessDenied) as bad:
        await _propose(world, SITI, r.AddTask("K3 20", "17", "lima", "0812-9999-9999", "",
                                              "SK"))
    reasons: Any = bad.value.params["reasons"]
    assert {x.key for x in reasons} >= {"imports.reason.bad_code",
                                        "imports.reason.points_not_a_number",
                                        "imports.reason.assignee_not_member"}
    shown = await _propose(world, SITI, r.AddTask("K3-20", "17", "2", "0812-0000-0004", "",
                                                  "SK KTR"))
    assert shown.after["assignee"] == "Budi Santoso" and shown.after["due"] is None
    await _confirm(world, SITI, shown.pending_id)
    task = await task_row(deps, "K3-20")
    assert (task.assignee_id, task.due_is_default) == (world.ids[BUDI], True)
