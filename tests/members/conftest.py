"""A small task force, the stand-in and the real Application, for the members' tests."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfWriter
from telegram import Update

from kla_bot.channels.telegram.application import (
    build_application,
    start_application,
    stop_application,
)
from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.clock import ManualClock
from kla_bot.deps import Deps
from kla_bot.models import Member, MemberCluster, Task
from kla_bot.standin import (
    BotApiStandin,
    ChatDriver,
    StandinFileSource,
    StandinRequest,
    StandinUser,
    deliver,
)
from tests.seeded import SeededReads

ANI_PHONE, BUDI_PHONE, CITRA_PHONE, DEWI_PHONE = (
    "+6281200000001", "+6281200000002", "+6281200000003", "+6281200000004")


def pdf_bytes(pages: int = 1, text: str = "") -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(200, 200)
    if text:
        writer.add_metadata({"/Title": text})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def jpeg_bytes(color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), color).save(out, "JPEG")
    return out.getvalue()


@dataclass
class World(SeededReads):
    deps: Deps
    clock: ManualClock
    state: BotApiStandin
    app: KlaApplication
    members: dict[str, int]
    tasks: dict[str, int]

    def user(self, name: str, user_id: int, language: str = "id") -> StandinUser:
        return self.state.add_user(name, user_id=user_id, language_code=language)

    def chat(self, user: StandinUser) -> ChatDriver:
        return self.state.chat(user)

    async def do(self, update: Update) -> bool:
        """Deliver one user action to the bot and wait until it is handled."""
        return await deliver(self.app, update)

    async def link(self, member: str, user: StandinUser) -> None:
        """Register a member's Telegram account directly (tests that skip /start)."""
        async with self.deps.db.transaction() as s:
            row = await s.get(Member, self.members[member])
            assert row is not None
            row.telegram_user_id, row.chat_id = user.id, user.id
            row.registered_at = self.clock.now()

    def stored_files(self) -> list[Path]:
        """Files in the final store (the temp folder excluded)."""
        root = Path(self.deps.settings.storage.path)
        if not root.exists():
            return []
        return sorted(p for p in root.rglob("*")
                      if p.is_file() and p.relative_to(root).parts[0] != "tmp")


async def seed(deps: Deps, clock: ManualClock) -> tuple[dict[str, int], dict[str, int]]:
    """Ani (K3, two tasks), Budi (K1, one task), Citra (K3 coordinator), Dewi (no tasks)."""
    now = clock.now()
    people = [("Ani", ANI_PHONE, "Dinas Kesehatan", "member", ["K3"]),
              ("Budi", BUDI_PHONE, "Disdukcapil", "member", ["K1"]),
              ("Citra", CITRA_PHONE, "Bappeda", "coordinator", ["K3"]),
              ("Dewi", DEWI_PHONE, "Dinas Pendidikan", "member", ["K4"])]
    members: dict[str, int] = {}
    tasks: dict[str, int] = {}
    async with deps.db.transaction() as s:
        for name, phone, agency, role, clusters in people:
            m = Member(regency_id=deps.workspace.regency_id, name=name, phone=phone,
                       agency=agency, role=role, created_at=now, updated_at=now,
                       clusters=[MemberCluster(cluster_code=c) for c in clusters])
            s.add(m)
            await s.flush()
            members[name] = m.id
        for code, indicator, title, points, who, due in [
                ("K3-17a", 17, "Perbup Kawasan Tanpa Rokok", "2.5", "Ani", date(2025, 5, 14)),
                ("K3-12", 12, "Data persalinan di faskes 2024", "1.5", "Ani", date(2025, 5, 8)),
                ("K1-4", 4, "Data akta kelahiran anak", "3", "Budi", date(2025, 5, 14))]:
            t = Task(cycle_id=deps.workspace.cycle_id, code=code, code_key=code.upper(),
                     indicator_number=indicator, title=title, points=Decimal(points),
                     assignee_id=members[who], due_date=due, state="open",
                     created_at=now, updated_at=now)
            s.add(t)
            await s.flush()
            tasks[code] = t.id
    return members, tasks


@asynccontextmanager
async def members_world(deps: Deps, clock: ManualClock, tmp_path: Path) -> AsyncIterator[World]:
    """The seeded task force and the real Application on the Telegram stand-in."""
    state = BotApiStandin(token=deps.settings.bot.token, clock=clock.now,
                          file_dir=tmp_path / "standin")
    deps.file_source = StandinFileSource(state)
    app = build_application(deps, request=StandinRequest(state), rate_limit=False)
    await start_application(app, polling=False)
    members, tasks = await seed(deps, clock)
    yield World(deps, clock, state, app, members, tasks)
    await stop_application(app)
    state.close()
    assert not state.unexpected, state.unexpected


@pytest.fixture
async def world(deps: Deps, clock: ManualClock, tmp_path: Path) -> AsyncIterator[World]:
    async with members_world(deps, clock, tmp_path) as built:
        yield built


def later(clock: ManualClock, **delta: float) -> None:
    clock.advance(timedelta(**delta))
