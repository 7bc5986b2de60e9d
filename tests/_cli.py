"""Running the command line through its real entry points, in a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(
    *args: str, script: bool = False, columns: int | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m cors_routes ARGS`` (or the installed ``cors-routes`` script), from the repo.

    The output is a pipe, so the terminal's width is ``columns`` (COLUMNS), else unknown.
    """
    if script:
        found = shutil.which("cors-routes") or str(Path(sys.executable).parent / "cors-routes")
        command = [found, *args]
    else:
        command = [sys.executable, "-m", "cors_routes", *args]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": ""}
    env.pop("NO_COLOR")
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    if columns is not None:
        env["COLUMNS"] = str(columns)
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )
