"""Smoke run of ``python -m benchmarks --instructions`` (instruction counts under valgrind).

Opt-in, as it starts two valgrind processes (about 20 s on a quiet 2-core machine): set
``CORS_ROUTES_BENCH_SMOKE=1``. Skipped where valgrind is not installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.skipif(
        os.environ.get("CORS_ROUTES_BENCH_SMOKE") != "1",
        reason="instruction-count smoke run: set CORS_ROUTES_BENCH_SMOKE=1",
    ),
    pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed"),
]

SIMPLE_GET = "simple GET /items, allowed Origin: cors_routes / no CORS"
COMMAND = [sys.executable, "-m", "benchmarks", "--instructions", "--quick", "--only", "simple-get"]


def _table_rows(output: str) -> dict[str, list[str]]:
    """Markdown table rows, by their first cell."""
    rows = {}
    for line in output.splitlines():
        if line.startswith("| ") and not line.startswith("| ---"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            rows[cells[0]] = cells[1:]
    return rows


def _count(cell: str) -> int:
    return int(cell.replace(",", ""))


def test_quick_instruction_run_prints_positive_counts_and_their_ratio() -> None:
    done = subprocess.run(
        [*COMMAND, "--variants", "no CORS,cors_routes"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,  # a guard against a hung valgrind, not a performance bound
    )
    assert done.returncode == 0, done.stderr
    assert "Code measured: working tree" in done.stdout
    rows = _table_rows(done.stdout)
    # columns: no CORS, CORSMiddleware, cors_routes, install(), ratio, target, met?
    none, middleware, routes, install, ratio, target, met = rows[SIMPLE_GET]
    assert (middleware, install) == ("", "")
    # A GET through FastAPI costs some hundred thousand instructions: far from 0 (a failed
    # count) and from the billions of a whole process (start-up that did not cancel).
    for cell in (none, routes):
        assert 10_000 < _count(cell) < 10_000_000, cell
    assert abs(float(ratio) - _count(routes) / _count(none)) < 0.001
    assert (target, met in ("yes", "NO")) == ("<= 1.03", True)
    # Only what was asked for is reported: no CORSMiddleware or install() rows.
    assert not [case for case in rows if "CORSMiddleware" in case or "install()" in case]
