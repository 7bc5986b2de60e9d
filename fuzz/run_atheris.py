"""Run the parser fuzz target under atheris, with coverage instrumentation on cors_routes only.

Instrumenting every loaded module (Starlette, the standard library) would make start-up
slow and each execution several times slower, for coverage the target does not need.
Arguments are libFuzzer's, e.g. ``-max_total_time=60 -print_final_stats=1 CORPUS_DIR``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["cors_routes"]):
    import cors_routes._dispatch
    import cors_routes._headers
    import cors_routes._origins
    import cors_routes.policy  # noqa: F401

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fuzz_parsers

atheris.Setup(sys.argv, fuzz_parsers.check_one_input)
atheris.Fuzz()
