"""``/alih`` (``/handover``): a member who will be away hands their tasks over; the cluster
coordinator picks who takes them in one tap; the reminders follow the new owner."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from handlers.remind import queue_due_now
from kla_bot.models import AuditEvent, Member, MemberCluster
from kla_bot.services import handover
from kla_bot.services.access import AccessDenied
from tests.both.conftest import Town
from tests.conftest import WITA


async def _add_eko(town: Town) -> None:
    """A second K3 member (not on the bot): one more choice for the coordinator."""
    deps, now = town.deps, town.clock.now()
    async with deps.db.transaction() as s:
        s.add(Member(regency_id=deps.workspace.regency_id, name="Eko", phone="+6281299990000",
                     agency="Dinas Sosial", role="member", created_at=now, updated_at=now,
                     clusters=[MemberCluster(cluster_code="K3")]))


async def test_request_tap_reassign_and_the_next_reminder_goes_to_the_new_owner(
        town: Town) -> None:
    await _add_eko(town)
    citra = await town.member("Citra")
    ani = await town.member("Ani")
    sent = (await ani.say("/alih dinas luar sampai Jumat"))[-1]
    assert "Permintaan pengalihan tugas sudah dikirim" in sent.text
    assert "Klaster K3: 2 tugas, kepada Citra" in sent.text
    await town.deliver()
    request = citra.last_with("meminta tugasnya")
    assert "Ani" in request.text and "dinas luar sampai Jumat" in request.text
    assert "K3-12" in request.text and "K3-17a" in request.text
    assert sorted(request.choices) == ["➡️ Citra", "➡️ Eko"]
    done = await citra.press(request, "Citra")
    assert "2 tugas Ani di klaster K3 (K3-12, K3-17a) dialihkan ke Citra" in done[-1].text
    for code in ("K3-12", "K3-17a"):
        assert (await town.task(code)).assignee_id == town.members["Citra"]
    await town.deliver()
    assert "dialihkan ke Citra" in ani.last_with("K3-17a").text
    assert "sekarang menjadi tanggung jawab Bapak/Ibu" in citra.last_with("K3-12").text
    # A second tap (or a second coordinator) finds nothing left to move.
    again = await citra.press(request, "Eko")
    assert (await town.task("K3-12")).assignee_id == town.members["Citra"]
    assert again == [] or "sudah tidak ada yang terbuka" in again[-1].text

    town.clock.set(datetime(2025, 5, 6, 8, 0, tzinfo=WITA))
    ani_before = len(ani.history())
    await queue_due_now(town.deps)
    await town.deliver()
    assert "K3-17a" in citra.last_with("Mengapa pesan ini").text
    assert not any("Mengapa pesan ini" in s.text for s in ani.history()[ani_before:])
    kenapa = "\n".join(s.text for s in await ani.say("/kenapa"))
    assert "tidak ada tugas Bapak/Ibu yang masih terbuka" in kenapa
    actions = await town.scalar(select(AuditEvent.action).where(
        AuditEvent.action == "handover.requested"))
    assert actions == "handover.requested"


async def test_nothing_to_hand_over_is_refused_politely(town: Town) -> None:
    dewi = await town.member("Dewi")
    answer = (await dewi.say("/handover cuti"))[-1]
    assert "tidak ada yang perlu dialihkan" in answer.text


async def test_no_coordinator_is_refused_politely(town: Town) -> None:
    budi = await town.member("Budi")  # K1 has no coordinator
    answer = (await budi.say("/alih sakit"))[-1]
    assert "belum punya koordinator" in answer.text


async def test_only_the_clusters_coordinator_can_approve(town: Town) -> None:
    """A forged choice (a member's, or another cluster's coordinator's) moves nothing."""
    world = town
    async with world.deps.db.transaction() as s:
        budi = await s.get(Member, world.members["Budi"])
        assert budi is not None
        with pytest.raises(AccessDenied):
            await handover.approve(s, world.deps.workspace, budi, world.members["Ani"], "K3",
                                   world.members["Budi"], world.clock.now())
    assert (await world.task("K3-12")).assignee_id == world.members["Ani"]
