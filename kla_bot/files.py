"""Where evidence bytes come from: a stream of chunks, never the whole file in memory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

import httpx


class FileSource(Protocol):
    def stream(self, file_path: str) -> AsyncIterator[bytes]:
        """The file's bytes, chunk by chunk."""
        ...

    async def aclose(self) -> None:
        """Release connections (at the application's shutdown)."""
        ...


class HttpFileSource:
    """Downloads from the Bot API's file endpoint (``base_file_url`` + token + path).

    One HTTP client for the application's life (opened at the first download, closed by
    :meth:`aclose` at shutdown): its connections are reused from file to file instead of a
    new client, TLS handshake and pool per file."""

    def __init__(self, base_file_url: str, token: str, chunk_size: int = 1024 * 1024) -> None:
        self._prefix = f"{base_file_url}{token}/"
        self._chunk_size = chunk_size
        self._client: httpx.AsyncClient | None = None

    def _shared_client(self) -> httpx.AsyncClient:
        if self._client is None or self._client.is_closed:
            self._client = httpx.AsyncClient(timeout=httpx.Timeout(30.0, read=120.0))
        return self._client

    async def stream(self, file_path: str) -> AsyncIterator[bytes]:
        url = file_path if file_path.startswith(("http://", "https://")) else (
            self._prefix + file_path)
        async with self._shared_client().stream("GET", url) as response:
            response.raise_for_status()
            async for chunk in response.aiter_bytes(self._chunk_size):
                yield chunk

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
