"""The route's policy owns the CORS response headers, and never edits the app's messages."""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient
from warning_guard import FASTAPI_DOCS_WITHOUT_CORS

from cors_routes import CORSPolicy, CORSRoute, StarletteCORSRoute, cors, install

# Route-class apps keep FastAPI's docs without CORS; the lint's finding about them is not
# what these tests are about (tests/warning_guard.py).
pytestmark = FASTAPI_DOCS_WITHOUT_CORS

APP = "https://app.example"
OTHER = "https://other.example"
POLICY = CORSPolicy(allow_origins=[APP, OTHER])


def leftover_app(mode: str) -> FastAPI:
    """An endpoint that still sets CORS headers by hand (the code cors_routes replaces)."""
    app = FastAPI()
    if mode == "route class":
        app.router.route_class = CORSRoute

    @app.get("/legacy")
    @cors(POLICY)
    def legacy():
        return JSONResponse(
            {"ok": True},
            headers={
                "Access-Control-Allow-Origin": "*",
                "Access-Control-Allow-Credentials": "true",
                "Vary": "Accept-Encoding",
            },
        )

    if mode == "install":
        install(app)
    return app


@pytest.mark.parametrize("mode", ["route class", "install"])
def test_the_endpoints_own_cors_headers_are_replaced_and_said_once(mode, caplog):
    client = TestClient(leftover_app(mode))
    with caplog.at_level(logging.WARNING, logger="cors_routes"):
        first = client.get("/legacy", headers={"Origin": APP})
        evil = client.get("/legacy", headers={"Origin": "https://evil.example"})
    assert first.headers.get_list("access-control-allow-origin") == [APP]
    assert "access-control-allow-credentials" not in first.headers  # not the policy's
    assert first.headers.get_list("vary") == ["Accept-Encoding, Origin"]
    # A refused origin gets no CORS header at all, not the endpoint's leftover "*".
    assert "access-control-allow-origin" not in evil.headers
    said = [r for r in caplog.records if "its own Access-Control-*" in r.getMessage()]
    assert len(said) == 1 and "/legacy" in said[0].getMessage()


def mixed_case_app(mode: str, origin: str, credentials: str, vary: str) -> FastAPI:
    """An endpoint whose leftover CORS headers are spelled in neither lower, Title nor UPPER
    case (header names are case-insensitive; Starlette lowers only what it builds)."""
    app = FastAPI()
    if mode == "route class":
        app.router.route_class = CORSRoute

    @app.get("/legacy")
    @cors(POLICY)
    def legacy():
        response = JSONResponse({"ok": True})
        response.raw_headers += [
            (origin.encode(), b"*"),
            (credentials.encode(), b"true"),
            (vary.encode(), b"Accept-Encoding"),
        ]
        return response

    if mode == "install":
        install(app)
    return app


@pytest.mark.parametrize("mode", ["route class", "install"])
@pytest.mark.parametrize(
    ("origin", "credentials", "vary"),
    [
        ("Access-control-allow-origin", "Access-control-allow-credentials", "VAry"),
        ("access-Control-Allow-Origin", "Access-control-Allow-Credentials", "vAry"),
        ("ACCESS-control-ALLOW-origin", "ACCESS-CONTROL-ALLOW-Credentials", "vArY"),
        ("aCCESS-cONTROL-aLLOW-oRIGIN", "aCCESS-cONTROL-aLLOW-cREDENTIALS", "vARY"),
    ],
)
def test_own_cors_headers_are_caught_in_any_spelling(mode, origin, credentials, vary):
    client = TestClient(mixed_case_app(mode, origin, credentials, vary))
    allowed = client.get("/legacy", headers={"Origin": APP})
    refused = client.get("/legacy", headers={"Origin": "https://evil.example"})
    assert allowed.status_code == refused.status_code == 200
    # one Access-Control-Allow-Origin line, the policy's, not the endpoint's "*" as well
    assert allowed.headers.get_list("access-control-allow-origin") == [APP]
    assert "access-control-allow-credentials" not in allowed.headers
    assert allowed.headers.get_list("vary") == ["Accept-Encoding, Origin"]
    # a refused origin gets none of the endpoint's leftovers
    assert not [name for name in refused.headers if name.startswith("access-control-")]
    assert refused.headers.get_list("vary") == ["Accept-Encoding, Origin"]


# An ASGI endpoint that sends the same start message object for every request.
SHARED_START = {
    "type": "http.response.start",
    "status": 200,
    "headers": [(b"content-type", b"text/plain")],
}


class ReusingEndpoint:
    def __init__(self, scope, receive, send):
        self.send = send

    def __await__(self):
        return self.respond().__await__()

    async def respond(self):
        await self.send(SHARED_START)
        await self.send({"type": "http.response.body", "body": b"ok"})


@cors(POLICY)
class Reusing(ReusingEndpoint):
    pass


@pytest.mark.parametrize("mode", ["route class", "install"])
def test_a_reused_start_message_never_accumulates_other_requests_origins(mode):
    if mode == "route class":
        app = Starlette(routes=[StarletteCORSRoute("/r", Reusing)])
    else:
        app = install(Starlette(routes=[Route("/r", Reusing)]))
    client = TestClient(app)
    for origin in (APP, OTHER, APP):
        response = client.get("/r", headers={"Origin": origin})
        assert response.headers.get_list("access-control-allow-origin") == [origin]
        assert response.headers.get_list("vary") == ["Origin"]
    assert SHARED_START["headers"] == [(b"content-type", b"text/plain")]
