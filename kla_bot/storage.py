"""The evidence store: files kept once under their SHA-256, written temp-file-then-rename.

A file is streamed chunk by chunk into ``<root>/tmp/``, hashed and counted as it arrives,
flushed to disk, checked by content, and only then moved atomically to
``<root>/<sha[:2]>/<sha>``. A crash leaves at most a temp file, which start-up removes once it
is old enough that no other worker can still be writing it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from kla_bot.errors import Refusal
from kla_bot.validation import validate_file

TEMP_SUFFIX = ".part"
STALE_AFTER = timedelta(hours=1)


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


def evidence_key(sha256: str) -> str:
    """The storage key of a file, relative to the store's root: ``<sha[:2]>/<sha>``."""
    return f"{sha256[:2]}/{sha256}"


def evidence_path(root: Path, key: str) -> Path:
    """Where the store under ``root`` keeps the file of ``key`` (a bare SHA-256 works too).
    Keys come back from payloads and rows, so one that would leave the root is refused."""
    relative = Path(key if "/" in key else evidence_key(key))
    if relative.is_absolute() or ".." in relative.parts:
        raise ValueError(f"bad evidence key {key!r}")
    return root / relative


class EvidenceStore:
    """Content-addressed evidence files under one root folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp_dir = root / "tmp"

    def path_of(self, storage_key: str) -> Path:
        """Where a stored file lives."""
        return evidence_path(self.root, storage_key)

    async def receive(self, chunks: AsyncIterator[bytes], *, max_bytes: int) -> StoredFile:
        """Stream ``chunks`` into the store; StorageRefused (nothing left behind) when unfit."""
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        temp = self.tmp_dir / f"{uuid.uuid4().hex}{TEMP_SUFFIX}"
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
            sha = digest.hexdigest()
            key = evidence_key(sha)
            final = self.path_of(key)
            already = final.exists()
            if already:
                temp.unlink()
            else:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(temp, final)
                await asyncio.to_thread(_fsync_dir, final.parent)
            return StoredFile(sha, size, verdict.mime, verdict.extension, key, already,
                              verdict.notes)
        except BaseException:
            # Cancelled, killed download, refused, disk full: no half file stays behind.
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
            raise

    def discard(self, storage_key: str) -> None:
        """Remove a stored file nobody refers to (a record that failed after the move)."""
        with contextlib.suppress(FileNotFoundError):
            self.path_of(storage_key).unlink()

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


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX: fsync the directory)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
