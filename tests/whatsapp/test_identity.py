"""WhatsApp identity: a member is registered by their first message when the sender's number is
their imported phone; without a number they redeem an invite code; the 24-hour window and the
preferred channel follow their last message. Services only (no channel wired yet)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot.clock import ManualClock
from kla_bot.deps import Deps
from kla_bot.models import AuditEvent, Invite, Member, MemberAddress
from kla_bot.services import registration
from kla_bot.services.addresses import preferred_channel, within_window
from kla_bot.services.whatsapp_identity import Identified, identify, redeem_invite
from tests.import_helpers import FIXTURES, import_file

T = TypeVar("T")
# anggota.csv writes these four phones as 0812-…, +62 812 …, 62812-… and (0812) …
SITI, AHMAD, RINA, BUDI = "6281200000001", "6281200000002", "6281200000003", "6281200000004"
BSUID = "ID.1234567890123456"


@pytest.fixture
async def wa(deps: Deps, clock: ManualClock) -> WhatsAppWorld:
    await import_file(deps, "members", FIXTURES / "anggota.csv")
    return WhatsAppWorld(deps, clock)


class WhatsAppWorld:
    def __init__(self, deps: Deps, clock: ManualClock) -> None:
        self.deps, self.clock = deps, clock

    async def run(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        async with self.deps.db.transaction() as session:
            return await work(session)

    async def message(self, wa_id: str | None, user_id: str | None = None) -> Identified:
        return await self.run(lambda s: identify(s, self.deps.workspace, wa_id=wa_id,
                                                 user_id=user_id, now=self.clock.now()))

    async def redeem(self, code: str, wa_id: str | None, user_id: str | None) -> Identified:
        return await self.run(lambda s: redeem_invite(
            s, self.deps.workspace, code=code, wa_id=wa_id, user_id=user_id,
            now=self.clock.now()))

    async def invite(self, phone: str) -> str:
        code, _ = await self.run(lambda s: registration.create_invite(
            s, self.deps.workspace, phone=phone, created_by=None, now=self.clock.now()))
        return code

    async def snapshot(self) -> dict[str, Any]:
        """Everything identification may change."""
        async def read(s: AsyncSession) -> dict[str, Any]:
            return {
                "addresses": sorted((a.member_id, a.address, a.has_phone, a.reachable,
                                     a.last_inbound_at) for a in
                                    await s.scalars(select(MemberAddress))),
                "registered": sorted((m.name, m.registered_at) for m in
                                     await s.scalars(select(Member))),
                "invites": sorted((i.code, i.used_at) for i in await s.scalars(select(Invite))),
                "audit": await s.scalar(select(func.count()).select_from(AuditEvent)),
            }
        return await self.run(read)

    async def audits(self, action: str) -> list[AuditEvent]:
        return await self.run(lambda s: _all(s, select(AuditEvent).where(
            AuditEvent.action == action).order_by(AuditEvent.id)))

    async def address(self, wa_id: str) -> MemberAddress:
        found = await self.run(lambda s: s.scalar(select(MemberAddress).where(
            MemberAddress.address == wa_id)))
        assert found is not None
        return found


async def _all(session: AsyncSession, query: Any) -> list[Any]:
    return list(await session.scalars(query))


async def test_first_message_from_an_imported_number_registers_once(wa: WhatsAppWorld) -> None:
    first = await wa.message(SITI)
    assert first.member is not None and first.member.name == "Hj. Siti Rahmah"
    assert first.registered and first.reason is None
    assert first.member.registered_at == wa.clock.now()
    [event] = await wa.audits("member.registered")
    assert event.subject_id == str(first.member.id)
    assert event.details == {"channel": "whatsapp", "via": "phone"}

    wa.clock.advance(timedelta(hours=2))
    second = await wa.message(SITI)
    assert second.member is not None and second.member.id == first.member.id
    assert not second.registered
    assert len(await wa.audits("member.registered")) == 1
    address = await wa.address(SITI)
    assert address.has_phone and address.last_inbound_at == wa.clock.now()


async def test_every_written_form_of_a_phone_matches_the_wa_id(wa: WhatsAppWorld) -> None:
    names = {}
    for wa_id in (SITI, AHMAD, RINA, BUDI):  # 0812-…, +62 812 …, 62812-…, (0812) …
        found = await wa.message(wa_id)
        assert found.registered and found.member is not None
        names[wa_id] = found.member.name
    assert names == {SITI: "Hj. Siti Rahmah", AHMAD: "dr. Ahmad Fauzi",
                     RINA: "Rina Marlina", BUDI: "Budi Santoso"}


@pytest.mark.parametrize("wa_id", ["6281399999999", "12", "62812abc"])
async def test_a_number_of_nobody_changes_nothing(wa: WhatsAppWorld, wa_id: str) -> None:
    before = await wa.snapshot()
    assert await wa.message(wa_id) == Identified(None, "unknown_number")
    assert await wa.snapshot() == before


async def test_without_a_phone_number_an_invite_code_links_once(wa: WhatsAppWorld) -> None:
    before = await wa.snapshot()
    assert await wa.message(None, BSUID) == Identified(None, "needs_invite")
    assert await wa.snapshot() == before

    code = await wa.invite("0812-0000-0003")
    linked = await wa.redeem(f" {code.lower()} ", None, BSUID)
    assert linked.registered and linked.member is not None
    assert linked.member.name == "Rina Marlina"
    address = await wa.address(BSUID)
    assert not address.has_phone and address.member_id == linked.member.id
    [event] = await wa.audits("member.registered")
    assert event.details == {"channel": "whatsapp", "via": "invite"}

    again = await wa.message(None, BSUID)
    assert again.member is not None and again.member.id == linked.member.id
    same = await wa.redeem(code, None, BSUID)  # sent twice: harmless
    assert same.member is not None and not same.registered
    after = await wa.snapshot()
    assert await wa.redeem(code, None, "ID.someone-else") == Identified(None, "bad_invite")
    assert await wa.redeem("NOPE123", None, "ID.someone-else") == Identified(None, "bad_invite")
    assert await wa.snapshot() == after


async def test_an_account_linked_to_another_member_is_refused(wa: WhatsAppWorld) -> None:
    await wa.message(SITI)
    code = await wa.invite("0812-0000-0004")  # Budi's code, sent from Siti's WhatsApp
    before = await wa.snapshot()
    assert await wa.redeem(code, SITI, None) == Identified(None, "address_in_use")
    assert await wa.snapshot() == before

    await wa.message(BUDI)
    other = await wa.invite("0812-0000-0004")  # Budi has WhatsApp already; a second account
    before = await wa.snapshot()
    assert await wa.redeem(other, None, BSUID) == Identified(None, "linked_elsewhere")
    assert await wa.snapshot() == before


async def test_an_unreachable_address_is_reachable_again_on_inbound(wa: WhatsAppWorld) -> None:
    await wa.message(AHMAD)

    async def bounce(s: AsyncSession) -> None:
        address = await s.scalar(select(MemberAddress).where(MemberAddress.address == AHMAD))
        assert address is not None
        address.reachable, address.unreachable_since = False, wa.clock.now()
    await wa.run(bounce)

    wa.clock.advance(timedelta(days=1))
    found = await wa.message(AHMAD)
    assert found.member is not None and not found.registered
    address = await wa.address(AHMAD)
    assert address.reachable and address.unreachable_since is None
    [event] = await wa.audits("member.reachable_again")
    assert event.details == {"channel": "whatsapp"}
    await wa.message(AHMAD)  # reachable already: not audited again
    assert len(await wa.audits("member.reachable_again")) == 1


async def test_the_window_is_open_for_24_hours_after_the_last_message(
        wa: WhatsAppWorld) -> None:
    await wa.message(SITI)
    sent = wa.clock.now()
    address = await wa.address(SITI)
    assert within_window(address, sent)
    assert within_window(address, sent + timedelta(hours=23, minutes=59))
    assert not within_window(address, sent + timedelta(hours=24, seconds=1))
    assert not within_window(None, sent)

    wa.clock.advance(timedelta(hours=23))
    await wa.message(SITI)  # a new message moves the window
    assert within_window(await wa.address(SITI), sent + timedelta(hours=24, seconds=1))


async def test_the_preferred_channel_is_the_one_used_last(wa: WhatsAppWorld) -> None:
    async def preferred(wa_id: str) -> str:
        async def read(s: AsyncSession) -> str:
            member = await s.scalar(select(Member).where(Member.phone == f"+{wa_id}"))
            assert member is not None
            return preferred_channel(member, await s.scalars(select(MemberAddress).where(
                MemberAddress.member_id == member.id)))
        return await wa.run(read)

    async def telegram_start(s: AsyncSession) -> None:
        member = await s.scalar(select(Member).where(Member.phone == f"+{RINA}"))
        assert member is not None
        member.telegram_user_id, member.chat_id = 7003, 7003
        member.registered_at = wa.clock.now()
    await wa.run(telegram_start)

    assert await preferred(RINA) == "telegram"  # no WhatsApp yet
    assert await preferred(SITI) == "telegram"  # no address at all
    wa.clock.advance(timedelta(hours=1))
    await wa.message(RINA)
    assert await preferred(RINA) == "whatsapp"  # wrote on WhatsApp after Telegram
    await wa.message(SITI)
    assert await preferred(SITI) == "whatsapp"  # never on Telegram
