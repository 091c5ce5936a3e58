"""Three regencies in one deployment, in the stand-in: Kabupaten Banjar (the configured one)
and Kota Banjarbaru in Kalimantan Selatan, Kota Ambon in Maluku; each with the Banjar task
force's members and tasks, and a province officer registered in Banjar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select, update

from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.deps import Deps
from kla_bot.domain import Role, TaskState
from kla_bot.models import Member, Task
from kla_bot.services import regencies
from kla_bot.services.audit import Actor
from kla_bot.services.regencies import RegencyProfile
from kla_bot.standin import BotApiStandin, SentMessage
from tests.coordinators.chat import ChatWorld, chat_world
from tests.coordinators.helpers import NAMES, phone
from tests.import_helpers import import_fixtures

PROVINCE = "Kalimantan Selatan"
BANJAR, BANJARBARU, AMBON = "Kabupaten Banjar", "Kota Banjarbaru", "Kota Ambon"
# Chat keys of people beside the Banjar task force (1–6 in tests.coordinators.helpers).
OFFICER = 90  # the province officer, a member of Banjar
BARU_SITI, BARU_RINA, AMBON_SITI = 91, 92, 93
OPERATOR = Actor.system("test")


@dataclass
class ProvinceWorld:
    cw: ChatWorld
    profiles: dict[str, RegencyProfile]

    @property
    def deps(self) -> Deps:
        return self.cw.world.deps

    async def say(self, who: int, text: str) -> list[SentMessage]:
        return await self.cw.say(who, text)

    async def set_state(self, regency: str, code: str, state: TaskState) -> None:
        """A task's state as its reviews would leave it (counted by /status)."""
        async with self.deps.db.transaction() as s:
            await s.execute(update(Task).where(
                Task.cycle_id == self.profiles[regency].cycle_id,
                Task.code_key == code.upper()).values(state=state.value))


async def province_world(app: KlaApplication, state: BotApiStandin) -> ProvinceWorld:
    cw = await chat_world(app, state)
    deps = cw.world.deps
    now = deps.clock.now()
    async with deps.db.transaction() as s:
        await regencies.change(s, deps.workspace.regency_id, "provinsi", PROVINCE,
                               actor=OPERATOR, now=now)
        await regencies.add(s, name=BANJARBARU, verification_date=date(2025, 6, 20),
                            timezone="WITA", target_predicate="Madya",
                            last_score=Decimal(550), province=PROVINCE, actor=OPERATOR,
                            now=now)
        await regencies.add(s, name=AMBON, verification_date=date(2025, 5, 30),
                            timezone="WIT", target_predicate="Utama", last_score=Decimal(760),
                            province="Maluku", actor=OPERATOR, now=now)
    deps.regencies.forget()
    profiles = {p.name: p for p in await deps.regencies.profiles()}
    for name in (BANJARBARU, AMBON):
        await import_fixtures(deps.in_regency(profiles[name]))
    # Registered on Telegram: Banjarbaru's secretariat and one member, Ambon's secretariat.
    for key, regency, n in ((BARU_SITI, BANJARBARU, 1), (BARU_RINA, BANJARBARU, 3),
                            (AMBON_SITI, AMBON, 1)):
        await _register(deps, profiles[regency].regency_id, phone(n), 7000 + key)
        user = state.add_user(f"{NAMES[n].split()[-1]} {regency}", user_id=7000 + key)
        user.started = True
        cw.chats[key] = state.chat(user)
    async with deps.db.transaction() as s:
        s.add(Member(regency_id=deps.workspace.regency_id, name="Ir. Hasanah",
                     phone="+6281200000099", agency="Bappeda Provinsi", role=Role.PROVINCE,
                     telegram_user_id=7000 + OFFICER, chat_id=7000 + OFFICER,
                     registered_at=now, created_at=now, updated_at=now))
    officer = state.add_user("Hasanah", user_id=7000 + OFFICER)
    officer.started = True
    cw.chats[OFFICER] = state.chat(officer)
    return ProvinceWorld(cw, profiles)


async def _register(deps: Deps, regency_id: int, number: str, user_id: int) -> None:
    async with deps.db.transaction() as s:
        member = await s.scalar(select(Member).where(Member.regency_id == regency_id,
                                                     Member.phone == number))
        assert member is not None
        member.telegram_user_id = member.chat_id = user_id
        member.registered_at = deps.clock.now()
