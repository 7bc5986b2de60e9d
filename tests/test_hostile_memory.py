"""Hostile preflights cost no memory that outlives them (issue 14, item 3).

Over uvicorn, 100 refused preflights with 2 MiB Access-Control-Request-Method values left a
worker 200 MiB bigger: what the routing model remembers was keyed by values of any size.
Here, in-process and with raw ASGI calls, 100 preflights each carry a distinct 1 MiB value
(the method, the path, the request-header list); each must be refused (403, no
``Access-Control-Allow-*``), and the memory still allocated once they are answered and
garbage is collected (``tracemalloc``) must stay under 2 MiB, against 100 MiB sent.
"""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI

from cors_routes import CORSPolicy, CORSRoute, cors, install

ALLOWED = "https://app.example"
POLICY = CORSPolicy(allow_origins=[ALLOWED], allow_methods=["GET", "POST"], allow_headers=["x-a"])
MIB = 1 << 20
COUNT = 100
BOUND = 2 * MIB


def installed_app() -> FastAPI:
    app = FastAPI(openapi_url=None)

    @app.get("/items")
    def items() -> list[int]:
        return []

    @app.get("/files/{name:path}")
    def files(name: str) -> str:
        return name

    install(app, default=POLICY)
    return app


def route_class_app() -> FastAPI:
    router = APIRouter(route_class=CORSRoute)

    @router.get("/items")
    @cors(POLICY)
    def items() -> list[int]:
        return []

    @router.get("/files/{name:path}")
    @cors(POLICY)
    def files(name: str) -> str:
        return name

    app = FastAPI(openapi_url=None)
    app.include_router(router)
    return app


APPS = {"install": installed_app, "route class": route_class_app}


async def preflight(app: Any, path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    """One OPTIONS request through the app's ASGI interface; its response start message."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "OPTIONS",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("latin-1"),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"origin", ALLOWED.encode()), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            sent.append(message)

    await app(scope, receive, send)
    (start,) = sent
    return start


# (path, the preflight's other headers) of the i-th request; a size of 1 MiB makes it hostile
Request = Callable[[int, int], tuple[str, list[tuple[bytes, bytes]]]]


def hostile_method(i: int, size: int) -> tuple[str, list[tuple[bytes, bytes]]]:
    return "/items", [(b"access-control-request-method", b"M%03d" % i + b"A" * size)]


def hostile_path(i: int, size: int) -> tuple[str, list[tuple[bytes, bytes]]]:
    # DELETE: a method the route does not serve, so the preflight is refused wherever the
    # path leads, after the path has been looked up
    path = f"/files/{i:03d}" + "p" * size
    return path, [(b"access-control-request-method", b"DELETE")]


def hostile_header_list(i: int, size: int) -> tuple[str, list[tuple[bytes, bytes]]]:
    return "/items", [
        (b"access-control-request-method", b"GET"),
        (b"access-control-request-headers", b"x-%03d-" % i + b"h" * size),
    ]


REQUESTS = {
    "method": hostile_method,
    "path": hostile_path,
    "request headers": hostile_header_list,
}


async def send_all(app: Any, request: Request, first: int, count: int, size: int) -> None:
    for i in range(first, first + count):
        path, headers = request(i, size)
        start = await preflight(app, path, headers)
        del path, headers
        assert start["status"] == 403, (i, start["status"])
        granted = [k for k, _ in start["headers"] if k.lower().startswith(b"access-control-allow")]
        assert granted == [], (i, granted)


def retained_growth(app: Any, request: Request) -> int:
    """Bytes still allocated after COUNT hostile preflights, over what was before them."""

    async def run() -> int:
        # Small requests of the same shapes first: whatever is built once (the start-up
        # lint, lazily compiled tables) is built before the measure starts.
        await send_all(app, request, 900, 8, 8)
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        await send_all(app, request, 0, COUNT, MIB)
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before

    tracemalloc.start()
    try:
        return asyncio.run(run())
    finally:
        tracemalloc.stop()


@pytest.mark.filterwarnings("ignore::cors_routes.lint.CORSLintWarning")
@pytest.mark.parametrize("what", list(REQUESTS))
@pytest.mark.parametrize("kind", list(APPS))
def test_hostile_preflights_are_refused_and_leave_no_memory_behind(kind, what):
    growth = retained_growth(APPS[kind](), REQUESTS[what])
    assert growth < BOUND, (
        f"{COUNT} refused preflights with a distinct 1 MiB {what} left "
        f"{growth / MIB:.1f} MiB allocated (bound {BOUND / MIB:.0f} MiB)"
    )
