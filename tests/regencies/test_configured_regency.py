"""The regency config.toml names: its settings come from the file when the file changed,
and otherwise stay as set since (in chat, or with ``bot.py regency set``)."""

from __future__ import annotations

from datetime import date

from kla_bot.clock import ManualClock
from kla_bot.config import Settings
from kla_bot.deps import create_deps
from kla_bot.services import regencies
from kla_bot.services.audit import Actor


async def _restart(settings: Settings, clock: ManualClock) -> tuple[date, str]:
    deps = await create_deps(settings, clock, migrate=False)
    try:
        home = await deps.regencies.home()
        assert deps.workspace.verification_date == home.verification_date
        assert deps.settings.verification.date == home.verification_date
        return home.verification_date, home.zone_label
    finally:
        await deps.db.dispose()


async def test_a_change_made_since_survives_a_restart_until_the_file_changes(
        settings: Settings, clock: ManualClock) -> None:
    deps = await create_deps(settings, clock, migrate=False)
    async with deps.db.transaction() as s:
        await regencies.change(s, deps.workspace.regency_id, "tanggal", "2025-06-02",
                               actor=Actor.system("test"), now=clock.now())
        await regencies.change(s, deps.workspace.regency_id, "zona", "WIT",
                               actor=Actor.system("test"), now=clock.now())
    await deps.db.dispose()
    # Restarted with the same config.toml: what was set since stays.
    assert await _restart(settings, clock) == (date(2025, 6, 2), "WIT")
    # The operator edits the file: the file is applied.
    edited = settings.replace(verification={"date": date(2025, 7, 1)})
    assert await _restart(edited, clock) == (date(2025, 7, 1), "WITA")
    assert await _restart(edited, clock) == (date(2025, 7, 1), "WITA")


async def test_the_regions_own_holidays_join_the_configured_ones(
        settings: Settings, clock: ManualClock) -> None:
    configured = settings.replace(reminders={"holidays": [date(2025, 5, 12)]})
    deps = await create_deps(configured, clock, migrate=False)
    try:
        async with deps.db.transaction() as s:
            other = await regencies.add(s, name="Kota Ambon", timezone="WIT",
                                        verification_date=date(2025, 5, 20),
                                        actor=Actor.system("test"), now=clock.now())
            await regencies.change(s, other.regency_id, "libur", "2025-05-13",
                                   actor=Actor.system("test"), now=clock.now())
            await regencies.change(s, deps.workspace.regency_id, "libur", "2025-05-14",
                                   actor=Actor.system("test"), now=clock.now())
        deps.regencies.forget()
        home = await deps.for_regency(deps.workspace.regency_id)
        ambon = await deps.for_regency(other.regency_id)
        # The configured regency's deps, with the holiday set since they were made.
        assert home.workspace == deps.workspace
        assert home.settings.reminders.holidays == [date(2025, 5, 12), date(2025, 5, 14)]
        assert await home.for_regency(None) is home  # nothing changed since: the same
        assert ambon.settings.reminders.holidays == [date(2025, 5, 13)]  # not Banjar's days
        assert str(ambon.settings.tz) == "Asia/Jayapura"
        assert ambon.workspace.regency == "Kota Ambon"
        # The same holiday given again takes it back off.
        async with deps.db.transaction() as s:
            _, after = await regencies.change(s, other.regency_id, "libur", "2025-05-13",
                                              actor=Actor.system("test"), now=clock.now())
        assert after.holidays == ()
    finally:
        await deps.db.dispose()
