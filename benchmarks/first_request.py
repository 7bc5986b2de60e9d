"""The cost of an app's first request, in a fresh process per run: no CORS, CORSMiddleware
and ``install()`` on the 505-route app of ``benchmarks.large_app``.

    python -m benchmarks.first_request [--runs 5]

Each run starts a new Python process that builds the app, runs the ASGI lifespan start-up
(the lint runs there under ``install()``), then times one in-process request (a GET, or
a preflight: each is the process's first request). Prints a Markdown table of medians
(milliseconds) and their ratios to no CORS. Wall time on a shared machine moves a lot:
compare ratios from one run of this script, never numbers from two.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from .large_app import INSTALL, MIDDLEWARE, NONE, VARIANTS

ROOT = Path(__file__).resolve().parent.parent
PATH = "/api/v1/resource0/7"

_CHILD = """
import asyncio, json, sys, time, warnings
warnings.simplefilter("ignore")
from benchmarks import large_app
variant, method = sys.argv[1], sys.argv[2]
app = large_app.build(variant)
path = {path!r}
headers = [(b"origin", large_app.ORIGIN.encode()), (b"host", b"api.example")]
if method == "OPTIONS":
    headers.append((b"access-control-request-method", b"PUT"))
scope = {{"type": "http", "method": method, "path": path, "raw_path": path.encode(),
    "root_path": "", "query_string": b"", "headers": headers, "scheme": "http",
    "server": ("api.example", 80), "client": ("127.0.0.1", 1), "asgi": {{"version": "3.0"}},
    "http_version": "1.1"}}
started = []
async def receive():
    return {{"type": "http.request", "body": b"", "more_body": False}}
async def send(message):
    if message["type"] == "http.response.start":
        started.append(message["status"])
async def lifespan():
    sent = []
    messages = [{{"type": "lifespan.startup"}}]
    async def lifespan_receive():
        if messages:
            return messages.pop()
        await asyncio.sleep(3600)
    async def lifespan_send(message):
        sent.append(message["type"])
    lifespan_scope = {{"type": "lifespan", "state": {{}}}}
    task = asyncio.ensure_future(app(lifespan_scope, lifespan_receive, lifespan_send))
    while "lifespan.startup.complete" not in sent:
        await asyncio.sleep(0)
    task.cancel()
loop = asyncio.new_event_loop()
begin = time.perf_counter()
loop.run_until_complete(lifespan())
middle = time.perf_counter()
loop.run_until_complete(app(scope, receive, send))
end = time.perf_counter()
print(json.dumps({{"start_up": middle - begin, "first": end - middle, "status": started[0]}}))
"""


def run_once(variant: str, method: str) -> dict[str, float]:
    code = _CHILD.format(path=PATH)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "0"}
    done = subprocess.run(
        [sys.executable, "-c", code, variant, method],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=True,
        timeout=600,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per cell")
    args = parser.parse_args(argv)
    rows = []
    for method in ("GET", "OPTIONS"):
        cells: dict[str, tuple[float, float]] = {}
        for variant in VARIANTS:
            runs = [run_once(variant, method) for _ in range(args.runs)]
            cells[variant] = (
                statistics.median(r["start_up"] for r in runs) * 1000,
                statistics.median(r["first"] for r in runs) * 1000,
            )
        rows.append((method, cells))
    print(
        "| first request | measure | no CORS | CORSMiddleware | install() | install() / no CORS |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for method, cells in rows:
        label = "GET " + PATH if method == "GET" else "preflight PUT " + PATH
        for index, measure in enumerate(("start-up, ms", "first request, ms")):
            values = [cells[variant][index] for variant in (NONE, MIDDLEWARE, INSTALL)]
            ratio = values[2] / values[0] if values[0] else float("nan")
            print(
                f"| {label} | {measure} | "
                + " | ".join(f"{value:,.1f}" for value in values)
                + f" | {ratio:.2f} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
