"""Every benchmark of issue 12 in one command, printed as one markdown table.

    PYTHONPATH=. .venv/bin/python bench/run_all.py [--quick]

Each module in ``MODULES`` exposes ``rows(quick) -> [(what, result, goal), ...]``; they run
one after the other (each alone on the machine, as far as this command is concerned). A module
that is missing or raises gets one row naming it and its error, the others still run, and the
command then exits with 1, so a table with a hole in it never passes for a complete one.
``--quick``: smaller sizes where a module offers them (still the same databases).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

Row = tuple[str, str, str]  # what, result, goal

MODULES = (
    "bench.update_mix_bench",  # the update mix at 1/20/50 users vs an echo bot; cold start
    "bench.reply_fanout_bench",  # a reply's p95 during a 5,000-member fan-out; its rate
    "bench.national_status_bench",  # /status at national size, 50 coordinators at once
)
HEADER: Row = ("what", "result", "goal")


def collect(modules: Sequence[str], quick: bool) -> tuple[list[Row], list[str]]:
    """Every module's rows in order, or a row saying why it has none; the modules that
    failed."""
    rows: list[Row] = []
    failed: list[str] = []
    for name in modules:
        try:
            module = importlib.import_module(name)
            rows.extend(module.rows(quick))
        except Exception as error:  # one broken bench must not hide the others' numbers
            rows.append((name, f"FAILED: {type(error).__name__}: {error}", "runs"))
            failed.append(name)
    return rows, failed


def _cell(value: str) -> str:
    """A value that keeps the table's shape: no pipe, no line break."""
    return " ".join(str(value).split()).replace("|", "\\|")


def markdown(rows: Sequence[Row]) -> str:
    """The rows under the header, as a markdown table."""
    lines = [HEADER, ("---", "---", "---"), *rows]
    return "\n".join("| " + " | ".join(_cell(c) for c in line) + " |" for line in lines)


def main(argv: Sequence[str] | None = None, modules: Sequence[str] = MODULES) -> int:
    """Print the table; 1 when any module was missing or failed, else 0."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="smaller sizes where a benchmark offers them")
    args = parser.parse_args(argv)
    rows, failed = collect(modules, args.quick)
    print(markdown(rows))
    if failed:
        print(f"\n{len(failed)} of {len(modules)} benchmarks failed: {', '.join(failed)}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
