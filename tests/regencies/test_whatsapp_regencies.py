"""WhatsApp with several regencies: a newcomer registers in the regency that lists their
number, and from then on sees that regency only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest
from sqlalchemy import select

from kla_bot.clock import ManualClock
from kla_bot.deps import Deps
from kla_bot.models import Member
from kla_bot.services import regencies
from kla_bot.services.audit import Actor
from kla_bot.standin_whatsapp import CloudApiStandin
from tests.reminders.seed import add_member, add_task
from tests.whatsapp.chat import ANI, WaChat, texts, wa_chat

SIKA = "6281300000077"  # listed in Kabupaten Sikka only


@pytest.fixture
async def cloud(clock: ManualClock) -> AsyncIterator[CloudApiStandin]:
    state = CloudApiStandin(clock.now)
    yield state
    state.assert_no_surprises()


@pytest.fixture
async def chat(deps: Deps, clock: ManualClock, cloud: CloudApiStandin) -> AsyncIterator[WaChat]:
    async with wa_chat(deps, clock, cloud) as world:
        yield world


async def _sikka(deps: Deps) -> int:
    now = deps.clock.now()
    async with deps.db.transaction() as s:
        profile = await regencies.add(s, name="Kabupaten Sikka", timezone="WITA",
                                      verification_date=date(2025, 6, 20),
                                      province="Nusa Tenggara Timur",
                                      actor=Actor.system("test"), now=now)
        member = await add_member(s, profile.workspace, now, name="Maria", clusters=("K3",))
        member.phone = f"+{SIKA}"
        await add_task(s, profile.workspace, now, code="K3-12c", assignee=member,
                       due=date(2025, 6, 18), title="Bukti posyandu Sikka")
    deps.regencies.forget()
    return profile.regency_id


async def test_a_number_listed_in_another_regency_registers_there(chat: WaChat) -> None:
    sikka = await _sikka(chat.deps)
    maria = chat.person("Maria", SIKA)
    sent = "\n".join(texts(await chat.says(maria, maria.text("halo"))))
    assert "Selamat datang, Maria" in sent
    assert "K3-12c" in sent and "Bukti posyandu Sikka" in sent
    assert "K3-17a" not in sent  # the configured regency's task is not hers
    asked = "\n".join(texts(await chat.says(maria, maria.text("tugas"))))
    assert "Bukti posyandu Sikka" in asked and "K3-17a" not in asked
    assert await chat.scalar(select(Member.regency_id).where(Member.name == "Maria")) == sikka
    # A member of the configured regency still sees their own.
    ani = chat.person("Ani", ANI)
    mine = "\n".join(texts(await chat.says(ani, ani.text("tugas"))))
    assert "K3-17a" in mine and "Sikka" not in mine

