"""One contract, two backends: the local folder and an S3-compatible bucket (moto's server
on 127.0.0.1) keep, find, copy, hand out and discard evidence the same way."""

from __future__ import annotations

import asyncio
import hashlib
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kla_bot.config import StorageSettings
from kla_bot.storage import EvidenceStore, FolderStore, StorageRefused, evidence_key, open_store
from kla_bot.storage_s3 import S3Store
from tests.members.conftest import jpeg_bytes, pdf_bytes
from tests.s3 import object_keys, s3_endpoint, s3_storage  # noqa: F401


async def chunks(data: bytes, size: int = 1000) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i:i + size]


def leftovers(store: EvidenceStore) -> list[Path]:
    return list(store.tmp_dir.iterdir()) if store.tmp_dir.is_dir() else []


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> EvidenceStore:
    if request.param == "local":
        return open_store(StorageSettings(path=str(tmp_path / "ev")))
    storage = request.getfixturevalue("s3_storage")
    return open_store(StorageSettings(**storage))


async def test_a_file_is_kept_once_under_its_hash(store: EvidenceStore) -> None:
    data = pdf_bytes(2)
    sha = hashlib.sha256(data).hexdigest()
    first = await store.receive(chunks(data), max_bytes=10**6)
    assert (first.sha256, first.size, first.storage_key) == (sha, len(data), evidence_key(sha))
    assert not first.already_stored and first.mime == "application/pdf"
    again = await store.receive(chunks(data, 7), max_bytes=10**6)
    assert again.already_stored and again.storage_key == first.storage_key
    assert store.exists(first.storage_key) and await store.read(sha) == data
    assert leftovers(store) == []  # no temp file stays behind


async def test_readers_get_the_bytes_streamed_or_as_a_local_path(store: EvidenceStore) -> None:
    data = jpeg_bytes()
    stored = await store.receive(chunks(data), max_bytes=10**6)
    out = io.BytesIO()
    await asyncio.to_thread(store.copy_to, stored.storage_key, out)
    assert out.getvalue() == data
    async with store.local(stored.storage_key) as path:
        assert path.read_bytes() == data  # what the checks' sandbox and pywa's upload read
    assert leftovers(store) == []  # a remote file's temp copy is gone after


async def test_inspect_reads_the_verified_file_before_it_is_kept(store: EvidenceStore) -> None:
    seen: list[tuple[bytes, str]] = []

    def inspect(path: Path, mime: str) -> dict[str, str]:
        seen.append((path.read_bytes(), mime))
        return {"pages": "1"}

    data = pdf_bytes()
    stored = await store.receive(chunks(data), max_bytes=10**6, inspect=inspect)
    assert seen == [(data, "application/pdf")] and stored.facts == {"pages": "1"}


async def test_a_missing_file_is_file_not_found(store: EvidenceStore) -> None:
    key = evidence_key("ab" * 32)
    assert not store.exists(key)
    with pytest.raises(FileNotFoundError):
        await store.read(key)
    with pytest.raises(FileNotFoundError):
        async with store.local(key):
            pass
    assert leftovers(store) == []


async def test_refused_files_leave_nothing(store: EvidenceStore) -> None:
    with pytest.raises(StorageRefused) as refused:
        await store.receive(chunks(b"MZ" + b"\0" * 300), max_bytes=10**6)
    assert refused.value.key == "evidence.bad_type"
    with pytest.raises(StorageRefused):
        await store.receive(chunks(pdf_bytes(3)), max_bytes=100)
    assert leftovers(store) == []
    assert not store.exists(evidence_key(hashlib.sha256(b"MZ" + b"\0" * 300).hexdigest()))


async def test_keep_bytes_and_discard(store: EvidenceStore) -> None:
    data = b"kode,judul\nK3-12,Perbup\n"
    key = await asyncio.to_thread(store.keep_bytes, data)
    assert key == evidence_key(hashlib.sha256(data).hexdigest())
    assert await asyncio.to_thread(store.keep_bytes, data) == key  # written once, same key
    assert await store.read(key) == data
    store.discard(key)
    assert not store.exists(key)
    store.discard(key)  # discarding what is gone is fine


@pytest.mark.parametrize("key", ["../etc/passwd", "/etc/passwd", "ab/../../x"])
def test_keys_that_leave_the_store_are_refused(store: EvidenceStore, key: str) -> None:
    with pytest.raises(ValueError):
        store.exists(key)


def test_the_configured_backend_is_used(tmp_path: Path,
                                        s3_storage: dict[str, str]) -> None:  # noqa: F811
    assert isinstance(open_store(StorageSettings(path=str(tmp_path))), FolderStore)
    assert isinstance(open_store(StorageSettings(**s3_storage)), S3Store)


async def test_a_large_file_is_uploaded_in_parts_from_disk(
        tmp_path: Path, s3_storage: dict[str, str],  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond the multipart threshold the bytes go up part by part, read from the temp
    file: the upload never holds the file whole."""
    import kla_bot.storage_s3 as s3

    monkeypatch.setattr(s3, "TRANSFER", s3.TransferConfig(
        multipart_threshold=5 << 20, multipart_chunksize=5 << 20, max_concurrency=2))
    store = open_store(StorageSettings(**s3_storage))
    assert isinstance(store, S3Store)
    calls: list[str] = []
    store.client.meta.events.register(
        "before-call.s3.*", lambda model, **_: calls.append(model.name))
    data = pdf_bytes() + b"\n%" + b"x" * (6 << 20)  # a PDF with a long trailing comment
    stored = await store.receive(chunks(data, 1 << 20), max_bytes=20 << 20)
    assert "UploadPart" in calls and "PutObject" not in calls
    assert object_keys(s3_storage) == [stored.storage_key]
    assert await store.read(stored.storage_key) == data
