"""Report-only mode (issue 17, item 4): ``install(app, ..., enforce=False, on_report=hook)``.

The app answers as it does without install() (CORSMiddleware still in place, hand-written
OPTIONS handlers, or nothing); where a browser would conclude differently under the policies,
a ``CORSReport`` is logged once and handed to the hook. These tests hold that:

- no response changes: the same requests, with and without report-only, get the same status,
  the same header lines in the same order, and the same body;
- each kind of difference is reported, with the words of the configuration;
- reporting is bounded (distinct keys, log lines a minute) and never breaks a request.
"""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Annotated, Any

import pytest
from fastapi import FastAPI, HTTPException, Path, Request
from fastapi.responses import PlainTextResponse, Response, StreamingResponse
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route
from starlette.testclient import TestClient

from cors_routes import CORSConfigError, CORSPolicy, CORSReport, cors, install, no_cors
from cors_routes._dispatch import handled_here
from cors_routes._report_only import reporter_of

APP_SITE = "https://app.example"
PARTNER = "https://partner.example"
EVIL = "https://evil.example"

MIDDLEWARE = dict(
    allow_origins=[APP_SITE, PARTNER],
    allow_credentials=True,
    allow_methods=["*"],
    allow_headers=["*"],
    expose_headers=["X-Request-Id"],
)
# Stricter than the middleware: no partner, no credentials, GET only, no exposed headers.
STRICT = CORSPolicy(allow_origins=[APP_SITE], allow_headers=["content-type"])


class Item(BaseModel):
    name: str
    price: float


def build_app(middleware: bool) -> FastAPI:
    app = FastAPI()

    @app.get("/items/{item_id}")
    async def read_item(item_id: Annotated[int, Path(ge=0)]) -> dict[str, int]:
        return {"item_id": item_id}

    @app.put("/items/{item_id}")
    @cors(allow_origins=[APP_SITE, PARTNER], allow_credentials=True, allow_headers=["*"])
    async def update_item(item_id: int, item: Item) -> Item:
        return item

    @app.delete("/items/{item_id}")
    async def delete_item(item_id: int) -> Response:
        return Response(status_code=204, headers={"X-Request-Id": "7"})

    @app.get("/teapot")
    async def teapot() -> None:
        raise HTTPException(418, "short and stout", headers={"X-Why": "teapot"})

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("broken on purpose")

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def chunks():  # type: ignore[no-untyped-def]
            for part in (b"one,", b"two,", b"three"):
                yield part

        return StreamingResponse(chunks(), media_type="text/plain")

    @app.get("/metrics")
    @no_cors
    async def metrics() -> PlainTextResponse:
        return PlainTextResponse("up 1\n")

    @app.options("/legacy")
    async def legacy_preflight(request: Request) -> Response:
        # A hand-written preflight answer, left over from before any CORS library.
        origin = request.headers.get("origin", "")
        return Response(
            status_code=200,
            headers={
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": "POST",
                "Access-Control-Allow-Headers": "content-type, x-legacy",
                "Access-Control-Allow-Private-Network": "true",
            },
        )

    @app.post("/legacy")
    async def legacy(request: Request) -> Response:
        return Response(b"ok", headers={"Access-Control-Allow-Origin": APP_SITE})

    async def plain(request: Any) -> PlainTextResponse:
        return PlainTextResponse("plain")

    app.router.routes.append(Route("/plain", plain, methods=["GET"]))  # Starlette adds HEAD
    if middleware:
        app.add_middleware(CORSMiddleware, **MIDDLEWARE)  # type: ignore[arg-type]
    return app


class RunsDecorated:
    """The app as it runs without install(), but with its ``@cors`` endpoints allowed to run
    (under no installation they refuse to): the answers report-only mode must leave as
    they are."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        handled_here()
        await self.app(scope, receive, send)


def preflight(origin: str, method: str, headers: str | None = None, **extra: str) -> dict[str, str]:
    asked = {"Origin": origin, "Access-Control-Request-Method": method, **extra}
    if headers is not None:
        asked["Access-Control-Request-Headers"] = headers
    return asked


GRID: list[tuple[str, str, dict[str, str], bytes | None]] = []
for _origin in (APP_SITE, PARTNER, EVIL, "null"):
    GRID += [
        ("GET", "/items/1", {"Origin": _origin}, None),
        ("GET", "/items/-1", {"Origin": _origin}, None),  # 422
        ("GET", "/items/1/", {"Origin": _origin}, None),  # slash redirect
        ("PUT", "/items/1", {"Origin": _origin, "Content-Type": "application/json"}, b"{}"),
        ("PUT", "/items/1", {"Origin": _origin}, b'{"name": "a", "price": 1}'),
        ("DELETE", "/items/1", {"Origin": _origin}, None),
        ("POST", "/items/1", {"Origin": _origin}, None),  # 405
        ("GET", "/teapot", {"Origin": _origin}, None),
        ("GET", "/boom", {"Origin": _origin}, None),  # 500
        ("GET", "/stream", {"Origin": _origin}, None),
        ("GET", "/metrics", {"Origin": _origin}, None),
        ("GET", "/nowhere", {"Origin": _origin}, None),  # 404
        ("HEAD", "/plain", {"Origin": _origin}, None),
        ("GET", "/plain", {"Origin": _origin}, None),
        ("POST", "/legacy", {"Origin": _origin, "Content-Type": "text/plain"}, b"x"),
        ("OPTIONS", "/items/1", preflight(_origin, "GET"), None),
        ("OPTIONS", "/items/1", preflight(_origin, "PUT", "content-type"), None),
        ("OPTIONS", "/items/1", preflight(_origin, "DELETE", "x-request-id"), None),
        ("OPTIONS", "/items/1", preflight(_origin, "patch"), None),
        ("OPTIONS", "/nowhere", preflight(_origin, "GET"), None),
        ("OPTIONS", "/metrics", preflight(_origin, "GET"), None),
        (
            "OPTIONS",
            "/legacy",
            preflight(
                _origin, "POST", "x-legacy", **{"Access-Control-Request-Private-Network": "true"}
            ),
            None,
        ),
        ("OPTIONS", "/items/1", {"Origin": _origin}, None),  # OPTIONS, not a preflight
    ]
GRID += [
    ("GET", "/items/1", {}, None),
    ("OPTIONS", "/items/1", {"Access-Control-Request-Method": "GET"}, None),
    ("GET", "/items/1", {"Origin": "https://a.example\r\nX: y" + "z" * 5000}, None),
]


def answers(app: Any) -> list[tuple[int, list[tuple[bytes, bytes]], bytes]]:
    client = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
    found = []
    for method, path, headers, body in GRID:
        response = client.request(method, path, headers=headers, content=body)
        found.append((response.status_code, list(response.headers.raw), response.content))
    return found


@pytest.mark.parametrize("middleware", [True, False], ids=["CORSMiddleware", "no middleware"])
def test_report_only_changes_no_byte_of_any_response(middleware: bool) -> None:
    expected = answers(RunsDecorated(build_app(middleware)))
    reports: list[CORSReport] = []
    watched = install(
        build_app(middleware), default=STRICT, enforce=False, on_report=reports.append
    )
    got = answers(watched)
    for (method, path, headers, _), before, after in zip(GRID, expected, got, strict=True):
        assert after == before, (method, path, headers)
    # Not vacuous: the policies differ from what was answered, and that was seen.
    assert reports
    assert {report.kind for report in reports} == {"preflight", "actual"}


def test_the_grid_covers_what_it_claims() -> None:
    statuses = {status for status, _, _ in answers(RunsDecorated(build_app(True)))}
    assert {200, 204, 307, 400, 404, 405, 418, 422, 500} <= statuses


# -- what is reported -------------------------------------------------------------------------


def watched(middleware: bool = True, default: CORSPolicy | None = STRICT, **options: Any):  # type: ignore[no-untyped-def]
    reports: list[CORSReport] = []
    app = install(build_app(middleware), default=default, enforce=False, on_report=reports.append)
    return TestClient(app, raise_server_exceptions=False), reports


def only(reports: list[CORSReport]) -> CORSReport:
    assert len(reports) == 1, reports
    return reports[0]


def test_an_origin_the_middleware_allows_and_the_policy_does_not_is_reported_blocked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client, reports = watched()
    with caplog.at_level(logging.WARNING, logger="cors_routes"):
        response = client.get("/items/3", headers={"Origin": PARTNER})
    assert response.headers["access-control-allow-origin"] == PARTNER  # the app's answer stands
    report = only(reports)
    assert (report.kind, report.route, report.path, report.method, report.origin) == (
        "actual",
        "/items/{item_id}",
        "/items/3",
        "GET",
        PARTNER,
    )
    assert report.outcome == "blocked"
    assert report.app.allowed and report.app.allowed_with_credentials
    assert not report.policy.allowed and not report.policy.allowed_with_credentials
    assert report.app.exposed_headers == () and report.policy.exposed_headers == ()
    assert report.reason == f"origin is not allowed by allow_origins ({APP_SITE})"
    assert report.difference == (
        "the app allowed it, with credentials too; the policy would block it"
    )
    lines = [r.getMessage() for r in caplog.records if r.name == "cors_routes"]
    assert lines == [
        f"CORS report-only: actual GET /items/{{item_id}} from origin '{PARTNER}': the app "
        "allowed it, with credentials too; the policy would block it because origin is not "
        f"allowed by allow_origins ({APP_SITE})"
    ]
    assert all(r.levelno == logging.WARNING for r in caplog.records if r.name == "cors_routes")


def test_each_distinct_report_is_made_once() -> None:
    client, reports = watched()
    for _ in range(5):
        client.get("/items/1", headers={"Origin": PARTNER})
        client.get("/items/2", headers={"Origin": PARTNER})  # same route template
    assert len(reports) == 1
    client.get("/items/1", headers={"Origin": "https://other.example"})  # CORSMiddleware refuses
    assert len(reports) == 1  # both block it: no difference
    client.options("/items/1", headers=preflight(PARTNER, "GET"))
    assert [r.kind for r in reports] == ["actual", "preflight"]


def test_the_origin_allowed_by_both_is_not_reported() -> None:
    client, reports = watched(
        default=STRICT.replace(allow_credentials=True, expose_headers=["X-Request-Id"])
    )
    client.get("/items/1", headers={"Origin": APP_SITE})
    client.options("/items/1", headers=preflight(APP_SITE, "GET"))
    client.get("/items/1")  # no Origin: not judged
    assert reports == []


def test_a_refused_method_is_reported_with_the_policy_s_methods() -> None:
    client, reports = watched()
    response = client.options("/items/1", headers=preflight(APP_SITE, "DELETE"))
    assert response.status_code == 200  # CORSMiddleware granted it, and still does
    report = only(reports)
    assert (report.kind, report.method, report.route, report.outcome) == (
        "preflight",
        "DELETE",
        "/items/{item_id}",
        "blocked",
    )
    assert report.app.allowed and not report.policy.allowed
    assert report.policy.status == 403
    assert (
        # The route serving DELETE serves nothing else; the default grants GET: none is left.
        report.reason == "method 'DELETE' is not allowed (allowed: none; compared case-sensitively)"
    )


def test_a_refused_request_header_is_reported() -> None:
    client, reports = watched()
    client.options("/items/1", headers=preflight(APP_SITE, "GET", "x-trace"))
    report = only(reports)
    assert report.reason == "header 'x-trace' is not allowed (allowed: content-type)"


def test_credentials_the_policy_does_not_allow_are_reported() -> None:
    client, reports = watched()
    client.get("/items/1", headers={"Origin": APP_SITE})
    report = only(reports)
    assert report.outcome == "blocked"
    assert report.app.allowed_with_credentials and not report.policy.allowed_with_credentials
    assert report.policy.allowed  # without credentials the page still reads it
    assert report.app.exposed_headers == () and report.policy.exposed_headers == ()
    assert report.reason == "the policy does not allow credentials (allow_credentials=False)"
    assert report.difference == (
        "the app allowed it, with credentials too; the policy would allow it without "
        "credentials only"
    )


def test_exposed_headers_the_policy_drops_are_reported() -> None:
    client, reports = watched(default=STRICT.replace(allow_credentials=True))
    response = client.delete("/items/1", headers={"Origin": APP_SITE})
    assert response.headers["x-request-id"] == "7"
    report = only(reports)
    assert report.app.exposed_headers == ("x-request-id",)
    assert report.policy.exposed_headers == ()
    # DELETE is not in the default's methods, but an actual response is judged by the
    # browser's CORS check alone: the preflight is where the method is refused.
    assert report.outcome == "blocked"
    assert report.reason == "the policy exposes no response headers (expose_headers)"


def test_what_the_policy_would_newly_allow_is_reported_allowed() -> None:
    client, reports = watched(middleware=False)
    client.get("/items/1", headers={"Origin": APP_SITE})
    report = only(reports)
    assert report.outcome == "allowed"
    assert not report.app.allowed and report.policy.allowed
    assert report.policy.headers == (("access-control-allow-origin", APP_SITE),)
    assert report.reason == (
        "the policy grants it, where the app's answer fails the browser's check: the response "
        "has no Access-Control-Allow-Origin header"
    )


def test_a_500_the_middleware_leaves_bare_is_reported_allowed() -> None:
    client, reports = watched(default=STRICT.replace(allow_credentials=True))
    response = client.get("/boom", headers={"Origin": APP_SITE})
    assert response.status_code == 500
    assert "access-control-allow-origin" not in response.headers
    report = only(reports)
    assert (report.route, report.outcome, report.app.status) == ("/boom", "allowed", 500)


def test_a_no_cors_route_the_middleware_serves_is_reported() -> None:
    client, reports = watched()
    client.get("/metrics", headers={"Origin": APP_SITE})
    report = only(reports)
    assert (report.route, report.outcome) == ("/metrics", "blocked")
    assert report.reason == "the route that serves it has no CORS policy (@no_cors, or no default)"


def test_a_preflight_to_no_route_is_reported_with_the_router_s_answer() -> None:
    client, reports = watched()
    client.options("/nowhere", headers=preflight(APP_SITE, "GET"))
    report = only(reports)
    assert report.route == "(no route: 404)"
    assert report.reason == "no route serves GET there (the router answers 404 or 405)"


def test_a_hand_written_preflight_is_compared_private_network_included() -> None:
    client, reports = watched(
        middleware=False,
        default=CORSPolicy(
            allow_origins=[APP_SITE], allow_methods=["POST"], allow_headers=["x-legacy"]
        ),
    )
    asked = preflight(
        APP_SITE, "POST", "x-legacy", **{"Access-Control-Request-Private-Network": "true"}
    )
    assert (
        client.options("/legacy", headers=asked).headers["access-control-allow-private-network"]
        == "true"
    )
    report = only(reports)
    assert (report.kind, report.route, report.outcome) == ("preflight", "/legacy", "blocked")
    assert report.app.private_network is True and report.policy.private_network is False
    assert report.reason == (
        "the policy does not allow private network access (allow_private_network=False)"
    )


def test_a_cors_endpoint_is_judged_by_its_own_policy() -> None:
    client, reports = watched()
    response = client.put("/items/1", headers={"Origin": PARTNER}, json={"name": "a", "price": 1})
    assert response.status_code == 200  # its @cors endpoint ran (no installation enforces it)
    assert reports == []  # its own policy allows the partner, with credentials
    client.options("/items/1", headers=preflight(PARTNER, "PUT", "content-type"))
    assert reports == []


# -- bounded, and never in the way ----------------------------------------------------------


def test_log_lines_are_rate_limited_and_the_rest_summarised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client, reports = watched()
    reporter = reporter_of(client.app)
    assert reporter is not None
    now = [1000.0]
    reporter.clock = lambda: now[0]
    reporter.lines_per_minute = 3
    with caplog.at_level(logging.WARNING, logger="cors_routes"):
        for n in range(10):
            client.get("/items/1", headers={"Origin": f"https://site{n}.example"})
        assert reports == []  # the middleware refuses them too
        for n in range(10):
            client.options("/items/1", headers=preflight(APP_SITE, "DELETE", f"x-h{n}"))
        assert len(reports) == 1  # one key: (preflight, route, origin, DELETE, blocked)
        for n in range(10):
            client.get(f"/items/{n}", headers={"Origin": APP_SITE if n == 0 else PARTNER})
        # Routes the middleware serves to the partner, the policy to no one but the app;
        # /boom's 500 has no CORS headers under either, so it is the same conclusion.
        for path in ("/teapot", "/stream", "/plain", "/nowhere", "/metrics", "/items/1/", "/boom"):
            client.get(path, headers={"Origin": PARTNER}, follow_redirects=False)
    assert len(reports) == 1 + 2 + 6
    lines = [r.getMessage() for r in caplog.records if r.name == "cors_routes"]
    assert len(lines) == 3
    now[0] += 61
    with caplog.at_level(logging.WARNING, logger="cors_routes"):
        caplog.clear()
        client.options("/items/1", headers=preflight(PARTNER, "PATCH"))
    lines = [r.getMessage() for r in caplog.records if r.name == "cors_routes"]
    assert lines[0] == (
        "CORS report-only: 6 more reports in the last minute were not logged (at most 3 "
        "lines a minute; the on_report hook received every one)"
    )
    assert len(lines) == 2 and lines[1].startswith(
        "CORS report-only: preflight PATCH /items/{item_id} (405) from"
    )


async def run_asgi(app: Any, method: str, path: str, headers: list[tuple[bytes, bytes]]) -> int:
    """One request straight through the ASGI interface (100,000 of them in seconds)."""
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 1),
    }
    await app(scope, receive, send)
    return status


def small_app() -> Starlette:
    async def item(request: Any) -> PlainTextResponse:
        return PlainTextResponse("item")

    app = Starlette(routes=[Route("/items/{item_id}", item)])
    app.add_middleware(
        CORSMiddleware, allow_origins=["*"], allow_methods=["*"], allow_headers=["*"]
    )
    return app


def test_100000_requests_with_random_origins_and_paths_keep_memory_bounded(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls = 0
    long_origins: list[str] = []

    def count(report: CORSReport) -> None:
        nonlocal calls
        calls += 1
        if len(report.origin) > 270:
            long_origins.append(report.origin)

    app = install(small_app(), default=STRICT, enforce=False, on_report=count)
    reporter = reporter_of(app)
    assert reporter is not None
    rng = random.Random(17)
    reporter.clock = lambda: 0.0  # one minute of traffic, however long the test takes

    async def flood() -> set[int]:
        statuses = set()
        for n in range(100_000):
            origin = f"https://{rng.getrandbits(64):x}.example".encode()
            if n % 1000 == 0:
                origin = b"https://" + b"x" * rng.randrange(300, 5000) + b"\x1b[31m.example"
            path = (
                f"/items/{rng.getrandbits(32)}"
                if n % 2
                else f"/{rng.getrandbits(128):x}/{'y' * rng.randrange(0, 2000)}"
            )
            method = "OPTIONS" if n % 3 == 0 else "GET"
            headers = [(b"origin", origin)]
            if method == "OPTIONS":
                headers.append((b"access-control-request-method", b"GET"))
            statuses.add(await run_asgi(app, method, path, headers))
        return statuses

    with caplog.at_level(logging.WARNING, logger="cors_routes"):
        statuses = asyncio.run(flood())
    assert statuses == {200, 404}  # CORSMiddleware answers as it did, the router too
    # Every request differed (the middleware allows any origin, the policy one): each is a
    # distinct key, yet what is remembered stays within its bound.
    assert reporter.reports == calls
    assert calls > 90_000
    assert len(reporter.seen) == reporter.capacity == 10_000
    assert len(reporter.labels) <= 10
    assert all(len(key[2]) <= 270 for key in reporter.seen)  # origins cut to a browser's
    assert {key[1] for key in reporter.seen} <= {"/items/{item_id}", "(no route: 404)"}
    lines = [r for r in caplog.records if r.name == "cors_routes"]
    assert len(lines) == reporter.lines_per_minute  # one minute (by its clock): the cap
    assert len(reporter.verdicts) <= 1024
    assert reporter.suppressed == calls - len(lines)
    # Hostile origins reach the hook and the log shortened and printable; they share their
    # first 270 bytes, so one is reported per kind and route (2 x 2 keys) of the 100 sent.
    assert 1 <= len(long_origins) <= 4
    for origin in long_origins:
        assert origin.endswith("chars)") and len(origin) < 300 and origin.isprintable()


def test_a_hook_that_raises_is_logged_once_and_ignored(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[CORSReport] = []

    def broken(report: CORSReport) -> None:
        seen.append(report)
        raise ValueError("metrics backend down")

    app = install(build_app(True), default=STRICT, enforce=False, on_report=broken)
    client = TestClient(app)
    with caplog.at_level(logging.WARNING, logger="cors_routes"):
        first = client.get("/items/1", headers={"Origin": PARTNER})
        second = client.get("/items/1", headers={"Origin": APP_SITE})
    assert first.status_code == second.status_code == 200
    assert len(seen) == 2
    failures = [r for r in caplog.records if "on_report hook raised" in r.getMessage()]
    assert len(failures) == 1 and failures[0].exc_info is not None
    reports = [r for r in caplog.records if r.getMessage().startswith("CORS report-only: actual")]
    assert len(reports) == 2


def test_a_failure_of_the_comparison_never_reaches_the_request(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = watched()
    reporter = reporter_of(client.app)
    assert reporter is not None

    async def broken(*args: Any) -> None:
        raise KeyError("a bug of ours")

    monkeypatch.setattr(reporter, "_compare", broken)
    with caplog.at_level(logging.WARNING, logger="cors_routes"):
        responses = [client.get("/items/1", headers={"Origin": PARTNER}) for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert all(r.headers["access-control-allow-origin"] == PARTNER for r in responses)
    failures = [r for r in caplog.records if "comparing an answer failed" in r.getMessage()]
    assert len(failures) == 1


# -- install()'s arguments ------------------------------------------------------------------


def test_install_refuses_cors_middleware_only_when_enforcing() -> None:
    with pytest.raises(CORSConfigError, match="CORSMiddleware"):
        install(build_app(True), default=STRICT)
    assert install(build_app(True), default=STRICT, enforce=False) is not None


def test_on_report_belongs_to_report_only_mode() -> None:
    with pytest.raises(CORSConfigError, match="enforce=False"):
        install(build_app(False), default=STRICT, on_report=print)
    with pytest.raises(CORSConfigError, match="enforce=False"):
        install(build_app(False), default=STRICT, enforce=False, on_report="log")  # type: ignore[arg-type]
    with pytest.raises(CORSConfigError, match="True or False"):
        install(build_app(False), default=STRICT, enforce="no")  # type: ignore[arg-type]


def test_report_only_without_a_hook_logs() -> None:
    app = install(build_app(True), default=STRICT, enforce=False)
    reporter = reporter_of(app)
    assert reporter is not None
    TestClient(app).get("/items/1", headers={"Origin": PARTNER})
    assert reporter.reports == 1


def test_a_difference_both_ways_is_reported_changed() -> None:
    async def receipt(request: Any) -> PlainTextResponse:
        return PlainTextResponse("paid", headers={"X-Request-Id": "9"})

    app = Starlette(routes=[Route("/receipt", receipt)])
    app.add_middleware(CORSMiddleware, allow_origins=["*"], expose_headers=["X-Request-Id"])
    reports: list[CORSReport] = []
    policy = CORSPolicy(allow_origins=[APP_SITE], allow_credentials=True)
    install(app, default=policy, enforce=False, on_report=reports.append)
    TestClient(app).get("/receipt", headers={"Origin": APP_SITE})
    report = only(reports)
    # Credentials newly allowed ('*' never allows them); the exposed header no longer read.
    assert report.outcome == "changed"
    assert (report.app.allowed_with_credentials, report.policy.allowed_with_credentials) == (
        False,
        True,
    )
    assert (report.app.exposed_headers, report.policy.exposed_headers) == (("x-request-id",), ())
    assert report.reason == "the policy exposes no response headers (expose_headers)"
    assert report.difference == (
        "the app allowed it without credentials only, exposing x-request-id; the policy would "
        "allow it, with credentials too"
    )


def test_a_coroutine_function_hook_is_refused_once_without_a_stray_coroutine(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def hook(report: CORSReport) -> None:
        raise AssertionError("never awaited")

    app = install(build_app(True), default=STRICT, enforce=False, on_report=hook)
    client = TestClient(app)
    with caplog.at_level(logging.WARNING, logger="cors_routes"):
        assert client.get("/items/1", headers={"Origin": PARTNER}).status_code == 200
        assert client.get("/items/1", headers={"Origin": APP_SITE}).status_code == 200
    failures = [r for r in caplog.records if "on_report hook raised" in r.getMessage()]
    assert len(failures) == 1
    assert "plain function" in str(failures[0].exc_info[1])  # type: ignore[index]
