"""Uploads while the operator imports 20,000 tasks: every one is recorded, none is lost to
"database is locked" (the import is another process, as ``python bot.py import`` is)."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kla_bot.models import Evidence, Task
from tests.conftest import ROOT
from tests.import_helpers import write_csv
from tests.members.conftest import World, pdf_bytes

ROWS = 20_000
MIN_UPLOADS = 30


@pytest.mark.slow
async def test_every_upload_is_recorded_while_a_20000_row_import_runs(
        world: World, tmp_path: Path) -> None:
    header = ["kode", "indikator", "judul", "poin", "penanggung_jawab", "tenggat", "catatan"]
    file = write_csv(tmp_path / "tugas-besar.csv", [header] + [
        [f"B-{i}", "19", f"Data dukung sekolah nomor {i}", "0.5", "0812-0000-0004", "", ""]
        for i in range(ROWS)])
    env = {k: v for k, v in os.environ.items() if not k.startswith("KLA_BOT_")}
    env.update(KLA_BOT_CONFIG=str(ROOT / "config.example.toml"),
               KLA_BOT_DATABASE_URL=world.deps.settings.database.url,
               KLA_BOT_NOW=world.clock.now().isoformat())
    user = world.user("Ani", 5001)
    await world.link("Ani", user)
    ani = world.chat(user)
    files = [pdf_bytes(text=f"upload {n}") for n in range(400)]

    started = time.monotonic()
    importer = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "bot.py"), "import", "tasks", str(file), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    sent, slowest = 0, 0.0
    while importer.returncode is None or sent < MIN_UPLOADS:
        before = time.monotonic()
        await world.do(ani.send_document(files[sent % len(files)] + str(sent).encode(),
                                         file_name=f"bukti-{sent}.pdf", caption="K3-17a"))
        slowest = max(slowest, time.monotonic() - before)
        sent += 1
    out, err = await importer.communicate()
    elapsed = time.monotonic() - started

    assert importer.returncode == 0, err.decode()
    assert out.decode().endswith("tugas: 20.000 baru, 0 diperbarui, 0 tidak berubah\n")
    async with world.deps.db.transaction() as s:
        recorded = await s.scalar(select(func.count()).select_from(Evidence))
        tasks = await s.scalar(select(func.count()).select_from(Task))
    assert (recorded, tasks) == (sent, ROWS + 3)
    print(f"\n{sent} uploads during a {ROWS}-row import of {elapsed:.1f} s; "
          f"slowest upload {slowest:.2f} s")
