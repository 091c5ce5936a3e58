"""What the end-to-end suites share: the operator's environment for ``bot.py``, a free port,
waiting for a condition with a ceiling, and stopping a child process."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path

from tests.conftest import ROOT

TOKEN = "987654321:E2E-secret-TOKEN-zyxwvutsrqponmlkji"


def operator_env(**settings: str) -> dict[str, str]:
    """The environment an operator runs ``bot.py`` in: no stray ``KLA_BOT_*`` settings, no
    proxies (everything is on 127.0.0.1), unbuffered output; then ``settings``."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("KLA_BOT_") and not k.lower().endswith("_proxy")}
    env.update(KLA_BOT_LOG_LEVEL="INFO", NO_PROXY="127.0.0.1", PYTHONUNBUFFERED="1")
    env.update(settings)
    return env


def telegram_env(tmp_path: Path, database_url: str, **settings: str) -> dict[str, str]:
    """:func:`operator_env` for a Telegram bot: the example configuration, the token in the
    environment, this test's database and evidence folder (``settings`` override them)."""
    return operator_env(**{"KLA_BOT_CONFIG": str(ROOT / "config.example.toml"),
                           "KLA_BOT_TOKEN": TOKEN, "KLA_BOT_DATABASE_URL": database_url,
                           "KLA_BOT_STORAGE_PATH": str(tmp_path / "evidence"), **settings})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def until(check: Callable[[], Awaitable[bool]], what: str, cap: float,
                explain: Callable[[], str]) -> None:
    """Poll ``check`` until it holds; after ``cap`` seconds fail with ``explain()`` (logs)."""
    deadline = asyncio.get_running_loop().time() + cap
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what} within {cap} s\n{explain()}")
        await asyncio.sleep(0.05)


async def stop(process: asyncio.subprocess.Process, cap: float,
               sig: int = signal.SIGTERM) -> int:
    """Signal the process (as an operator or systemd would) and wait; kill it after ``cap``."""
    if process.returncode is None:
        process.send_signal(sig)
        try:
            await asyncio.wait_for(process.wait(), cap)
        except TimeoutError:
            process.kill()
            await process.wait()
    return int(process.returncode or 0)
