"""Several regencies in one deployment: reminders at each regency's own local times, and each
update handled in its sender's regency (their tasks, their settings, nobody else's)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import event, select

from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.channels.telegram.jobs import schedule_jobs
from kla_bot.clock import ManualClock
from kla_bot.deps import Deps
from kla_bot.domain import Who
from kla_bot.models import Member, OutboxMessage
from kla_bot.regency_directory import RegencyDirectory
from kla_bot.services import regencies
from kla_bot.services.audit import Actor
from kla_bot.services.regencies import RegencyProfile
from kla_bot.standin import BotApiStandin, deliver
from tests.reminders.helpers import IGNORE_PTB_DEPRECATION, app, stand, started_user
from tests.reminders.seed import add_member, add_task

__all__ = ["app", "stand"]
pytestmark = IGNORE_PTB_DEPRECATION

WIB, WITA, WIT = (ZoneInfo(z) for z in ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"))
VERIFICATION = date(2025, 5, 16)  # a Friday; 2025-05-09 (H-7) is a working day everywhere


async def _regency(deps: Deps, name: str, zone: str, province: str) -> RegencyProfile:
    async with deps.db.transaction() as s:
        profile = await regencies.add(
            s, name=name, verification_date=VERIFICATION, timezone=zone, province=province,
            actor=Actor.system("test"), now=deps.clock.now())
    deps.regencies.forget()
    return profile


async def _member_with_task(deps: Deps, stand: BotApiStandin, profile: RegencyProfile,
                            chat: int, name: str, code: str) -> None:
    started_user(stand, chat, name)
    ws, now = profile.workspace, deps.clock.now()
    async with deps.db.transaction() as s:
        member = await add_member(s, ws, now, name=name, chat_id=chat)
        await add_task(s, ws, now, code=code, assignee=member,
                       due=VERIFICATION - timedelta(days=2), title=f"Bukti {name}")


async def _three_zones(deps: Deps, stand: BotApiStandin) -> dict[str, int]:
    """Sleman (WIB), the configured Banjar (WITA), Jayapura (WIT): one member each."""
    sleman = await _regency(deps, "Kabupaten Sleman", "WIB", "DI Yogyakarta")
    jayapura = await _regency(deps, "Kabupaten Jayapura", "WIT", "Papua")
    banjar = await deps.regencies.home()
    chats = {"Sleman": 4001, "Banjar": 4002, "Jayapura": 4003}
    for profile, (name, chat) in zip((sleman, banjar, jayapura), chats.items(), strict=True):
        await _member_with_task(deps, stand, profile, chat, name, f"K3-{chat}")
    return chats


async def _digested(deps: Deps) -> list[int]:
    """The chats of the members a morning digest is queued for."""
    async with deps.db.transaction() as s:
        chats = await s.scalars(select(Member.chat_id).join(
            OutboxMessage, OutboxMessage.recipient_id == Member.id).where(
            OutboxMessage.kind == "reminder.digest"))
        return sorted(int(c or 0) for c in chats)


async def test_each_regency_is_reminded_at_its_own_local_morning(
        deps: Deps, app: KlaApplication, stand: BotApiStandin, clock: ManualClock) -> None:
    chats = await _three_zones(deps, stand)
    await schedule_jobs(app)
    assert app.job_queue is not None
    daily = {j.name: j for j in app.job_queue.jobs()
             if j.name and j.name.startswith("reminders:daily@08:00")}
    # One firing per zone at 08:00 local: the configured one keeps its old name.
    assert set(daily) == {"reminders:daily@08:00", "reminders:daily@08:00@Asia/Jakarta",
                          "reminders:daily@08:00@Asia/Jayapura"}
    for name, zone in [("reminders:daily@08:00", WITA),
                       ("reminders:daily@08:00@Asia/Jakarta", WIB),
                       ("reminders:daily@08:00@Asia/Jayapura", WIT)]:
        fires = daily[name].next_t
        assert fires is not None and fires.astimezone(zone).hour == 8

    # 08:00 in Jayapura is 07:00 in Banjar and 06:00 in Sleman: only Jayapura's turn.
    clock.set(datetime(2025, 5, 9, 8, 0, tzinfo=WIT))
    for job in daily.values():  # even if every zone's firing ran now, the day decides
        await job.run(app)
    assert await _digested(deps) == [chats["Jayapura"]]
    clock.set(datetime(2025, 5, 9, 8, 0, tzinfo=WITA))
    await daily["reminders:daily@08:00"].run(app)
    assert await _digested(deps) == [chats["Banjar"], chats["Jayapura"]]
    clock.set(datetime(2025, 5, 9, 8, 0, tzinfo=WIB))
    await daily["reminders:daily@08:00@Asia/Jakarta"].run(app)
    await daily["reminders:daily@08:00@Asia/Jayapura"].run(app)  # late again: nothing twice
    assert await _digested(deps) == sorted(chats.values())


async def test_a_member_sees_their_own_regency_only(
        deps: Deps, app: KlaApplication, stand: BotApiStandin, clock: ManualClock) -> None:
    chats = await _three_zones(deps, stand)
    clock.set(datetime(2025, 5, 9, 10, 0, tzinfo=WITA))
    jayapura = stand.users[chats["Jayapura"]].private
    await deliver(app, jayapura.send("/tugas"))
    text = jayapura.last_text()
    assert "Bukti Jayapura" in text
    assert "Bukti Sleman" not in text and "Bukti Banjar" not in text
    sleman = stand.users[chats["Sleman"]].private
    await deliver(app, sleman.send("/tugas"))
    assert "Bukti Sleman" in sleman.last_text() and "Bukti Jayapura" not in sleman.last_text()


async def test_the_countdown_follows_the_senders_regency(
        deps: Deps, app: KlaApplication, stand: BotApiStandin, clock: ManualClock) -> None:
    await _three_zones(deps, stand)
    jayapura = (await regencies_named(deps))["Kabupaten Jayapura"]
    async with deps.db.transaction() as s:
        await regencies.change(s, jayapura.regency_id, "tanggal", "2025-05-30",
                               actor=Actor.system("test"), now=deps.clock.now())
    deps.regencies.forget()
    now = deps.clock.now()
    for profile, chat_id in [(jayapura, 5003), (await deps.regencies.home(), 5002)]:
        started_user(stand, chat_id, f"Koordinator {chat_id}")
        async with deps.db.transaction() as s:
            await add_member(s, profile.workspace, now, name=f"Koordinator {chat_id}",
                             role="coordinator", chat_id=chat_id)
    clock.set(datetime(2025, 5, 9, 10, 0, tzinfo=WITA))
    for chat_id, left in [(5003, 21), (5002, 7)]:
        chat = stand.users[chat_id].private
        await deliver(app, chat.send("/status"))
        assert any(f"H-{left}" in text for text in chat.texts()), chat.texts()


async def regencies_named(deps: Deps) -> dict[str, RegencyProfile]:
    return {p.name: p for p in await deps.regencies.profiles()}


async def test_a_starting_worker_learns_every_members_regency_at_once(
        deps: Deps, stand: BotApiStandin) -> None:
    """Members' first updates after a start cost no query for their regency; someone who
    registers later is looked up once."""
    chats = await _three_zones(deps, stand)
    named = await regencies_named(deps)
    expected = {chats["Sleman"]: named["Kabupaten Sleman"].regency_id,
                chats["Banjar"]: named["Kabupaten Banjar"].regency_id,
                chats["Jayapura"]: named["Kabupaten Jayapura"].regency_id}
    starting = RegencyDirectory(deps.db, deps.settings, deps.workspace.regency_id)
    await starting.learn_senders()
    statements: list[str] = []

    def note(*args: object) -> None:
        statements.append(str(args[2]).split()[0])

    engine = deps.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        found = {chat: await starting.of_sender(Who.telegram(chat), None) for chat in expected}
        assert (found, statements) == (expected, [])
        async with deps.db.transaction() as s:
            await add_member(s, named["Kabupaten Sleman"].workspace, deps.clock.now(),
                             name="Baru", chat_id=4009)
        statements.clear()
        assert await starting.of_sender(Who.telegram(4009), None) == expected[chats["Sleman"]]
        assert await starting.of_sender(Who.telegram(4009), None) == expected[chats["Sleman"]]
        assert statements == ["SELECT"]
    finally:
        event.remove(engine, "before_cursor_execute", note)
