"""A preflight is granted only for a method token the route really serves.

A route whose endpoint is a class has no method list (``route.methods is None``): for
Starlette's ``HTTPEndpoint`` the served methods are its handlers, as Starlette dispatches
them; an ASGI class endpoint serves any method, but still only a method token a browser
can send (never a forbidden method such as TRACE, never a list, an empty value or control
characters).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.endpoints import HTTPEndpoint
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from cors_routes import CORSPolicy, StarletteCORSRoute, cors, install
from cors_routes._dispatch import SEVERAL_ORIGINS, preflight_asked
from cors_routes._headers import TOKEN

APP = "https://app.example"
POLICY = CORSPolicy(allow_origins=[APP])
NOT_TOKENS = ["GET, DELETE", "", "X\x01", "GET DELETE", "(GET)", "G" * 65]
FORBIDDEN = ["TRACE", "CONNECT", "TRACK", "trace"]


@cors(POLICY)
class Notes(HTTPEndpoint):
    async def get(self, request):
        return PlainTextResponse("notes")

    async def post(self, request):
        return PlainTextResponse("added")


@cors(POLICY)
class AnyMethod:
    """An ASGI app as endpoint: it serves whatever method it is sent."""

    def __init__(self, scope, receive, send):
        self.scope, self.send = scope, send

    def __await__(self):
        return PlainTextResponse(self.scope["method"])(self.scope, None, self.send).__await__()


def app_for(mode: str) -> Starlette:
    if mode == "route class":
        return Starlette(
            routes=[StarletteCORSRoute("/notes", Notes), StarletteCORSRoute("/any", AnyMethod)]
        )
    return install(Starlette(routes=[Route("/notes", Notes), Route("/any", AnyMethod)]))


def preflight(client, path, method):
    return client.options(path, headers={"Origin": APP, "Access-Control-Request-Method": method})


MODES = ["route class", "install"]


@pytest.mark.parametrize("mode", MODES)
def test_a_class_endpoint_is_granted_only_the_methods_it_has_handlers_for(mode):
    client = TestClient(app_for(mode))
    for method in ("GET", "HEAD", "POST"):
        granted = preflight(client, "/notes", method)
        assert granted.status_code == 204, method
        assert granted.headers["access-control-allow-methods"] == method
    for method in ("DELETE", "PUT", "PATCH", "PURGE"):
        refused = preflight(client, "/notes", method)
        assert refused.status_code == 403, method
        assert "access-control-allow-origin" not in refused.headers
    # ... and that refusal matches what the endpoint would do with the actual request.
    assert client.delete("/notes", headers={"Origin": APP}).status_code == 405


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("path", ["/notes", "/any"])
def test_values_that_are_not_method_tokens_or_are_forbidden_are_refused(mode, path):
    client = TestClient(app_for(mode))
    for method in NOT_TOKENS + FORBIDDEN:
        refused = preflight(client, path, method)
        assert refused.status_code == 403, repr(method)
        assert "access-control-allow-origin" not in refused.headers
        assert "access-control-allow-methods" not in refused.headers


@pytest.mark.parametrize("mode", MODES)
def test_an_asgi_class_endpoint_is_granted_any_method_token(mode):
    client = TestClient(app_for(mode))
    for method in ("PUT", "PURGE", "X-Custom"):
        granted = preflight(client, "/any", method)
        assert granted.status_code == 204, method
        assert granted.headers["access-control-allow-methods"] == method


def test_several_origin_lines_are_marked_by_a_value_no_request_can_send():
    # Any bytes value can arrive as a header; the marker for "more than one Origin line"
    # must never equal one, or a request could pass itself off as that case.
    assert not isinstance(SEVERAL_ORIGINS, (bytes, str))
    one = {"headers": [(b"origin", b"\x00multiple"), (b"access-control-request-method", b"GET")]}
    two = {
        "headers": [
            (b"origin", b"https://a"),
            (b"origin", b"https://b"),
            (b"access-control-request-method", b"GET"),
        ]
    }
    assert preflight_asked(one)[0] == b"\x00multiple"
    assert preflight_asked(two)[0] is SEVERAL_ORIGINS
    assert preflight_asked(one) != preflight_asked(two)


# A route that serves any method, and a policy that allows any: only the asked method's
# shape decides, and it must be a token a browser can send.
_ANY = StarletteCORSRoute("/any", AnyMethod)


@settings(max_examples=300, deadline=None)
@given(method=st.text(alphabet=st.characters(max_codepoint=255), max_size=80))
def test_any_method_route_grants_exactly_the_method_tokens(method):
    client = TestClient(Starlette(routes=[_ANY]))
    raw = method.encode("latin-1")
    response = client.options(
        "/any", headers=[(b"origin", APP.encode()), (b"access-control-request-method", raw)]
    )
    expected = (
        TOKEN.fullmatch(method) is not None
        and len(method) <= 64
        and method.upper() not in ("CONNECT", "TRACE", "TRACK")
    )
    assert (response.status_code == 204) == expected, (method, response.status_code)
    if expected:
        assert response.headers["access-control-allow-methods"] == method
