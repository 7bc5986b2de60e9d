"""Granted preflights are remembered per route: the answers must stay exactly the same."""

import asyncio

from fastapi import FastAPI
from starlette.testclient import TestClient
from warning_guard import FASTAPI_DOCS_WITHOUT_CORS

from cors_routes import CORSRoute, cors
from cors_routes._dispatch import _REMEMBERED_GRANTS

# Route-class apps keep FastAPI's docs without CORS; the lint's finding about them is not
# what these tests are about (tests/warning_guard.py).
pytestmark = FASTAPI_DOCS_WITHOUT_CORS

APP = "https://app.example"


def preflight_headers(origin, method="PUT", requested="x-a"):
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": requested,
    }


def make_app(**policy):
    app = FastAPI()
    app.router.route_class = CORSRoute

    @app.put("/items")
    @cors(**policy)
    def items():
        return {}

    return app


def test_a_repeated_preflight_gets_the_same_answer():
    client = TestClient(make_app(allow_origins=[APP], allow_headers=["x-a"]))
    first = client.options("/items", headers=preflight_headers(APP))
    second = client.options("/items", headers=preflight_headers(APP))
    assert first.status_code == second.status_code == 204
    assert first.headers.items() == second.headers.items()
    assert second.headers["access-control-allow-headers"] == "x-a"


def test_a_remembered_grant_never_answers_another_question():
    client = TestClient(make_app(allow_origins=[APP], allow_headers=["x-a"]))
    assert client.options("/items", headers=preflight_headers(APP)).status_code == 204
    # same origin, other header / method / origin: decided afresh, and refused
    assert (
        client.options("/items", headers=preflight_headers(APP, requested="x-b")).status_code == 403
    )
    assert (
        client.options("/items", headers=preflight_headers(APP, method="DELETE")).status_code == 403
    )
    evil = client.options("/items", headers=preflight_headers("https://evil.example"))
    assert evil.status_code == 403
    assert "access-control-allow-origin" not in evil.headers


def test_a_predicate_is_asked_every_time():
    asked = []

    def allow(origin):
        asked.append(origin)
        return len(asked) == 1  # changes its mind after the first question

    client = TestClient(make_app(allow_origin_func=allow, allow_headers=["x-a"]))
    assert client.options("/items", headers=preflight_headers(APP)).status_code == 204
    assert client.options("/items", headers=preflight_headers(APP)).status_code == 403
    assert asked == [APP, APP]


def test_a_middleware_editing_the_headers_does_not_change_the_next_answer():
    app = make_app(allow_origins=[APP], allow_headers=["x-a"])
    scope = {
        "type": "http",
        "method": "OPTIONS",
        "path": "/items",
        "raw_path": b"/items",
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in preflight_headers(APP).items()],
    }

    async def receive():
        return {"type": "http.request", "body": b""}

    async def run():
        starts = []

        async def send(message):
            if message["type"] == "http.response.start":
                starts.append([*message["headers"]])
                message["headers"].append((b"x-added-outside", b"1"))  # as MutableHeaders does

        for _ in range(3):
            await app(dict(scope), receive, send)
        return starts

    starts = asyncio.run(run())
    assert starts[0] == starts[1] == starts[2]
    assert (b"x-added-outside", b"1") not in starts[2]


def test_more_distinct_grants_than_remembered_stay_correct():
    client = TestClient(make_app(allow_origins=["https://*.app.example"], allow_headers=["*"]))
    for i in range(_REMEMBERED_GRANTS * 2 + 3):
        origin = f"https://t{i}.app.example"
        response = client.options("/items", headers=preflight_headers(origin, requested=f"x-{i}"))
        assert response.status_code == 204
        assert response.headers["access-control-allow-origin"] == origin
        assert response.headers["access-control-allow-headers"] == f"x-{i}"
