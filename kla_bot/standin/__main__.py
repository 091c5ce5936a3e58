"""``python -m kla_bot.standin --port P``: a standalone stand-in (benchmarks, other processes).

Prints ``STANDIN <base_url> <base_file_url>`` once listening; a JSON control API is served
under ``/_control/`` (add_user, add_group, send, send_document, press, block, stats, sent).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path

from kla_bot.standin.server import StandinServer
from kla_bot.standin.state import BotApiStandin


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m kla_bot.standin", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--token", default="123456:STANDIN")
    parser.add_argument("--bot-username", default="kla_test_bot")
    parser.add_argument("--file-dir", type=Path, default=None)
    parser.add_argument(
        "--rate-limit",
        type=float,
        default=None,
        metavar="PER_SECOND",
        help="enforce flood limits: this many messages/s overall, 1/s per chat, 20/min per group",
    )
    parser.add_argument(
        "--no-require-start",
        action="store_true",
        help="let the bot write first to users who never wrote to it",
    )
    return parser.parse_args(argv)


async def _run(args: argparse.Namespace) -> None:
    state = BotApiStandin(token=args.token, bot_username=args.bot_username, file_dir=args.file_dir)
    state.require_start = not args.no_require_start
    if args.rate_limit is not None:
        state.enforce_rate_limits(global_per_second=args.rate_limit)
    server = StandinServer(state, port=args.port, control=True)
    await server.start()
    print(f"STANDIN {server.base_url} {server.base_file_url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await server.stop()
        state.close()


def main(argv: list[str] | None = None) -> int:
    asyncio.run(_run(_parse(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
