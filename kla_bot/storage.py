"""The evidence store: files kept once under their SHA-256, behind one interface.

A file is streamed chunk by chunk into a local temp folder (``<storage.path>/tmp/``), hashed
and counted as it arrives, flushed to disk and checked by content; only then is it kept under
its key ``<sha[:2]>/<sha>`` — moved atomically into the local folder (``FolderStore``, the
default) or uploaded to an S3-compatible bucket (``kla_bot.storage_s3.S3Store``), so several
machines share the files. A crash leaves at most a temp file, which start-up removes once it
is old enough that no other worker can still be writing it.

Every reader goes through the store: ``read`` (bytes to send), ``copy_to`` (the export),
``local`` (a path for the checks' sandbox: the file itself, or a temp copy of a remote one).
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import hashlib
import io
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from kla_bot.config import StorageSettings
from kla_bot.errors import Refusal
from kla_bot.validation import validate_file

TEMP_SUFFIX = ".part"
STALE_AFTER = timedelta(hours=1)
CHUNK = 1 << 20

# Reads a verified temp file before it is kept (file facts): (path, mime) -> facts.
Inspect = Callable[[Path, str], dict[str, Any] | None]


class Sink(Protocol):
    """Where a stored file's bytes are written (a file, a zip entry, a hashing writer)."""

    def write(self, data: bytes, /) -> int: ...


class StorageRefused(Refusal):
    """The file cannot be kept (too large, not an accepted type, damaged)."""


@dataclass(frozen=True)
class StoredFile:
    """A file safely in the store."""

    sha256: str
    size: int
    mime: str
    extension: str
    storage_key: str
    already_stored: bool  # the same bytes were in the store before
    notes: tuple[str, ...] = ()  # what the reviewer should know (validation.NOTE_*)
    facts: dict[str, Any] | None = None  # what ``inspect`` read from the file, if asked


def evidence_key(sha256: str) -> str:
    """The storage key of a file, relative to the store's root: ``<sha[:2]>/<sha>``."""
    return f"{sha256[:2]}/{sha256}"


def checked_key(key: str) -> str:
    """``key`` as stored (a bare SHA-256 works too). Keys come back from payloads and rows,
    so one that would leave the store's root is refused."""
    relative = Path(key if "/" in key else evidence_key(key))
    if relative.is_absolute() or ".." in relative.parts:
        raise ValueError(f"bad evidence key {key!r}")
    return relative.as_posix()


def evidence_path(root: Path, key: str) -> Path:
    """Where the folder store under ``root`` keeps the file of ``key``."""
    return root / checked_key(key)


class EvidenceStore(abc.ABC):
    """Content-addressed evidence files; temp files in a local ``spool`` folder.

    The blocking primitives (``exists``, ``copy_to``, ``discard``, ``keep_bytes``,
    ``read_bytes``, ``local_copy``) are for threads; async code uses ``receive``, ``read``
    and ``local``."""

    def __init__(self, spool: Path) -> None:
        self.tmp_dir = spool

    # -- what a backend provides -------------------------------------------------------
    @abc.abstractmethod
    def _keep(self, temp: Path, key: str, mime: str) -> bool:
        """Keep the verified ``temp`` file under ``key`` (consuming it); whether the key was
        there already (then nothing is written: a key is written once)."""

    @abc.abstractmethod
    def exists(self, key: str) -> bool:
        """Whether the store holds ``key``."""

    @abc.abstractmethod
    def copy_to(self, key: str, out: Sink) -> None:
        """Write the file's bytes to ``out``, streamed; FileNotFoundError when missing."""

    @abc.abstractmethod
    def discard(self, key: str) -> None:
        """Remove a stored file nobody refers to (a record that failed after keeping it)."""

    # -- shared ------------------------------------------------------------------------
    def _temp(self) -> Path:
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        return self.tmp_dir / f"{uuid.uuid4().hex}{TEMP_SUFFIX}"

    def read_bytes(self, key: str) -> bytes:
        """The whole file (small files: an import, a file to send)."""
        buffer = io.BytesIO()
        self.copy_to(key, buffer)
        return buffer.getvalue()

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        """A local path holding the file while the block runs (a temp copy, removed after)."""
        temp = self._temp()
        try:
            with temp.open("wb") as out:
                self.copy_to(key, out)
            yield temp
        finally:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()

    def keep_bytes(self, data: bytes, mime: str = "application/octet-stream") -> str:
        """Keep bytes made or read whole (an import file), content-addressed; the key."""
        key = evidence_key(hashlib.sha256(data).hexdigest())
        temp = self._temp()
        try:
            with temp.open("wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            self._keep(temp, key, mime)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
        return key

    async def read(self, key: str) -> bytes:
        """The file's bytes (FileNotFoundError when the store lacks it)."""
        return await asyncio.to_thread(self.read_bytes, checked_key(key))

    @contextlib.asynccontextmanager
    async def local(self, key: str) -> AsyncIterator[Path]:
        """``local_copy`` for async code (the copy is made in a thread)."""
        manager = self.local_copy(checked_key(key))
        path = await asyncio.to_thread(manager.__enter__)
        try:
            yield path
        finally:
            await asyncio.to_thread(manager.__exit__, None, None, None)

    async def receive(self, chunks: AsyncIterator[bytes], *, max_bytes: int,
                      inspect: Inspect | None = None) -> StoredFile:
        """Stream ``chunks`` into the store; StorageRefused (nothing left behind) when unfit.
        ``inspect`` reads the verified temp file before it is kept (no second download)."""
        temp = self._temp()
        digest = hashlib.sha256()
        size = 0
        loop = asyncio.get_running_loop()
        try:
            with temp.open("wb", buffering=0) as out:

                def sink(chunk: bytes) -> None:
                    digest.update(chunk)
                    out.write(chunk)

                # Hash and write chunk N in a thread while chunk N+1 arrives: never more
                # than two chunks in memory, and the disk work hides behind the network.
                pending: asyncio.Future[None] | None = None
                try:
                    async for chunk in chunks:
                        size += len(chunk)
                        if size > max_bytes:
                            raise StorageRefused("evidence.too_large")
                        if pending is not None:
                            await pending
                        pending = loop.run_in_executor(None, sink, chunk)
                finally:
                    if pending is not None:  # let the thread finish before the file closes
                        await asyncio.wait([pending])
                if pending is not None:
                    await pending
                # Flush to disk and check the content side by side: both only read the file.
                _, verdict = await asyncio.gather(
                    loop.run_in_executor(None, os.fsync, out.fileno()),
                    asyncio.to_thread(validate_file, temp))
            if not verdict.ok:
                raise StorageRefused(verdict.reason)
            facts = (await asyncio.to_thread(inspect, temp, verdict.mime)
                     if inspect is not None else None)
            sha = digest.hexdigest()
            key = evidence_key(sha)
            # Only once this returns is the file kept (moved, or uploaded in full): the
            # caller records it after that, never before.
            already = await asyncio.to_thread(self._keep, temp, key, verdict.mime)
            return StoredFile(sha, size, verdict.mime, verdict.extension, key, already,
                              verdict.notes, facts)
        except BaseException:
            # Cancelled, killed download, refused, disk full: no half file stays behind.
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
            raise

    def remove_stale_temp(self, now: datetime, older_than: timedelta = STALE_AFTER) -> int:
        """Delete temp files older than ``older_than`` (left by a crash); how many went."""
        if not self.tmp_dir.is_dir():
            return 0
        cutoff = (now - older_than).timestamp()
        removed = 0
        for path in self.tmp_dir.glob(f"*{TEMP_SUFFIX}"):
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
        return removed


class FolderStore(EvidenceStore):
    """The files under one local root folder, ``<root>/<sha[:2]>/<sha>`` (the default)."""

    def __init__(self, root: Path) -> None:
        super().__init__(root / "tmp")
        self.root = root

    def path_of(self, storage_key: str) -> Path:
        """Where a stored file lives."""
        return evidence_path(self.root, storage_key)

    def _keep(self, temp: Path, key: str, mime: str) -> bool:
        final = self.path_of(key)
        if final.exists():
            temp.unlink()
            return True
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temp, final)
        _fsync_dir(final.parent)
        return False

    def exists(self, key: str) -> bool:
        return self.path_of(key).is_file()

    def copy_to(self, key: str, out: Sink) -> None:
        with self.path_of(key).open("rb") as source:
            while chunk := source.read(CHUNK):
                out.write(chunk)

    def read_bytes(self, key: str) -> bytes:
        return self.path_of(key).read_bytes()

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        path = self.path_of(key)  # the file itself: nothing to copy
        if not path.is_file():
            raise FileNotFoundError(path)
        yield path

    def discard(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path_of(key).unlink()


def open_store(settings: StorageSettings) -> EvidenceStore:
    """The store the configuration names (``[storage] backend``)."""
    if settings.backend == "s3":
        from kla_bot.storage_s3 import S3Store  # boto3 loads only where it is used

        return S3Store.from_settings(settings)
    return FolderStore(Path(settings.path))


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX: fsync the directory)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
