"""The one bench command assembles its table from every module, and a broken module neither
hides the others' rows nor lets the command pass."""

from __future__ import annotations

import sys
import types

import pytest

from bench import run_all


@pytest.fixture
def fake_benches(monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """Two importable bench modules: one that measures, one that breaks."""
    fine = types.ModuleType("fake_fine_bench")

    def fine_rows(quick: bool = False) -> list[tuple[str, str, str]]:
        size = "small" if quick else "full"
        return [(f"text p95 ({size})", "120 ms", "p95 < 300 ms"), ("a | b", "1\n2", "x")]

    fine.rows = fine_rows  # type: ignore[attr-defined]
    broken = types.ModuleType("fake_broken_bench")

    def broken_rows(quick: bool = False) -> list[tuple[str, str, str]]:
        raise ConnectionRefusedError("PostgreSQL is not there")

    broken.rows = broken_rows  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fake_fine_bench", fine)
    monkeypatch.setitem(sys.modules, "fake_broken_bench", broken)
    return "fake_fine_bench", "fake_broken_bench"


def test_every_module_gets_its_rows_or_a_row_naming_its_error(
        fake_benches: tuple[str, str]) -> None:
    fine, broken = fake_benches
    rows, failed = run_all.collect([broken, "bench.no_such_bench", fine], quick=True)
    assert failed == [broken, "bench.no_such_bench"]
    assert rows[0] == (broken, "FAILED: ConnectionRefusedError: PostgreSQL is not there", "runs")
    assert rows[1][0] == "bench.no_such_bench"
    assert rows[1][1].startswith("FAILED: ModuleNotFoundError:")
    assert rows[2] == ("text p95 (small)", "120 ms", "p95 < 300 ms")


def test_the_table_prints_and_a_failure_makes_the_command_fail(
        fake_benches: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    fine, broken = fake_benches
    assert run_all.main([], modules=[fine, broken]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        "| what | result | goal |",
        "| --- | --- | --- |",
        "| text p95 (full) | 120 ms | p95 < 300 ms |",
        "| a \\| b | 1 2 | x |",
        "| fake_broken_bench | FAILED: ConnectionRefusedError: PostgreSQL is not there | runs |",
    ]
    assert "1 of 2 benchmarks failed: fake_broken_bench" in err


def test_all_fine_passes(fake_benches: tuple[str, str],
                         capsys: pytest.CaptureFixture[str]) -> None:
    fine, _ = fake_benches
    assert run_all.main(["--quick"], modules=[fine]) == 0
    assert "text p95 (small)" in capsys.readouterr().out
