"""The child process the checks run in: a memory limit, a time limit, and any failure turned
into a refusal with a reason and a WARNING carrying the traceback."""

from __future__ import annotations

import logging
import os
import signal
from pathlib import Path

import pytest

import kla_bot.validation as validation
from kla_bot.validation import validate_file
from kla_bot.validation.sandbox import CheckCrashed, run_isolated
from kla_bot.validation.verdict import Validation
from tests import filemakers as fm


def swallow_a_gigabyte(path: Path) -> Validation:
    chunks = [bytearray(64 * 1024 * 1024) for _ in range(16)]
    return Validation(True, extension=str(len(chunks)))


def die(path: Path) -> Validation:
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable")


def hang(path: Path) -> Validation:
    import threading
    threading.Event().wait()
    raise AssertionError("unreachable")


def explode(path: Path) -> Validation:
    raise ZeroDivisionError("a parser bug")


@pytest.fixture
def some_file(tmp_path: Path) -> Path:
    path = tmp_path / "berkas"
    path.write_bytes(fm.plain_pdf())
    return path


def test_a_check_over_its_memory_budget_is_stopped(some_file: Path) -> None:
    with pytest.raises(CheckCrashed, match="MemoryError"):
        run_isolated(swallow_a_gigabyte, some_file)


def test_a_dead_child_is_reported(some_file: Path) -> None:
    with pytest.raises(CheckCrashed, match="died"):
        run_isolated(die, some_file)


def test_a_hanging_check_is_killed_at_its_time_limit(some_file: Path) -> None:
    with pytest.raises(CheckCrashed, match="no verdict"):
        run_isolated(hang, some_file, timeout=0.3)


def test_the_childs_traceback_comes_back(some_file: Path) -> None:
    with pytest.raises(CheckCrashed, match="ZeroDivisionError: a parser bug"):
        run_isolated(explode, some_file)


@pytest.mark.parametrize("isolated", [True, False])
def test_an_unexpected_error_is_a_refusal_with_a_warning(
        some_file: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        isolated: bool) -> None:
    monkeypatch.setattr(validation, "check_file", explode)
    with caplog.at_level(logging.WARNING, logger="kla_bot.validation"):
        verdict = validate_file(some_file, isolated=isolated)
    assert (verdict.ok, verdict.reason) == (False, "evidence.check_failed")
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert "ZeroDivisionError: a parser bug" in caplog.text  # the traceback, not just a line
    assert "Traceback" in caplog.text


def main_module_name(path: Path) -> str:
    import sys
    return str(sys.modules["__main__"].__name__)


def test_the_child_does_not_run_the_main_script_again(some_file: Path) -> None:
    """multiprocessing would re-run it (bot.py: the whole bot) in every child: ~0.5 s each."""
    assert run_isolated(main_module_name, some_file) == "__main__"  # not "__mp_main__"


def process_id(path: Path) -> int:
    return os.getpid()


def test_without_a_child_process_the_check_runs_in_process(
        some_file: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    from kla_bot.validation import sandbox

    def no_more_processes(self: object) -> None:
        raise BlockingIOError("Resource temporarily unavailable")

    assert run_isolated(process_id, some_file) != os.getpid()
    monkeypatch.setattr(sandbox._context.Process, "start", no_more_processes)
    with caplog.at_level(logging.WARNING):
        assert run_isolated(process_id, some_file) == os.getpid()
    assert "no child process" in caplog.text
