"""Files on the stand-in: content on disk by hash, Bot API file ids, downloads and their gates."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import shutil
import tempfile
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import unquote

from telegram import Document, PhotoSize

CHUNK_SIZE = 64 * 1024
FileKind = Literal["document", "photo"]
_ID_PREFIX = {"document": "BQACAgUAAxkBAAI", "photo": "AgACAgUAAxkBAAI"}
_PATH_DIR = {"document": "documents", "photo": "photos"}


@dataclass(frozen=True)
class Blob:
    """One content, stored once on disk under its sha256."""

    unique_id: str
    sha256: str
    path: Path
    size: int


@dataclass
class StoredFile:
    """One ``file_id``: a blob plus what Telegram says about it."""

    file_id: str
    blob: Blob
    kind: FileKind
    file_name: str | None = None
    mime_type: str | None = None
    claimed_size: int | None = None
    width: int = 0
    height: int = 0
    file_path: str | None = None

    @property
    def file_unique_id(self) -> str:
        return self.blob.unique_id

    @property
    def file_size(self) -> int:
        """The size Telegram reports: the claimed one if a test faked it, else the real one."""
        return self.claimed_size if self.claimed_size is not None else self.blob.size

    @property
    def path(self) -> Path:
        """Where the bytes are on disk."""
        return self.blob.path

    def read_bytes(self) -> bytes:
        return self.blob.path.read_bytes()

    def as_document(self) -> Document:
        return Document(
            file_id=self.file_id,
            file_unique_id=self.file_unique_id,
            file_name=self.file_name,
            mime_type=self.mime_type,
            file_size=self.file_size,
        )

    def as_photo_size(self) -> PhotoSize:
        return PhotoSize(
            file_id=self.file_id,
            file_unique_id=self.file_unique_id,
            width=self.width,
            height=self.height,
            file_size=self.file_size,
        )


@dataclass
class DownloadGate:
    """Holds a download after ``after_bytes`` bytes until :meth:`release` (crash tests)."""

    key: str
    after_bytes: int
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    _released: asyncio.Event = field(default_factory=asyncio.Event)

    def release(self) -> None:
        """Let the held download (and any later one) run to the end."""
        self._released.set()

    @property
    def released(self) -> bool:
        return self._released.is_set()

    async def wait_reached(self, within: float = 5.0) -> None:
        """Wait until a download is held at the gate."""
        async with asyncio.timeout(within):
            await self.reached.wait()

    async def _hold(self) -> None:
        self.reached.set()
        await self._released.wait()


class FileNotKnown(LookupError):
    """No file with this id or path."""


class FileStore:
    """Blobs under a directory (a temporary one by default), indexed by file id and path."""

    def __init__(self, directory: Path | None = None) -> None:
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if directory is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="kla-standin-")
            directory = Path(self._tmp.name)
        self.directory = directory
        (directory / "blobs").mkdir(parents=True, exist_ok=True)
        self._blobs: dict[str, Blob] = {}
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._counter = 0
        self.get_file_calls: Counter[str] = Counter()  # by file_unique_id
        self.downloads: Counter[str] = Counter()  # started downloads by file_unique_id
        self.download_started = asyncio.Event()
        self.gates: list[DownloadGate] = []

    # -- storing -------------------------------------------------------------------------
    def add_bytes(self, data: bytes) -> Blob:
        digest = hashlib.sha256(data).hexdigest()
        if digest not in self._blobs:
            target = self.directory / "blobs" / digest
            target.write_bytes(data)
            self._blobs[digest] = self._blob(digest, target, len(data))
        return self._blobs[digest]

    def add_path(self, source: Path) -> Blob:
        """Copy a (possibly big) file in, hashing it on the way, never all in memory."""
        hasher = hashlib.sha256()
        with source.open("rb") as f:
            while chunk := f.read(1024 * 1024):
                hasher.update(chunk)
        digest = hasher.hexdigest()
        if digest not in self._blobs:
            target = self.directory / "blobs" / digest
            shutil.copyfile(source, target)
            self._blobs[digest] = self._blob(digest, target, target.stat().st_size)
        return self._blobs[digest]

    @staticmethod
    def _blob(digest: str, path: Path, size: int) -> Blob:
        unique = base64.urlsafe_b64encode(bytes.fromhex(digest)[:9]).decode()
        return Blob(unique_id="AQAD" + unique, sha256=digest, path=path, size=size)

    def new_file(
        self,
        blob: Blob,
        kind: FileKind,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        claimed_size: int | None = None,
        width: int = 0,
        height: int = 0,
    ) -> StoredFile:
        """A fresh ``file_id`` for ``blob`` (same content, same ``file_unique_id``)."""
        self._counter += 1
        stored = StoredFile(
            file_id=f"{_ID_PREFIX[kind]}{self._counter:06d}{blob.sha256[:12]}",
            blob=blob,
            kind=kind,
            file_name=file_name,
            mime_type=mime_type,
            claimed_size=claimed_size,
            width=width,
            height=height,
        )
        self._by_id[stored.file_id] = stored
        return stored

    # -- lookups -------------------------------------------------------------------------
    def by_id(self, file_id: str) -> StoredFile:
        try:
            return self._by_id[file_id]
        except KeyError:
            raise FileNotKnown(file_id) from None

    def assign_path(self, stored: StoredFile) -> str:
        """The ``file_path`` getFile reports, e.g. ``documents/file_7.pdf``."""
        if stored.file_path is None:
            suffix = Path(stored.file_name or "").suffix or (
                ".jpg" if stored.kind == "photo" else ""
            )
            stored.file_path = f"{_PATH_DIR[stored.kind]}/file_{len(self._by_path)}{suffix}"
            self._by_path[stored.file_path] = stored
        return stored.file_path

    def by_path(self, file_path: str) -> StoredFile:
        """Accepts a bare ``file_path`` or the full URL PTB's ``File.file_path`` holds."""
        path = unquote(file_path)
        if "/file/bot" in path:
            path = path.split("/file/bot", 1)[1].split("/", 1)[1]
        try:
            return self._by_path[path.lstrip("/")]
        except KeyError:
            raise FileNotKnown(file_path) from None

    # -- downloads -----------------------------------------------------------------------
    def hold(self, key: str, after_bytes: int) -> DownloadGate:
        gate = DownloadGate(key=key, after_bytes=after_bytes)
        self.gates.append(gate)
        return gate

    def _gate_for(self, stored: StoredFile) -> DownloadGate | None:
        keys = {stored.file_unique_id, stored.file_id, stored.file_path}
        for gate in self.gates:
            if not gate.released and gate.key in keys:
                return gate
        return None

    async def iter_download(
        self, file_path: str, chunk_size: int = CHUNK_SIZE
    ) -> AsyncIterator[bytes]:
        """The file's bytes in chunks, pausing at a gate if a test set one."""
        stored = self.by_path(file_path)
        self.downloads[stored.file_unique_id] += 1
        self.download_started.set()
        gate = self._gate_for(stored)
        sent = 0
        with stored.path.open("rb") as f:
            while True:
                size = chunk_size
                if gate is not None and not gate.released:
                    if sent >= gate.after_bytes:
                        await gate._hold()
                    else:
                        size = min(size, gate.after_bytes - sent)
                data = f.read(size)
                if not data:
                    return
                sent += len(data)
                yield data

    def close(self) -> None:
        for gate in self.gates:
            gate.release()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
