"""The coordinators' test world: the Banjar task force imported and registered, and evidence
files put straight into the store (as the intake would) when a test needs them fast."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from kla_bot.deps import Deps
from kla_bot.models import AuditEvent, Evidence, Member, OutboxMessage, Task
from tests.import_helpers import import_fixtures

# Who is who in tests/fixtures/anggota.csv (phone ends in the digit below).
SITI, AHMAD, RINA, BUDI, DEWI, YUSUF = 1, 2, 3, 4, 5, 6
NAMES = {SITI: "Hj. Siti Rahmah", AHMAD: "dr. Ahmad Fauzi", RINA: "Rina Marlina",
         BUDI: "Budi Santoso", DEWI: "Dewi Lestari", YUSUF: "Yusuf Maulana"}


def phone(n: int) -> str:
    return f"+628120000000{n}"


def user_id(n: int) -> int:
    """The Telegram user (and private chat) id a test gives member ``n``."""
    return 7000 + n


@dataclass
class World:
    deps: Deps
    ids: dict[int, int]  # fixture number → member id

    async def member(self, n: int) -> Member:
        async with self.deps.db.transaction() as s:
            found = await s.scalar(select(Member).where(Member.id == self.ids[n]))
            assert found is not None
            return found


async def seed(deps: Deps, *, register: tuple[int, ...] = (1, 2, 3, 4, 5, 6)) -> World:
    """Import the fixture files and link the chosen members to Telegram accounts."""
    await import_fixtures(deps)
    ids: dict[int, int] = {}
    async with deps.db.transaction() as s:
        for n in NAMES:
            member = await s.scalar(select(Member).where(Member.phone == phone(n)))
            assert member is not None
            ids[n] = member.id
            if n in register:
                member.telegram_user_id = user_id(n)
                member.chat_id = user_id(n)
                member.registered_at = deps.clock.now()
    return World(deps, ids)


def pdf_bytes(label: str) -> bytes:
    """A small valid-looking PDF whose bytes differ per label."""
    body = f"%PDF-1.4\n% {label}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
    return body.encode()


async def put_evidence(world: World, task_code: str, uploader: int, content: bytes,
                       name: str, at: datetime | None = None) -> int:
    """Store a file content-addressed and record it as submitted for a task (as intake does)."""
    deps = world.deps
    sha = hashlib.sha256(content).hexdigest()
    key = f"{sha[:2]}/{sha}"
    path = Path(deps.settings.storage.path) / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    now = at or deps.clock.now()
    async with deps.db.transaction() as s:
        task = await s.scalar(select(Task).where(Task.code_key == task_code.upper()))
        assert task is not None
        ev = Evidence(task_id=task.id, uploaded_by_id=world.ids[uploader], sha256=sha,
                      size_bytes=len(content), mime="application/pdf", original_name=name,
                      storage_key=key, state="submitted", uploaded_at=now)
        s.add(ev)
        await s.execute(update(Task).where(Task.id == task.id, Task.state == "open")
                        .values(state="submitted", updated_at=now))
        await s.flush()
        return ev.id


async def outbox_rows(deps: Deps, kind: str | None = None) -> list[OutboxMessage]:
    async with deps.db.transaction() as s:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind is not None:
            query = query.where(OutboxMessage.kind == kind)
        return list(await s.scalars(query))


async def audit_actions(deps: Deps) -> list[tuple[str, str, dict[str, Any]]]:
    async with deps.db.transaction() as s:
        rows = await s.scalars(select(AuditEvent).order_by(AuditEvent.id))
        return [(e.actor_label, e.action, e.details) for e in rows]


async def task_row(deps: Deps, code: str) -> Task:
    async with deps.db.transaction() as s:
        task = await s.scalar(select(Task).where(Task.code_key == code.upper()))
        assert task is not None
        return task


async def notify_coordinators(world: World, evidence_id: int) -> int:
    """Queue ``evidence.submitted`` for every coordinator of the file's cluster, in the shape
    the intake uses (see the team brief), so the sender delivers it with its buttons."""
    from kla_bot.services import outbox
    from kla_bot.services.members import coordinators_of
    from kla_bot.services.review import review_item

    deps = world.deps
    queued = 0
    async with deps.db.transaction() as s:
        item = await review_item(s, deps.workspace, evidence_id)
        for coordinator in await coordinators_of(s, deps.workspace, item.cluster):
            if coordinator.chat_id is None:
                continue
            queued += await outbox.enqueue(
                s, dedupe_key=f"evidence.submitted:{evidence_id}:{coordinator.id}",
                chat_id=coordinator.chat_id,
                recipient_id=coordinator.id, payload=item.payload(), now=deps.clock.now())
    return queued
