"""A cluster nobody coordinates: the import says so, and its uploads go to the secretariat."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from kla_bot.models import Member, MemberCluster, OutboxMessage
from tests.members.conftest import World, pdf_bytes


async def test_upload_for_a_cluster_without_coordinator_is_offered_to_the_secretariat(
        world: World) -> None:
    now: datetime = world.clock.now()
    async with world.deps.db.transaction() as s:
        eka = Member(regency_id=world.deps.workspace.regency_id, name="Eka", phone="+6281200000009",
                     agency="Bappeda", role="secretariat", created_at=now, updated_at=now,
                     chat_id=5009, telegram_user_id=5009, registered_at=now,
                     clusters=[MemberCluster(cluster_code="KL")])
        s.add(eka)
    budi_user = world.user("Budi", 5002)
    await world.link("Budi", budi_user)
    budi = world.chat(budi_user)
    await world.do(budi.send_document(pdf_bytes(text="akta"), file_name="akta.pdf",
                                      caption="K1-4"))
    assert "K1-4" in budi.last_text()
    citra_user = world.user("Citra", 5003)
    await world.link("Citra", citra_user)
    ani_user = world.user("Ani", 5001)
    await world.link("Ani", ani_user)
    await world.do(world.chat(ani_user).send_document(pdf_bytes(text="perbup"),
                                                      file_name="perbup.pdf", caption="K3-17a"))
    async with world.deps.db.transaction() as s:
        rows = list(await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    # K1 has no coordinator: the secretariat is offered the file; K3's coordinator gets K3's.
    recipients = [await world.scalar(select(Member.chat_id).where(Member.id == r.recipient_id))
                  for r in rows]
    assert [(r.kind, chat, r.payload["cluster"]) for r, chat in zip(rows, recipients,
                                                                   strict=True)] == [
        ("evidence.submitted", 5009, "K1"), ("evidence.submitted", 5003, "K3")]
