"""``python bot.py regency add|list|set``: the regencies one deployment serves, and
:func:`regency_deps`, how every data command (``import``, ``status``, ``export``, ``audit``,
``invite``, ``template``) works in the regency its ``--regency`` names."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from zoneinfo import ZoneInfo

from kla_bot.cli_text import cli_translator
from kla_bot.clock import Clock, clock_from_env, days_left
from kla_bot.config import Settings
from kla_bot.deps import Deps, create_deps
from kla_bot.i18n import Translator
from kla_bot.services import regencies
from kla_bot.services.audit import Actor
from kla_bot.services.regencies import RegencyCounts, RegencyProfile

CLI = Actor.system("cli")


@asynccontextmanager
async def regency_deps(args: argparse.Namespace, settings: Settings,
                       clock: Clock) -> AsyncIterator[Deps]:
    """The dependencies of the regency ``--regency`` names (the configured one without it),
    with the database closed on leaving; an unknown name is refused (exit 2)."""
    name: str | None = getattr(args, "regency", None)
    deps = await create_deps(settings, clock)
    try:
        if name is not None:
            async with deps.db.snapshot() as session:
                profile = await regencies.find(session, name)
            deps = deps.in_regency(profile)
        yield deps
    finally:
        await deps.db.dispose()


async def run_regency(args: argparse.Namespace, settings: Settings) -> int:
    """``regency add`` / ``list`` / ``set``: every change audited as the command line."""
    t = cli_translator(settings)
    async with regency_deps(args, settings, clock_from_env()) as deps:
        if args.action == "add":
            lines = await _add(deps, args, t)
        elif args.action == "set":
            lines = await _set(deps, args, t)
        else:
            lines = await _list(deps, t)
    print("".join(f"{line}\n" for line in lines), end="")
    return 0


async def _add(deps: Deps, args: argparse.Namespace, t: Translator) -> list[str]:
    async with deps.db.transaction() as session:
        before = await regencies.all_profiles(session)
        added = await regencies.add(
            session, name=args.name, verification_date=regencies.date_of(args.date),
            timezone=args.zone, target_predicate=args.target,
            last_score=regencies.score_of(args.last_score), province=args.province,
            actor=CLI, now=deps.clock.now())
    lines = [t.plain("cli.regency.added", name=added.name)]
    lines += _lines(deps, t, [added], {})
    lines += _restart_note(t, before, added)
    return lines


async def _set(deps: Deps, args: argparse.Namespace, t: Translator) -> list[str]:
    async with deps.db.transaction() as session:
        everyone = await regencies.all_profiles(session)
        found = await regencies.find(session, args.name)
        before, after = await regencies.change(session, found.regency_id, args.field,
                                               args.value, actor=CLI, now=deps.clock.now())
    key = regencies.FIELDS[args.field.strip().lower()]
    lines = [t.plain("cli.regency.changed", name=after.name,
                     field=t.plain(f"cli.regency.field.{key}"),
                     before=regencies.shown(before, key) or "-",
                     after=regencies.shown(after, key) or "-")]
    if key == "zone":
        lines += _restart_note(t, everyone, after)
    if key == "name" and after.regency_id == deps.regencies.home_id and before.name != after.name:
        # config.toml finds its regency by name: left as it is, the next start would create
        # a new, empty regency under the old name.
        lines.append(t.plain("cli.regency.rename_config", before=before.name, after=after.name))
    return lines


async def _list(deps: Deps, t: Translator) -> list[str]:
    async with deps.db.snapshot() as session:
        profiles = await regencies.all_profiles(session)
        counts = await regencies.counts(session)
    return _lines(deps, t, profiles, counts)


def _lines(deps: Deps, t: Translator, profiles: list[RegencyProfile],
           counts: dict[int, RegencyCounts]) -> list[str]:
    """One line per regency: name, province, verification day and H-n on its own calendar,
    zone, target, members and live tasks; the configured regency marked."""
    now = deps.clock.now()
    lines = []
    for p in profiles:
        left = days_left(now.astimezone(ZoneInfo(p.timezone)).date(), p.verification_date)
        count = counts.get(p.regency_id, RegencyCounts())
        home = t.plain("cli.regency.configured") if p.regency_id == deps.regencies.home_id \
            else ""
        lines.append(t.plain(
            "cli.regency.line", name=p.name,
            province=p.province or t.plain("cli.regency.no_province"),
            date=p.verification_date.isoformat(), countdown=t.countdown(left),
            zone=p.zone_label, target=p.target_predicate, members=count.members,
            tasks=count.live_tasks, configured=home))
    return lines


def _restart_note(t: Translator, running_for: list[RegencyProfile],
                  now_in: RegencyProfile) -> list[str]:
    """A running bot schedules its daily jobs per time zone when it starts (for the regencies
    ``running_for``): a zone it does not fire in yet needs one restart for that regency's
    reminders."""
    running = regencies.scheduled_zones([p.timezone for p in running_for])
    if now_in.timezone in running:
        return []
    return [t.plain("cli.regency.restart", name=now_in.name, zone=now_in.zone_label)]
