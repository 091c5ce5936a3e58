"""Run a check in a child process with a memory limit and a time limit.

Defense in depth: the checkers bound what they decode, and this bounds what a parser bug or a
trick nobody thought of can cost the bot. Children fork from a small server process that
imported the checkers once (multiprocessing's "forkserver"), so a check starts in a few
milliseconds and never forks the bot's threads. Linux only: elsewhere the check runs in-process.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import resource
import sys
import threading
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TypeVar

from kla_bot.validation import _forkserver

T = TypeVar("T")
log = logging.getLogger(__name__)

MEMORY_LIMIT = 200 * 1024 * 1024  # data the child may add to what it inherited
TIME_LIMIT_S = 20.0  # wall clock, generous for a busy one-CPU server; real files take < 1 s
CONCURRENT = 2  # two uploads checked at once; more wait their turn (memory is per child)

_slots = threading.BoundedSemaphore(CONCURRENT)
SUPPORTED = sys.platform.startswith("linux")
if SUPPORTED:
    _context = multiprocessing.get_context("forkserver")
    _context.set_forkserver_preload(["kla_bot.validation._forkserver",
                                     "kla_bot.validation.check"])
    _main_file = getattr(sys.modules["__main__"], "__file__", None)
    if _main_file:  # read by _forkserver when the server starts (it inherits the environment)
        os.environ[_forkserver.MAIN_PATH_VARIABLE] = os.path.normpath(_main_file)


class CheckCrashed(Exception):
    """The child died, ran out of memory or time, or raised: the message says how."""


def run_isolated(check: Callable[[Path], T], path: Path, *, memory: int = MEMORY_LIMIT,
                 timeout: float = TIME_LIMIT_S) -> T:
    """``check(path)`` in a fresh child; its result, or CheckCrashed."""
    if not SUPPORTED:
        return check(path)
    with _slots:
        receiver, sender = _context.Pipe(duplex=False)
        child = _context.Process(target=_child, args=(check, str(path), sender, memory,
                                                       int(timeout) + 1), daemon=True)
        try:
            child.start()
        except OSError:
            # No child to be had (process limit, no room for the server's socket): the
            # bounds in the checkers still hold, and refusing every upload would be worse.
            log.warning("evidence check runs in-process: no child process", exc_info=True)
            receiver.close()
            sender.close()
            return check(path)
        sender.close()
        try:
            if not receiver.poll(timeout):
                raise CheckCrashed(f"no verdict after {timeout:.0f} s")
            kind, value = receiver.recv()
        except EOFError:
            child.join(1)
            raise CheckCrashed(
                f"the checking process died (exit code {child.exitcode})") from None
        finally:
            if child.is_alive():
                child.kill()
            child.join()
            receiver.close()
    if kind == "error":
        raise CheckCrashed(value)
    result: T = value
    return result


def _child(check: Callable[[Path], object], path: str, sender: Connection, memory: int,
           cpu_s: int) -> None:
    try:
        data = _data_size()
        resource.setrlimit(resource.RLIMIT_DATA, (data + memory, data + memory))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
        sender.send(("ok", check(Path(path))))
    except BaseException:
        sender.send(("error", traceback.format_exc()))
    finally:
        sender.close()


def _data_size() -> int:
    """The child's data segment now (VmData): the limit is counted from here."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmData:"):
                return int(line.split()[1]) * 1024
    raise OSError("no VmData in /proc/self/status")
