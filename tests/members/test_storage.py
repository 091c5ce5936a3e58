"""The store and the content checks, without the chat."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kla_bot.storage import FolderStore, StorageRefused
from kla_bot.validation import validate_file
from tests import filemakers as fm
from tests.members.conftest import jpeg_bytes, pdf_bytes


async def chunks(data: bytes, size: int = 1000) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i:i + size]


def _zip(entries: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, text in entries.items():
            z.writestr(name, text)
    return out.getvalue()


HEIC = fm.image_bytes("HEIF")
DOCX, PPTX, XLS = fm.ooxml("docx"), fm.ooxml("pptx"), fm.xls()


@pytest.mark.parametrize(("data", "mime"), [
    (pdf_bytes(), "application/pdf"),
    (jpeg_bytes(), "image/jpeg"),
    (HEIC, "image/heic"),
    (DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (PPTX, "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    (XLS, "application/vnd.ms-excel"),
])
def test_accepted_by_content(tmp_path: Path, data: bytes, mime: str) -> None:
    path = tmp_path / "file.bin"
    path.write_bytes(data)
    verdict = validate_file(path)
    assert verdict.ok and verdict.mime == mime


@pytest.mark.parametrize(("data", "reason"), [
    (b"MZ" + b"\0" * 300, "evidence.bad_type"),
    (b"\x7fELF" + b"\0" * 300, "evidence.bad_type"),
    (_zip({"a.txt": "hi"}), "evidence.bad_type"),
    (b"Rar!\x1a\x07\x00" + b"\0" * 100, "evidence.bad_type"),
    (b"<html><script>alert(1)</script></html>", "evidence.bad_type"),
    (HEIC[:-10], "evidence.bad_image"),
    (pdf_bytes()[:200], "evidence.bad_pdf"),
    (b"", "evidence.empty_file"),
])
def test_refused_by_content(tmp_path: Path, data: bytes, reason: str) -> None:
    path = tmp_path / "file.pdf"
    path.write_bytes(data)
    assert validate_file(path).reason == reason


async def test_store_is_content_addressed_and_atomic(tmp_path: Path) -> None:
    store = FolderStore(tmp_path / "ev")
    data = pdf_bytes(2)
    first = await store.receive(chunks(data), max_bytes=10**6)
    sha = hashlib.sha256(data).hexdigest()
    assert (first.sha256, first.size, first.storage_key) == (sha, len(data), f"{sha[:2]}/{sha}")
    assert not first.already_stored and store.path_of(first.storage_key).read_bytes() == data
    again = await store.receive(chunks(data, 7), max_bytes=10**6)
    assert again.already_stored and again.storage_key == first.storage_key
    assert list(store.tmp_dir.iterdir()) == []


async def test_over_the_limit_stops_the_stream(tmp_path: Path) -> None:
    store = FolderStore(tmp_path / "ev")
    pulled = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal pulled
        while True:
            pulled += 1
            yield b"%PDF" + b"0" * 996

    with pytest.raises(StorageRefused) as refused:
        await store.receive(endless(), max_bytes=50_000)
    assert refused.value.key == "evidence.too_large" and pulled <= 51
    assert list(store.tmp_dir.iterdir()) == []


def test_stale_temp_files_are_removed_at_start(tmp_path: Path) -> None:
    store = FolderStore(tmp_path / "ev")
    store.tmp_dir.mkdir(parents=True)
    now = datetime(2025, 5, 5, 1, 0, tzinfo=UTC)
    old, fresh = store.tmp_dir / "a.part", store.tmp_dir / "b.part"
    for path, age in ((old, timedelta(hours=2)), (fresh, timedelta(minutes=5))):
        path.write_bytes(b"x")
        stamp = (now - age).timestamp()
        os.utime(path, (stamp, stamp))
    assert store.remove_stale_temp(now) == 1
    assert not old.exists() and fresh.exists()
