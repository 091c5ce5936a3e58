"""WhatsApp outbound: outbox rows go by the channel the member used last; on WhatsApp inside the
24-hour window as free-form messages in WhatsApp's markup, outside it as the kind's template
with a ``cmd:`` quick-reply button (or held until the member writes); the Cloud API's errors
and limits lose nothing. In-process against the Cloud API stand-in, on the test's clock."""

from __future__ import annotations

import argparse
import hashlib
import json
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select

from kla_bot.channels.telegram.sender import sender_of
from kla_bot.channels.whatsapp.client import graph_session, make_client
from kla_bot.channels.whatsapp.outbox import PAIR_INTERVAL, THROUGHPUT, WhatsAppOutbox, serve_outbox
from kla_bot.cli_data import run_status
from kla_bot.clock import ManualClock, local_today
from kla_bot.deps import Deps
from kla_bot.models import Member, MemberAddress
from kla_bot.pacing import Pacer
from kla_bot.services import outbox
from kla_bot.services.outbox_kinds import OutboxKind, ReviewAccepted
from kla_bot.standin_whatsapp import CloudApiStandin, RateLimits, create_standin_app
from tests.reminders.seed import add_member
from tests.whatsapp.outbound_world import (
    OutboundWorld,
    digest,
    evidence_card,
    settings,
    world,
)

__all__ = ["settings", "world"]  # the fixtures

SITI, RINA, AHMAD = "6281200000001", "6281200000003", "6281200000002"


async def test_a_digest_inside_the_window_is_free_form_with_whatsapp_markup_and_buttons(
        world: OutboundWorld) -> None:
    rina = await world.member("Rina", wa_id=RINA)
    user = world.user("Rina", RINA)
    await world.writes(rina, user)
    await world.queue("d1", rina, digest("K3-17a", "K3-18a"))
    assert await world.drain() == 1
    (sent,) = world.cloud.transcript(user)
    assert sent.type == "interactive"
    assert "<b>" not in sent.text and "*" in sent.text and "K3-17a" in sent.text
    assert [data for data, _ in sent.choices] == ["tk:send:1", "tk:send:2"]
    (row,) = await world.rows()
    assert (row.state, row.channel, row.chat, row.template) == ("sent", "whatsapp", RINA, None)
    assert row.message_ids == sent.message_id
    assert world.telegram.sent == []


async def test_outside_the_window_a_digest_is_its_template_in_the_members_language(
        world: OutboundWorld) -> None:
    rina = await world.member("Rina Marlina", wa_id=RINA)
    siti = await world.member("Siti", wa_id=SITI, language="en")
    rina_user, siti_user = world.user("Rina", RINA), world.user("Siti", SITI)
    await world.writes(rina, rina_user)
    world.clock.advance(timedelta(hours=24))  # the window closes at exactly 24 hours
    await world.queue("d-rina", rina, digest("K3-17a", "K3-18a", more=1))
    await world.queue("d-siti", siti, digest("K3-19a"))
    assert await world.drain() == 2
    (to_rina,), (to_siti,) = world.cloud.transcript(rina_user), world.cloud.transcript(siti_user)
    assert (to_rina.type, to_rina.text) == ("template", "kla_pengingat_harian")
    template = to_rina.payload["template"]
    assert template["language"]["code"] == "id"
    body, button = template["components"]
    assert [p["text"] for p in body["parameters"]] == [
        "Rina Marlina", "H-11", "Jumat, 16 Mei 2025", "3", "Jumat, 9 Mei 2025 (4 hari lagi)",
        # a row stored without a reason: the same rule, applied to the tasks it lists
        "2 tugas Bapak/Ibu belum dikirim; tenggat terdekat 4 hari lagi"]
    assert (button["type"], button["sub_type"].lower(), int(button["index"])) == (
        "button", "quick_reply", 0)
    assert button["parameters"] == [{"type": "payload", "payload": "cmd:tugas"}]
    assert to_siti.payload["template"]["language"]["code"] == "en"
    assert all("\n" not in p and "  " not in p for p in to_siti.template_parameters)
    assert {(r.channel, r.template) for r in await world.rows()} == {
        ("whatsapp", "kla_pengingat_harian")}


async def test_a_configured_template_name_is_used(world: OutboundWorld,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    whatsapp = world.deps.settings.whatsapp
    assert whatsapp is not None
    monkeypatch.setitem(whatsapp.templates, OutboxKind.REVIEW_ACCEPTED, "kla_disetujui_v2")
    budi = await world.member("Budi", wa_id=RINA)
    user = world.user("Budi", RINA)
    await world.queue("r1", budi, ReviewAccepted(
        evidence_id=1, task_code="K3-17a", task_title="Perda KTR",
        file_name="perda.pdf", points=Decimal(1), reviewer="dr. Ahmad"))
    assert await world.drain() == 1
    (sent,) = world.cloud.transcript(user)
    assert sent.text == "kla_disetujui_v2"
    assert sent.template_parameters[:5] == ["Budi", "perda.pdf", "K3-17a", "dr. Ahmad", "1"]


async def test_a_new_file_card_outside_the_window_waits_then_goes_when_they_write(
        world: OutboundWorld) -> None:
    ahmad = await world.member("dr. Ahmad", wa_id=AHMAD, role="coordinator")
    user = world.user("Ahmad", AHMAD)
    data = b"%PDF-1.4 evidence"
    sha = hashlib.sha256(data).hexdigest()
    path = world.deps.storage_dir / sha[:2] / sha
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    await world.queue("e1", ahmad, evidence_card(f"{sha[:2]}/{sha}", sha, len(data)))
    assert await world.drain() == 0
    (row,) = await world.rows()
    assert row.state == "waiting" and "24-hour window" in (row.last_error or "")
    assert world.cloud.transcript(user) == []
    world.clock.advance(timedelta(hours=3))
    assert await world.drain() == 0  # still waiting: nobody claims it
    assert await world.writes(ahmad, user) == 1
    assert await world.drain() == 1
    document, card = world.cloud.transcript(user)
    assert document.type == "document"
    assert world.cloud.media[document.payload["document"]["id"]].content == data
    assert card.type == "interactive" and "K3-17a" in card.text
    assert len(card.choices) >= 2  # accept / reject
    (row,) = await world.rows()
    assert row.state == "sent" and row.message_ids == f"{document.message_id} {card.message_id}"


async def test_the_channel_used_last_gets_the_message(world: OutboundWorld) -> None:
    both = await world.member("Budi", wa_id=RINA, chat_id=1001)
    user = world.user("Budi", RINA)
    await world.queue("d1", both, digest("K3-17a"))
    assert await world.drain() == 1  # registered on Telegram, never wrote on WhatsApp
    assert [m.chat_id for m in world.telegram.sent] == [1001]
    world.clock.advance(timedelta(minutes=1))
    await world.writes(both, user)  # WhatsApp is now the channel used last
    await world.queue("d2", both, digest("K3-18a"))
    assert await world.drain() == 1
    assert len(world.telegram.sent) == 1 and len(world.cloud.transcript(user)) == 1
    assert [(r.channel, r.chat) for r in await world.rows()] == [
        ("telegram", "1001"), ("whatsapp", RINA)]


async def test_not_a_whatsapp_user_is_unreachable_coordinators_told_once_rest_held(
        world: OutboundWorld) -> None:
    await world.member("dr. Ahmad", chat_id=2001, role="coordinator")
    gone = await world.member("Rina", wa_id=RINA)  # no such WhatsApp user: 131026
    for n in range(3):
        await world.queue(f"d{n}", gone, digest(f"K3-1{n}a"))
    assert await world.drain() == 1  # the coordinators' notice
    rows = await world.rows()
    assert [r.state for r in rows[:3]] == ["unreachable", "pending", "pending"]
    assert rows[0].last_error == "unreachable: not_whatsapp_user"
    assert not (await world.address(gone)).reachable
    (notice,) = world.telegram.sent
    assert notice.chat_id == 2001 and "Rina" in notice.plain
    assert "tidak terdaftar di WhatsApp" in notice.plain
    world.clock.advance(timedelta(hours=1))
    assert await world.drain() == 0  # held: nothing more is tried, nobody told again
    assert len(world.telegram.sent) == 1 and len(await world.rows()) == 4
    # Once they write (their number is on WhatsApp after all) everything goes out.
    user = world.user("Rina", RINA)
    assert await world.writes(gone, user) == 1
    assert await world.drain() == 3
    assert len(world.cloud.transcript(user)) == 3


async def test_an_unreachable_whatsapp_falls_back_to_telegram_without_telling_anyone(
        world: OutboundWorld) -> None:
    await world.member("dr. Ahmad", chat_id=2001, role="coordinator")
    both = await world.member("Budi", wa_id=RINA, chat_id=1001)
    async with world.deps.db.transaction() as s:  # WhatsApp used last, but not a user there
        member = await s.get(Member, both.id)
        assert member is not None
        member.registered_at = world.clock.now() - timedelta(days=1)
    address_time = world.clock.now()
    async with world.deps.db.transaction() as s:
        address = await s.scalar(select(MemberAddress))
        assert address is not None
        address.last_inbound_at = address_time
    await world.queue("d1", both, digest("K3-17a"))
    assert await world.drain() == 1
    assert [m.chat_id for m in world.telegram.sent] == [1001]  # Budi's, no notice to Ahmad
    (row,) = await world.rows()
    assert (row.state, row.channel) == ("sent", "telegram")


async def test_a_closed_window_the_bot_did_not_know_of_goes_as_the_template(
        world: OutboundWorld) -> None:
    rina = await world.member("Rina", wa_id=RINA)
    user = world.user("Rina", RINA)
    await world.writes(rina, user)
    user.last_inbound = world.clock.now() - timedelta(days=2)  # the Cloud API knows better
    await world.queue("d1", rina, digest("K3-17a"))
    await world.queue("d2", rina, digest("K3-18a"))
    assert await world.drain() == 2
    assert [m.type for m in world.cloud.transcript(user)] == ["template", "template"]
    assert [r.template for r in await world.rows()] == ["kla_pengingat_harian"] * 2


async def test_rate_limits_are_waited_out_and_each_message_goes_once(
        world: OutboundWorld) -> None:
    rina = await world.member("Rina", wa_id=RINA)
    user = world.user("Rina", RINA)
    await world.writes(rina, user)
    world.cloud.rate_limits = RateLimits(per_second=0)  # 130429: the number's throughput
    await world.queue("d1", rina, digest("K3-17a"))
    assert await world.drain() == 0
    (row,) = await world.rows()
    assert (row.state, row.attempts) == ("pending", 0) and "130429" in (row.last_error or "")
    world.cloud.rate_limits = RateLimits(per_recipient=1)  # 131056: one per user per 6 s
    world.clock.advance(timedelta(seconds=2))
    await world.queue("d2", rina, digest("K3-18a"))
    assert await world.drain() == 1  # d1; d2 waits for the pair limit
    assert [r.state for r in await world.rows()] == ["sent", "pending"]
    world.clock.advance(timedelta(seconds=6))
    assert await world.drain() == 1
    assert len(world.cloud.transcript(user)) == 2
    assert [r.state for r in await world.rows()] == ["sent", "sent"]


async def test_status_json_counts_the_templates_sent(
        world: OutboundWorld, capsys: pytest.CaptureFixture[str]) -> None:
    for name, wa_id in (("Rina", RINA), ("Siti", SITI)):
        member = await world.member(name, wa_id=wa_id)
        world.user(name, wa_id)
        await world.queue(f"d-{name}", member, digest("K3-17a"))
    assert await world.drain() == 2
    capsys.readouterr()
    await run_status(argparse.Namespace(json=True), world.deps.settings)
    report = json.loads(capsys.readouterr().out)
    assert report["whatsapp"] == {"templates_sent": 2,
                                  "by_template": {"kla_pengingat_harian": 2}}
    await run_status(argparse.Namespace(json=False), world.deps.settings)
    assert "Templat WhatsApp terkirim (ditagih per pesan): 2 (kla_pengingat_harian 2)" in (
        capsys.readouterr().out)


async def test_a_whatsapp_only_bot_sends_without_a_telegram_application(
        deps: Deps, cloud: CloudApiStandin, clock: ManualClock) -> None:
    assert deps.settings.whatsapp is not None
    async with deps.db.transaction() as s:
        rina = await add_member(s, deps.workspace, clock.now(), name="Rina")
        s.add(MemberAddress(member_id=rina.id, channel="whatsapp", address=RINA, has_phone=True,
                            reachable=True, last_inbound_at=None, created_at=clock.now()))
        await outbox.enqueue(s, dedupe_key="d1", recipient_id=rina.id, payload=digest("K3-17a"),
                             now=clock.now(), day=local_today(clock, deps.settings.tz),
                             tz=deps.settings.tz)
    user = cloud.add_user("Rina", RINA)
    transport = httpx.ASGITransport(app=create_standin_app(cloud))
    async with graph_session(deps.settings.whatsapp, transport) as session:
        sender = serve_outbox(deps, make_client(deps.settings.whatsapp, session), paced=False)
        assert set(sender.channels) == {"whatsapp"}
        assert await sender.drain() == 1
    assert [m.type for m in cloud.transcript(user)] == ["template"]


async def test_pacing_keeps_six_seconds_between_messages_to_one_user_others_go_first(
        world: OutboundWorld) -> None:
    async def sleep(seconds: float) -> None:  # time passes on the test's clock only
        world.clock.advance(timedelta(seconds=seconds))

    adapter = sender_of(world.app).channels["whatsapp"]
    assert isinstance(adapter, WhatsAppOutbox)
    adapter.pacer = Pacer(per_window=THROUGHPUT, window=1.0, chat_interval=PAIR_INTERVAL,
                          monotonic=lambda: world.clock.now().timestamp(), sleep=sleep)
    world.cloud.rate_limits = RateLimits(per_recipient=1)  # the stand-in refuses a 2nd in 6 s
    rina, siti = await world.member("Rina", wa_id=RINA), await world.member("Siti", wa_id=SITI)
    users = {RINA: world.user("Rina", RINA), SITI: world.user("Siti", SITI)}
    for member, user in ((rina, users[RINA]), (siti, users[SITI])):
        await world.writes(member, user)
    start = world.clock.now()
    await world.queue("r1", rina, digest("K3-17a"))
    await world.queue("r2", rina, digest("K3-18a"))
    await world.queue("s1", siti, digest("K3-19a"))
    assert await world.drain() == 3
    sent = [(m.to, (m.at - start).total_seconds()) for m in world.cloud.sent]
    assert [to for to, _ in sent] == [RINA, SITI, RINA]  # Siti need not wait behind Rina
    assert sent[2][1] - sent[0][1] >= PAIR_INTERVAL
    assert [r.state for r in await world.rows()] == ["sent"] * 3
