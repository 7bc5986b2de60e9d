"""install() against CORSMiddleware on an app built as real ones are (``tests/whole_app``).

The migration is one line: the same settings, given to ``install()`` instead of
``add_middleware(CORSMiddleware, ...)``. Whatever CORSMiddleware let a browser on an allowed
origin do, on any route of any module, the library's router, the static mount, the docs or
a router included after the call, install() lets it do too, with the same status and body;
the differences are the ones the docs list (500s gain CORS, refusals disclose nothing,
preflights for what no route serves are refused)."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient
from whole_app.factory import Settings, create_app

APP = "https://app.example"
EVIL = "https://evil.example"

ACTUAL = [
    ("GET", "/users/"),
    ("GET", "/users"),  # the slash redirect
    ("GET", "/users/5"),
    ("GET", "/users/0"),  # the endpoint's HTTPException(404)
    ("PUT", "/users/5"),
    ("GET", "/users/export"),  # streaming
    ("POST", "/items"),
    ("DELETE", "/items/x"),
    ("GET", "/admin/stats"),
    ("POST", "/auth/login"),
    ("POST", "/auth/logout"),
    ("GET", "/static/hello.txt"),
    ("HEAD", "/static/hello.txt"),
    ("GET", "/static/missing.txt"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/late/news"),
    ("GET", "/nowhere"),  # the router's 404
    ("PATCH", "/items"),  # the router's 405
]

# (method asked, path, request headers asked): every one is served by some route or mount
SERVED_PREFLIGHTS = [
    ("GET", "/users/", "authorization"),
    ("GET", "/users", "authorization"),  # answered as /users/ is, where the 307 points
    ("PUT", "/users/5", "authorization, content-type"),
    ("GET", "/users/export", "x-requested-with"),
    ("POST", "/items", "authorization, content-type"),
    ("DELETE", "/items/x", "authorization"),
    ("GET", "/admin/stats", "authorization"),
    ("POST", "/auth/login", "content-type"),
    ("GET", "/static/hello.txt", "x-requested-with"),
    ("GET", "/openapi.json", "authorization"),
    ("GET", "/late/news", "authorization"),
]


@pytest.fixture(scope="module")
def clients(tmp_path_factory: pytest.TempPathFactory) -> dict[str, TestClient]:
    static = tmp_path_factory.mktemp("static")
    (static / "hello.txt").write_text("hello")
    settings = Settings(static_dir=static)
    return {
        way: TestClient(create_app(settings, way), raise_server_exceptions=False)
        for way in ("middleware", "install")
    }


def send(client: TestClient, method: str, path: str, headers: dict[str, str]) -> Any:
    return client.request(method, path, headers=headers, follow_redirects=False)


def cors_of(response: Any) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.startswith("access-control-")}


def vary(response: Any) -> set[str]:
    values = response.headers.get_list("vary")
    return {part.strip().lower() for value in values for part in value.split(",")}


@pytest.mark.parametrize(("method", "path"), ACTUAL)
def test_every_response_carries_what_cors_middleware_gave_it(clients, method, path):
    headers = {"Origin": APP, "Cookie": "session=1"}
    before = send(clients["middleware"], method, path, headers)
    after = send(clients["install"], method, path, headers)
    assert after.status_code == before.status_code
    assert after.content == before.content
    assert before.headers["access-control-allow-origin"] == APP
    assert after.headers["access-control-allow-origin"] == APP
    assert after.headers["access-control-allow-credentials"] == "true"
    assert "origin" in vary(after)  # the answer depends on Origin: caches must key on it
    for name in ("location", "content-type", "content-length"):
        assert after.headers.get(name) == before.headers.get(name), name


def test_an_unhandled_error_gains_cors_headers_the_middleware_left_off(clients):
    before = send(clients["middleware"], "GET", "/boom", {"Origin": APP})
    after = send(clients["install"], "GET", "/boom", {"Origin": APP})
    assert before.status_code == after.status_code == 500
    assert "access-control-allow-origin" not in before.headers  # the page cannot read it
    assert after.headers["access-control-allow-origin"] == APP


@pytest.mark.parametrize(("method", "path"), ACTUAL)
def test_another_origin_is_granted_nothing_anywhere(clients, method, path):
    after = send(clients["install"], method, path, {"Origin": EVIL})
    assert "access-control-allow-origin" not in after.headers
    assert "access-control-allow-credentials" not in after.headers


@pytest.mark.parametrize(("method", "path", "asked"), SERVED_PREFLIGHTS)
def test_every_served_preflight_is_granted_as_cors_middleware_granted_it(
    clients, method, path, asked
):
    headers = {
        "Origin": APP,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": asked,
    }
    before = send(clients["middleware"], "OPTIONS", path, headers)
    after = send(clients["install"], "OPTIONS", path, headers)
    assert before.status_code == 200 and after.status_code == 204
    grant = cors_of(after)
    assert grant["access-control-allow-origin"] == APP
    assert grant["access-control-allow-credentials"] == "true"
    assert method in grant["access-control-allow-methods"].split(", ")
    allowed = {name.strip() for name in grant["access-control-allow-headers"].split(",")}
    assert {name.strip() for name in asked.split(",")} <= allowed
    assert {"origin", "access-control-request-method", "access-control-request-headers"} <= vary(
        after
    )
    refused = send(clients["install"], "OPTIONS", path, {**headers, "Origin": EVIL})
    assert refused.status_code == 403 and not cors_of(refused)


@pytest.mark.parametrize(("method", "path"), [("PATCH", "/items"), ("PUT", "/nowhere")])
def test_a_preflight_for_what_no_route_serves_is_refused(clients, method, path):
    headers = {"Origin": APP, "Access-Control-Request-Method": method}
    assert send(clients["middleware"], "OPTIONS", path, headers).status_code == 200
    refused = send(clients["install"], "OPTIONS", path, headers)
    assert refused.status_code == 403 and not cors_of(refused)
