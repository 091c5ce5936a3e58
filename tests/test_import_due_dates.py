"""A task imported without a due date keeps "two days before the verification date" when the
operator corrects the date later; the bot warns when the verification date has passed."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from handlers.status import status_texts
from kla_bot.channels.telegram.application import (
    build_application,
    start_application,
    stop_application,
)
from kla_bot.clock import ManualClock
from kla_bot.config import Settings
from kla_bot.deps import Deps, create_deps
from kla_bot.i18n import translator
from kla_bot.models import Member, Task
from kla_bot.services.status import build_status
from kla_bot.services.status_view import status_for
from kla_bot.standin import BotApiStandin, StandinRequest
from kla_bot.status_text import render_status
from tests.import_helpers import FIXTURES, import_file, import_fixtures, snapshot, write_csv

EXAMPLE_DATE = date(2025, 5, 16)  # config.example.toml: the tasks are imported under it


async def _dues(deps: Deps) -> dict[str, tuple[date, bool]]:
    async with deps.db.transaction() as s:
        return {t.code: (t.due_date, t.due_is_default) for t in await s.scalars(select(Task))}


async def _restart_with(settings: Settings, clock: ManualClock, day: date) -> Deps:
    """What the next start does after the operator edits ``verification.date``."""
    return await create_deps(settings.replace(verification={"date": day}), clock, migrate=False)


async def test_default_due_dates_follow_a_corrected_verification_date(
        deps: Deps, settings: Settings, clock: ManualClock) -> None:
    await import_fixtures(deps)
    before = await _dues(deps)
    assert before["k3-15a"] == (EXAMPLE_DATE - timedelta(days=2), True)
    assert before["K3-17a"] == (date(2025, 5, 9), False)
    clock.set(clock.now() + timedelta(days=30))  # June: the example date is long past
    async with deps.db.transaction() as s:
        stale = await build_status(s, deps.workspace, settings, clock.now())
    assert stale.tasks.overdue == 8

    moved = await _restart_with(settings, clock, date(2025, 7, 25))
    try:
        after = await _dues(moved)
        assert after["k3-15a"] == after["K2-10a"] == (date(2025, 7, 23), True)
        assert {c: d for c, d in after.items() if not d[1]} == {
            c: d for c, d in before.items() if not d[1]}  # dates the file gave stay
        async with moved.db.transaction() as s:
            report = await build_status(s, moved.workspace, moved.settings, clock.now())
        assert report.tasks.overdue == 6  # the two default ones are no longer overdue
        # Importing the same file again under the new date changes nothing.
        state = await snapshot(moved)
        result = await import_file(moved, "tasks", FIXTURES / "tugas.csv")
        assert (result.created, result.updated, result.unchanged) == (0, 0, 8)
        assert await snapshot(moved) == state
    finally:
        await moved.db.dispose()


async def test_a_due_date_removed_from_the_file_becomes_the_default(
        deps: Deps, tmp_path: Path) -> None:
    await import_file(deps, "members", FIXTURES / "anggota.csv")
    header = ["kode", "indikator", "judul", "poin", "penanggung_jawab", "tenggat"]
    row = ["K3-1", "17", "Perda", "1", "0812-0000-0003"]
    await import_file(deps, "tasks", write_csv(tmp_path / "a.csv", [header, [*row, "2025-05-01"]]))
    assert await _dues(deps) == {"K3-1": (date(2025, 5, 1), False)}
    result = await import_file(deps, "tasks", write_csv(tmp_path / "b.csv", [header, [*row, ""]]))
    assert result.updated == 1
    assert await _dues(deps) == {"K3-1": (date(2025, 5, 14), True)}


async def test_status_warns_when_the_verification_date_has_passed(
        deps: Deps, settings: Settings, clock: ManualClock) -> None:
    await import_fixtures(deps)
    async with deps.db.transaction() as s:
        on_time = await build_status(s, deps.workspace, settings, clock.now())
    assert "PERINGATAN" not in render_status(on_time, translator("id"))
    clock.set(clock.now() + timedelta(days=20))
    async with deps.db.transaction() as s:
        report = await build_status(s, deps.workspace, settings, clock.now())
        siti = await s.scalar(select(Member).where(Member.role == "secretariat"))
        assert siti is not None
        view = await status_for(s, deps.workspace, settings, siti, clock.now())
    assert render_status(report, translator("id")).splitlines()[0] == (
        "PERINGATAN: tanggal verifikasi 2025-05-16 sudah lewat. Isi tanggal verifikasi "
        "berikutnya di konfigurasi (verification.date); tenggat bawaan tugas mengikutinya.")
    assert render_status(report, translator("en")).startswith(
        "WARNING: the verification date 2025-05-16 has passed.")
    chat = "\n".join(status_texts(view, translator("id"))).splitlines()
    assert chat[2] == ("⚠️ Tanggal verifikasi Jumat, 16 Mei 2025 sudah lewat. Minta operator "
                       "mengisi tanggal verifikasi berikutnya; tenggat bawaan tugas akan "
                       "mengikutinya.")


async def test_the_bot_logs_a_warning_at_start_when_the_date_has_passed(
        settings: Settings, clock: ManualClock, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    clock.set(clock.now() + timedelta(days=20))
    deps = await create_deps(settings, clock, migrate=False)
    standin = BotApiStandin(token=settings.bot.token, clock=clock.now,
                            file_dir=tmp_path / "standin")
    app = build_application(deps, request=StandinRequest(standin), rate_limit=False)
    with caplog.at_level(logging.WARNING):
        await start_application(app, polling=False)
    await stop_application(app)
    standin.close()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("verification.date 2025-05-16 has passed" in w for w in warnings), warnings
