"""``python bot.py …`` in-process against this test's database, and a second regency."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kla_bot.cli import main
from kla_bot.db import Database
from kla_bot.models import AuditEvent, Member, Regency
from tests.conftest import ROOT

NOW = "2025-05-05T09:00:00+08:00"  # Monday of the Banjar coordination meeting, H-11


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


Cli = Callable[..., Awaitable[Ran]]


@pytest.fixture
def cli(tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> Cli:
    """``python bot.py ARGS`` as the operator runs it (parsing, exit status, stdout, stderr),
    on a configuration pointing at this test's database, the clock pinned at NOW."""
    config = tmp_path / "config.toml"
    config.write_text((ROOT / "config.example.toml").read_text(encoding="utf-8")
                      .replace('url = "sqlite+aiosqlite:///data/kla_bot.db"',
                               f'url = "{database_url}"')
                      .replace('path = "data/evidence"', f'path = "{tmp_path / "evidence"}"'),
                      encoding="utf-8")
    for name in [n for n in os.environ if n.startswith("KLA_BOT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("KLA_BOT_NOW", NOW)

    async def run(*args: str, language: str = "id") -> Ran:
        monkeypatch.setenv("KLA_BOT_BOT_LANGUAGE", language)
        capsys.readouterr()
        # main() runs its own event loop (asyncio.run): in a thread, beside this test's.
        code = await asyncio.to_thread(_exit_status, ["--config", str(config), *args])
        out, err = capsys.readouterr()
        return Ran(code, out, err)

    return run


def _exit_status(argv: list[str]) -> int:
    """What the process would exit with: main's answer, or argparse's on bad usage."""
    try:
        return main(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)


async def members_by_regency(database_url: str) -> dict[str, list[str]]:
    """Each regency's members' names, sorted (by Python: collations differ)."""
    db = Database(database_url)
    try:
        async with db.snapshot() as session:
            rows = await session.execute(select(Regency.name, Member.name).join(
                Member, Member.regency_id == Regency.id))
            found: dict[str, list[str]] = {}
            for regency, member in rows:
                found.setdefault(regency, []).append(member)
            return {regency: sorted(names) for regency, names in sorted(found.items())}
    finally:
        await db.dispose()


async def audit_count(database_url: str) -> int:
    db = Database(database_url)
    try:
        async with db.snapshot() as session:
            return await session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    finally:
        await db.dispose()
