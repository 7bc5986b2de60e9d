"""Running the command line through its real entry points, in a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(
    *args: str, script: bool = False, columns: int | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    """``python -m cors_routes ARGS`` (or the installed ``cors-routes`` script), from the repo
    (or from ``cwd``; the package is importable from anywhere).

    The output is a pipe, so the terminal's width is ``columns`` (COLUMNS), else unknown.
    """
    if script:
        found = shutil.which("cors-routes") or str(Path(sys.executable).parent / "cors-routes")
        command = [found, *args]
    else:
        command = [sys.executable, "-m", "cors_routes", *args]
    env = environment(columns)
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def environment(columns: int | None = None) -> dict[str, str]:
    """The command line's environment: the checkout importable, colour and width unset (or
    the width ``columns``)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name in ("NO_COLOR", "COLUMNS", "LINES"):
        env.pop(name, None)
    if columns is not None:
        env["COLUMNS"] = str(columns)
    return env
