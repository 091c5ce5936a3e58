"""The export reads evidence from an S3-compatible bucket (moto's server on 127.0.0.1) as it
does from the folder: the same files in the zip, a missing object reported, not fatal."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from kla_bot.config import Settings
from kla_bot.services import export
from kla_bot.storage_s3 import S3Store
from tests.coordinators.helpers import seed
from tests.coordinators.test_export import ID, _members, _scripted
from tests.s3 import s3_endpoint, s3_storage  # noqa: F401


@pytest.fixture
def settings(settings: Settings, s3_storage: dict[str, str]) -> Settings:  # noqa: F811
    return settings.replace(storage=s3_storage)


async def test_the_export_streams_files_from_the_bucket(deps: Any, tmp_path: Path) -> None:
    assert isinstance(deps.store, S3Store)
    world = await seed(deps)
    files = await _scripted(world)  # recorded rows; the bytes go to the bucket below
    keys = {name: await asyncio.to_thread(deps.store.keep_bytes, data)
            for name, data in files.items()}
    async with deps.db.transaction() as s:
        data = await export.collect(s, deps.workspace, deps.settings, None, True,
                                    deps.clock.now(), ID)
    result = export.write_archive(data, deps.store, tmp_path / "s3.zip", ID)
    assert result.files_written == 4 and result.problems == []
    assert set(files.values()) <= set(_members(result.parts[0]).values())  # byte for byte
    deps.store.discard(keys["akta.pdf"])
    again = export.write_archive(data, deps.store, tmp_path / "m.zip", ID)
    assert [(p.kind, p.file_name) for p in again.problems] == [("missing", "akta.pdf")]
