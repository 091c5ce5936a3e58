"""The demo workspace: Kabupaten Banjar's task force, 30 missing-evidence items, a sample PDF.

Everything lives under one folder (``demo-workspace`` by default): its own ``config.toml``, the
SQLite database, the evidence store and the files the console saves. It is rebuilt on every
run unless ``--keep``. The demo's clock starts at 09:00 local time today (or at
``KLA_BOT_NOW``, for reproducible transcripts) and only moves with ``:wait``.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

from kla_bot.clock import OffsetClock, SystemClock, days_left, local_today, pinned_moment
from kla_bot.config import Settings, load_settings
from kla_bot.console.scenes import write_import_files
from kla_bot.console.screen import Screen
from kla_bot.deps import create_deps
from kla_bot.domain import PREDICATE_THRESHOLDS
from kla_bot.errors import UserError
from kla_bot.services.imports import MEMBER_COLUMNS, TASK_COLUMNS, import_members, import_tasks
from kla_bot.tabular import Row, read_table

TIMEZONE = "Asia/Makassar"
REGENCY = "Kabupaten Banjar"
LAST_SCORE = 685
TARGET = "Nindya"
DAYS_TO_VERIFICATION = 11
MEMBER_PHONE = "0812-0000-0008"  # Budi Santoso, Dinas Kesehatan: four K3 items
COORDINATOR_PHONE = "0812-0000-0005"  # dr. Hendra Saputra, the K3 coordinator
SAMPLE_PDF = "contoh-perda-ktr.pdf"  # evidence for K3-17a (Perda Kawasan Tanpa Rokok)
SAMPLE_TASK = "K3-17a"
MARKER = ".kla-bot-demo"  # only a folder holding this file is ever wiped


@dataclass(frozen=True)
class DemoWorkspace:
    """What the console needs to open the demo."""

    directory: Path
    settings: Settings
    clock: OffsetClock
    files_dir: Path
    member_phone: str
    sample_pdf: Path

    def guide(self, screen: Screen) -> None:
        """The short on-screen guide: the case, who you are, what to try."""
        from kla_bot.scheduler import next_run_at

        now = self.clock.now().astimezone(self.settings.tz)
        next_digest = next_run_at(self.settings, now)
        days = (next_digest.date() - now.date()).days if next_digest else 1
        members, tasks = _demo_rows()
        screen.note("console.guide", style="", regency=self.settings.verification.regency,
                    vdate=self.settings.verification.date,
                    countdown=screen.t.countdown(days_left(now.date(),
                                                           self.settings.verification.date)),
                    today=now.date(), time=now, members=len(members),
                    tasks=len(tasks), points=sum((Decimal(r.get("points")) for r in tasks),
                                                 Decimal(0)),
                    gap=PREDICATE_THRESHOLDS[TARGET] - LAST_SCORE, target=TARGET,
                    pdf=str(_relative(self.sample_pdf)), task=SAMPLE_TASK,
                    coordinator=COORDINATOR_PHONE, member=MEMBER_PHONE,
                    wait=f"{max(days, 1)}d")
        screen.note("console_scenes.guide", style="")


def pinned_clock(env: dict[str, str] | None = None) -> OffsetClock | None:
    """A running clock that starts at ``KLA_BOT_NOW``, if it is set."""
    start = pinned_moment(env)
    return None if start is None else OffsetClock(start - SystemClock().now())


def demo_clock(tz: ZoneInfo, env: dict[str, str] | None = None) -> OffsetClock:
    """A clock at ``KLA_BOT_NOW``, else at 09:00 local time today (after the morning reminder
    time, so ``:wait 1d`` shows the next morning's); it then runs on, and ``:wait`` moves it."""
    pinned = pinned_clock(env)
    if pinned is not None:
        return pinned
    wall = SystemClock()
    start = datetime.combine(local_today(wall, tz), time(9, 0), tzinfo=tz)
    return OffsetClock(start - wall.now())


async def prepare(directory: Path, *, keep: bool) -> DemoWorkspace:
    """Reset (unless ``keep``) and fill the demo workspace; return how to open it."""
    clock = demo_clock(ZoneInfo(TIMEZONE))
    workspace, fresh = _lay_out(directory, keep, clock)
    if fresh:
        await load_demo_data(workspace.settings, clock)
    return workspace


def _lay_out(directory: Path, keep: bool, clock: OffsetClock) -> tuple[DemoWorkspace, bool]:
    """The folder, its config and the sample PDF; True when the data must be (re)loaded."""
    directory = directory.resolve()
    config = directory / "config.toml"
    fresh = not (keep and config.is_file())
    if fresh:
        _reset(directory)
        today = local_today(clock, ZoneInfo(TIMEZONE))
        config.write_text(demo_config(directory, today), encoding="utf-8")
    settings = load_settings(config, env={})  # the demo ignores KLA_BOT_* overrides
    sample = directory / SAMPLE_PDF
    shutil.copyfile(_data_dir() / SAMPLE_PDF, sample)
    # The spreadsheets the secretariat scene imports by message.
    write_import_files(directory, _data_dir() / "members.csv", _data_dir() / "tasks.csv")
    workspace = DemoWorkspace(directory, settings, clock, directory / "console-files",
                              MEMBER_PHONE, sample)
    return workspace, fresh


def _data_dir() -> Path:
    """The shipped demo files (a real folder: the package is installed from source)."""
    return Path(str(resources.files("kla_bot") / "data" / "demo"))


def _reset(directory: Path) -> None:
    if directory.exists():
        if any(directory.iterdir()) and not (directory / MARKER).exists():
            raise UserError("cli.demo.not_a_workspace", directory=directory, marker=MARKER)
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    (directory / MARKER).write_text("kla-bot demo workspace: deleted on every demo run\n",
                                    encoding="utf-8")


def demo_config(directory: Path, today: date) -> str:
    """The demo's configuration: Banjar, 685 points, Nindya, verification in 11 days."""
    database = json.dumps(f"sqlite+aiosqlite:///{directory / 'kla-bot.db'}")
    evidence = json.dumps(str(directory / "evidence"))
    verification = today + timedelta(days=DAYS_TO_VERIFICATION)
    return f"""# Written by `python bot.py demo`; rebuilt on every run unless --keep.
[bot]
token = ""
language = "id"

[database]
url = {database}

[storage]
path = {evidence}
max_file_mb = 20

[verification]
regency = "{REGENCY}"
name = "Verifikasi Lapangan Virtual KLA"
date = {verification.isoformat()}
timezone = "{TIMEZONE}"
last_score = {LAST_SCORE}
target_predicate = "{TARGET}"

[reminders]
daily_at = ["08:00"]
working_days = ["mon", "tue", "wed", "thu", "fri"]
holidays = []
countdown_days = [7, 3, 1, 0]
escalate_after_days = 1

[log]
level = "WARNING"
"""


async def load_demo_data(settings: Settings, clock: OffsetClock) -> None:
    """Import the demo task force and tasks with the same service as ``bot.py import``."""
    members, tasks = _demo_rows()
    deps = await create_deps(settings, clock)
    try:
        async with deps.db.transaction() as session:
            await import_members(session, deps.workspace, members, clock.now(),
                                 source="demo members.csv")
            await import_tasks(session, deps.workspace, tasks, clock.now(),
                               source="demo tasks.csv")
    finally:
        await deps.db.dispose()


def _demo_rows() -> tuple[list[Row], list[Row]]:
    data = _data_dir()
    return (read_table(data / "members.csv", MEMBER_COLUMNS),
            read_table(data / "tasks.csv", TASK_COLUMNS))


def _relative(path: Path) -> Path:
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path
