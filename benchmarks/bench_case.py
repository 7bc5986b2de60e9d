"""One instruction-count job: one app in one variant, serving the requests of its cases.

    valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \\
        --log-file=DIR/vg.%p python -m benchmarks.bench_case JOB_JSON

JOB_JSON: ``{"app": ..., "variant": ..., "kinds": [...], "ns": [n1, n2], "warmup": w}``.
``benchmarks.instructions`` runs it; by hand it only makes sense under valgrind.

The process imports, builds the app, checks each request's answer once and warms up; then,
for each request kind and each N, a forked child serves N requests and exits. A child's
I refs are the parent's up to the fork plus its own N requests, so the difference between
the two N's children of a kind, divided by the difference of the N's, is the cost of one
request: import, build and warm-up cancel, and both children start from the same memory.
Requests are in-process ASGI calls (a synthetic scope, no-op receive/send), driven by a
plain asyncio loop; a fresh copy of the scope each time, as the router writes into it.

Prints one JSON line: the children's pids per kind and N, and each kind's checked answer.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
import os
import sys
import traceback
from collections.abc import Iterator
from typing import Any

from starlette.types import ASGIApp, Message

from .instruction_cases import APPS, REQUESTS

_REQUEST: Message = {"type": "http.request", "body": b"", "more_body": False}
_REWARM = 3  # requests a child serves before its N: its own event loop's first steps


async def _receive() -> Message:
    return _REQUEST


async def _send(message: Message) -> None:
    pass


async def _serve(app: ASGIApp, scopes: Iterator[dict[str, Any]], n: int) -> None:
    for scope in itertools.islice(scopes, n):
        await app(dict(scope), _receive, _send)


async def _answer(app: ASGIApp, scope: dict[str, Any]) -> tuple[int, str | None]:
    started: list[Message] = []

    async def capture(message: Message) -> None:
        if message["type"] == "http.response.start":
            started.append(message)

    await app(dict(scope), _receive, capture)
    headers = {k.decode().lower(): v.decode() for k, v in started[0].get("headers", [])}
    return started[0]["status"], headers.get("access-control-allow-origin")


def _check(kind: str, variant: str, status: int, acao: str | None) -> None:
    """Fail loudly if a request does not get the answer its case is about."""
    want_status, want_acao = REQUESTS[kind].expected(variant)
    if (want_status == "200" and status != 200) or (want_status == "2xx" and status // 100 != 2):
        raise AssertionError(f"{kind} ({variant}): status {status}, expected {want_status}")
    if want_acao is not None and (acao or "") != want_acao:
        raise AssertionError(f"{kind} ({variant}): ACAO {acao!r}, expected {want_acao!r}")


def _child(app: ASGIApp, scopes: Iterator[dict[str, Any]], n: int) -> None:
    # Never returns: the rest of the parent's program must not run in the child.
    code = 0
    try:
        loop = asyncio.new_event_loop()
        loop.run_until_complete(_serve(app, scopes, _REWARM + n))
    except BaseException:
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(job_json: str) -> int:
    job = json.loads(job_json)
    variant, kinds = job["variant"], job["kinds"]
    app = APPS[job["app"]].build(variant)
    scopes = {kind: itertools.cycle(REQUESTS[kind].scopes()) for kind in kinds}
    answers: dict[str, list[Any]] = {}
    loop = asyncio.new_event_loop()
    for kind in kinds:
        status, acao = loop.run_until_complete(_answer(app, next(scopes[kind])))
        _check(kind, variant, status, acao)
        answers[kind] = [status, acao]
    for kind in kinds:
        loop.run_until_complete(_serve(app, scopes[kind], job["warmup"]))
    loop.close()
    # The app lives for the whole process: out of the collector's way, so that a full
    # collection (walking 10,000 routes) that falls in one child and not the other cannot
    # pass for a per-request cost.
    gc.collect()
    gc.freeze()
    children: list[dict[str, Any]] = []
    for kind in kinds:
        for n in job["ns"]:
            pid = os.fork()
            if pid == 0:
                _child(app, scopes[kind], n)
            _, status = os.waitpid(pid, 0)
            children.append({"kind": kind, "n": n, "pid": pid, "exit": status})
    print(json.dumps({"children": children, "answers": answers}), flush=True)
    return 0 if all(child["exit"] == 0 for child in children) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
