"""Evidence downloads share one HTTP client for the application's life (closed at shutdown),
instead of opening a client, a pool and a TLS session per file."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from kla_bot import files
from kla_bot.files import HttpFileSource
from kla_bot.standin import BotApiStandin, StandinServer


async def test_one_client_for_every_download_closed_at_shutdown(
        monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[httpx.AsyncClient] = []
    real = httpx.AsyncClient

    def counting(*args: Any, **kwargs: Any) -> httpx.AsyncClient:
        made.append(real(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(files.httpx, "AsyncClient", counting)
    state = BotApiStandin(token="123456:TEST")
    try:
        async with StandinServer(state) as server:
            source = HttpFileSource(server.base_file_url, state.token, chunk_size=1000)
            bodies = [bytes([n]) * 5000 for n in range(3)]
            paths = [state.files.assign_path(state.user_file(b, "document", file_name=f"{n}.pdf"))
                     for n, b in enumerate(bodies)]
            for path, body in zip(paths, bodies, strict=True):
                assert b"".join([c async for c in source.stream(path)]) == body
            assert len(made) == 1  # one client, its connections reused
            await source.aclose()
            assert made[0].is_closed
            await source.aclose()  # twice is harmless
    finally:
        state.close()
