"""Report-only mode under uvicorn, driven by a scripted httpx client over loopback (issue 17,
item 5).

Two servers run the same app with CORSMiddleware, one of them also under
``install(..., enforce=False)`` with stricter per-endpoint policies. The client sends the same
mix of preflights and actual requests, from many origins to many paths, to both: every answer
is the same (status, header lines in order, body; only uvicorn's ``date`` and the server's
own address in a ``Location`` may differ), and the
reports are what the policies change, each once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from typing import Annotated, Any

import httpx
import pytest
from e2e_chromium import loopback_socket, serving
from fastapi import FastAPI, HTTPException, Path
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from starlette.middleware.cors import CORSMiddleware

from cors_routes import CORSPolicy, CORSReport, cors, install, no_cors

SHOP = "https://shop.example"
ADMIN = "https://admin.example"
PARTNERS = [f"https://partner{n}.example" for n in range(20)]
STRANGERS = [f"https://stranger{n}.example" for n in range(20)]
MARKER = "https://last.example"  # the middleware allows it; only the last request sends it


class Order(BaseModel):
    item: str
    quantity: int


def unchanged(endpoint: Any) -> Any:
    return endpoint


def build(report_only: bool, reports: list[CORSReport]) -> Any:
    """The app before the migration (CORSMiddleware), or with the new policies watched: its
    endpoints' ``@cors`` / ``@no_cors`` and ``install(..., enforce=False)``."""
    own_policy = cors(allow_origins=[ADMIN], allow_credentials=True) if report_only else unchanged
    opted_out = no_cors if report_only else unchanged
    app = FastAPI()

    @app.get("/orders/{order_id}")
    async def read_order(order_id: Annotated[int, Path(ge=1)]) -> Order:
        if order_id > 1000:
            raise HTTPException(404, "no such order")
        return Order(item="lamp", quantity=order_id)

    @app.post("/orders")
    async def create_order(order: Order) -> Order:
        return order

    @app.delete("/orders/{order_id}")
    @own_policy
    async def cancel_order(order_id: int) -> dict[str, int]:
        return {"cancelled": order_id}

    @app.get("/export")
    async def export() -> StreamingResponse:
        async def rows():  # type: ignore[no-untyped-def]
            for n in range(3):
                yield f"{n},lamp\n".encode()

        return StreamingResponse(rows(), media_type="text/csv", headers={"X-Rows": "3"})

    @app.get("/health")
    @opted_out
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    app.add_middleware(
        CORSMiddleware,  # type: ignore[arg-type]
        allow_origins=[SHOP, ADMIN, *PARTNERS, MARKER],
        allow_credentials=True,
        allow_methods=["*"],
        allow_headers=["*"],
        expose_headers=["X-Rows"],
    )
    if report_only:
        default = CORSPolicy(
            allow_origins=[SHOP, ADMIN],
            allow_credentials=True,
            allow_methods=["GET", "POST"],
            allow_headers=["content-type"],
        )
        install(app, default=default, enforce=False, on_report=reports.append)
    return app


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[str, str, list[CORSReport]]]:
    reports: list[CORSReport] = []
    plain, watched = loopback_socket(), loopback_socket()
    apps = {"plain": (build(False, reports), plain), "watched": (build(True, reports), watched)}
    urls = [f"http://127.0.0.1:{sock.getsockname()[1]}" for sock in (plain, watched)]
    with serving(apps):
        yield urls[0], urls[1], reports


def requests(seed: int, count: int) -> list[tuple[str, str, dict[str, str], bytes | None]]:
    rng = random.Random(seed)
    paths = ["/orders/1", "/orders/77", "/orders/5000", "/orders/x", "/orders", "/export"]
    paths += ["/health", "/nowhere", "/orders/1/"]
    found = []
    for _ in range(count):
        origin = rng.choice([SHOP, ADMIN, *PARTNERS, *STRANGERS])
        path = rng.choice(paths)
        kind = rng.randrange(4)
        if kind == 0:
            method = rng.choice(["GET", "POST", "DELETE", "PUT"])
            headers = {"Origin": origin, "Access-Control-Request-Method": method}
            if rng.random() < 0.5:
                headers["Access-Control-Request-Headers"] = rng.choice(
                    ["content-type", "content-type,x-trace", "authorization"]
                )
            found.append(("OPTIONS", path, headers, None))
        elif kind == 1 and path == "/orders":
            body = b'{"item": "lamp", "quantity": 2}'
            headers = {"Origin": origin, "Content-Type": "application/json"}
            found.append(("POST", path, headers, body))
        elif kind == 2:
            found.append(("DELETE", path, {"Origin": origin}, None))
        else:
            found.append(("GET", path, {"Origin": origin}, None))
    return found


def answer(client: httpx.Client, url: str, request: tuple[str, str, dict[str, str], Any]) -> Any:
    method, path, headers, body = request
    response = client.request(method, url + path, headers=headers, content=body)
    # Only uvicorn's clock and the server's own port (in a redirect's Location) may differ.
    lines = [
        (k, v.replace(url.encode(), b"SERVER"))
        for k, v in response.headers.raw
        if k.lower() != b"date"
    ]
    return response.status_code, lines, response.content


def test_the_scripted_client_gets_the_same_answers_and_the_reports_name_the_changes(
    servers: tuple[str, str, list[CORSReport]],
) -> None:
    plain, watched, reports = servers
    script = requests(seed=17, count=600)
    with httpx.Client(follow_redirects=False, timeout=30) as client:
        for request in script:
            assert answer(client, watched, request) == answer(client, plain, request), request
        # A last request whose report says every earlier one is in (reports are made after
        # each response ends, on the server's thread).
        client.get(watched + "/orders/1", headers={"Origin": MARKER})
    deadline = time.monotonic() + 10
    while not any(r.origin == MARKER for r in reports) and time.monotonic() < deadline:
        time.sleep(0.01)
    reports = [r for r in reports if r.origin != MARKER]
    distinct = {(r.kind, r.route, r.origin, r.method, r.outcome) for r in reports}
    assert len(distinct) == len(reports)  # each once
    assert {r.origin for r in reports} <= {SHOP, ADMIN, *PARTNERS}  # strangers: refused by both
    partners = [r for r in reports if r.origin in PARTNERS]
    assert partners and all(r.outcome == "blocked" for r in partners)
    for report in partners:
        if report.kind == "actual" and report.route != "/health":
            assert report.reason.startswith("origin is not allowed"), report
    health = [r for r in reports if r.route == "/health" and r.kind == "actual"]
    assert health and all(
        r.reason.startswith("the route that serves it has no CORS") for r in health
    )
    assert {r.route for r in reports} >= {
        "/orders/{order_id}",
        "/health",
        "(no route: 404)",
        "(slash redirect to /orders/{order_id})",
    }
    exposed = [r for r in reports if r.route == "/export" and r.origin == SHOP]
    assert exposed and exposed[0].app.exposed_headers == ("x-rows",)
    assert exposed[0].policy.exposed_headers == ()
    deletes = [r for r in reports if r.kind == "preflight" and r.method == "DELETE"]
    assert deletes and all(r.origin != ADMIN or r.route != "/orders/{order_id}" for r in deletes)
