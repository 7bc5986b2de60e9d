"""Other decorators on a @cors endpoint always run, whichever order they are written in.

A decorator written with ``functools.wraps`` between the route decorator and ``@cors`` (an
auth check, a rate limit, a cache) must run AND the policy must apply: ``@cors`` only
marks the function, and the route serves the outermost function. Real decorators are
used: Starlette's ``@requires`` and slowapi's ``@limiter.limit``, under FastAPI and plain
Starlette, with the route classes and with ``install()``.
"""

from __future__ import annotations

import functools

import pytest
from fastapi import APIRouter, FastAPI, Request
from slowapi import Limiter, _rate_limit_exceeded_handler
from slowapi.errors import RateLimitExceeded
from slowapi.util import get_remote_address
from starlette.applications import Starlette
from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    SimpleUser,
    requires,
)
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient
from warning_guard import FASTAPI_DOCS_WITHOUT_CORS

from cors_routes import CORSPolicy, CORSRoute, StarletteCORSRoute, cors, install
from cors_routes.lint import check_app

# Route-class apps keep FastAPI's docs without CORS; the lint's finding about them is not
# what these tests are about (tests/warning_guard.py).
pytestmark = FASTAPI_DOCS_WITHOUT_CORS

APP = "https://app.example"
POLICY = CORSPolicy(allow_origins=[APP], allow_credentials=True)
DEFAULT = CORSPolicy(allow_origins=["https://default.example"])


class HeaderAuth(AuthenticationBackend):
    """``x-admin: yes`` makes an admin; anyone else is anonymous."""

    async def authenticate(self, conn):  # type: ignore[no-untyped-def]
        if conn.headers.get("x-admin") == "yes":
            return AuthCredentials(["admin"]), SimpleUser("admin")
        return None


def _both_orders(decorator):
    """The two ways of stacking ``decorator`` and ``@cors(POLICY)`` under a route decorator."""
    return {
        "guard above @cors": lambda f: decorator(cors(POLICY)(f)),
        "guard below @cors": lambda f: cors(POLICY)(decorator(f)),
    }


ORDERS = ["guard above @cors", "guard below @cors"]


def fastapi_admin_app(order: str, mode: str) -> FastAPI:
    app = FastAPI(
        openapi_url=None, middleware=[Middleware(AuthenticationMiddleware, backend=HeaderAuth())]
    )
    router = APIRouter(route_class=CORSRoute) if mode == "route class" else APIRouter()
    stack = _both_orders(requires("admin"))[order]

    async def stats(request: Request):
        return {"secret": 42}

    router.get("/stats")(stack(stats))
    app.include_router(router)
    if mode == "install":
        install(app, default=DEFAULT)
    return app


def starlette_admin_app(order: str, mode: str) -> Starlette:
    stack = _both_orders(requires("admin"))[order]

    async def stats(request):
        return PlainTextResponse("secret")

    route_class = StarletteCORSRoute if mode == "route class" else Route
    app = Starlette(
        routes=[route_class("/stats", stack(stats))],
        middleware=[Middleware(AuthenticationMiddleware, backend=HeaderAuth())],
    )
    if mode == "install":
        install(app, default=DEFAULT)
    return app


@pytest.mark.parametrize("mode", ["route class", "install"])
@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize(
    "make", [fastapi_admin_app, starlette_admin_app], ids=["fastapi", "starlette"]
)
def test_requires_runs_and_the_policy_applies(make, order, mode):
    client = TestClient(make(order, mode))
    anonymous = client.get("/stats", headers={"Origin": APP})
    assert anonymous.status_code == 403  # @requires ran: no admin, no secret
    assert "secret" not in anonymous.text
    assert anonymous.headers["access-control-allow-origin"] == APP  # the refusal is readable
    admin = client.get("/stats", headers={"Origin": APP, "x-admin": "yes"})
    assert admin.status_code == 200
    assert admin.headers["access-control-allow-origin"] == APP
    assert admin.headers["access-control-allow-credentials"] == "true"
    other = client.get("/stats", headers={"Origin": "https://default.example", "x-admin": "yes"})
    assert "access-control-allow-origin" not in other.headers  # the @cors policy, not a default
    pre = client.options("/stats", headers={"Origin": APP, "Access-Control-Request-Method": "GET"})
    assert pre.status_code == 204
    assert pre.headers["access-control-allow-origin"] == APP


@pytest.mark.parametrize("mode", ["route class", "install"])
@pytest.mark.parametrize("order", ORDERS)
def test_the_lint_has_nothing_to_say_about_either_order(order, mode):
    findings = check_app(fastapi_admin_app(order, mode))
    assert [f for f in findings if f.code in ("ignored-policy", "uncovered-route")] == []


def fastapi_limited_app(order: str, mode: str) -> FastAPI:
    limiter = Limiter(key_func=get_remote_address)
    app = FastAPI()
    app.state.limiter = limiter
    app.add_exception_handler(RateLimitExceeded, _rate_limit_exceeded_handler)
    router = APIRouter(route_class=CORSRoute) if mode == "route class" else APIRouter()
    stack = _both_orders(limiter.limit("2/hour"))[order]

    async def search(request: Request):
        return {"results": []}

    router.get("/search")(stack(search))
    app.include_router(router)
    if mode == "install":
        install(app, default=DEFAULT)
    return app


def starlette_limited_app(order: str, mode: str) -> Starlette:
    limiter = Limiter(key_func=get_remote_address)
    stack = _both_orders(limiter.limit("2/hour"))[order]

    async def search(request):
        return PlainTextResponse("results")

    route_class = StarletteCORSRoute if mode == "route class" else Route
    app = Starlette(routes=[route_class("/search", stack(search))])
    app.state.limiter = limiter
    app.add_exception_handler(RateLimitExceeded, _rate_limit_exceeded_handler)
    if mode == "install":
        install(app, default=DEFAULT)
    return app


@pytest.mark.parametrize("mode", ["route class", "install"])
@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize(
    "make", [fastapi_limited_app, starlette_limited_app], ids=["fastapi", "starlette"]
)
def test_a_third_party_rate_limit_runs_and_the_policy_applies(make, order, mode):
    client = TestClient(make(order, mode))
    statuses = []
    for _ in range(3):
        response = client.get("/search", headers={"Origin": APP})
        statuses.append(response.status_code)
        assert response.headers["access-control-allow-origin"] == APP
    assert statuses == [200, 200, 429]  # the limiter counted every request
    # A preflight is answered by the policy, without spending the rate limit's budget
    # on the endpoint (it never runs).
    pre = client.options("/search", headers={"Origin": APP, "Access-Control-Request-Method": "GET"})
    assert pre.status_code == 204


@pytest.mark.parametrize("order", ORDERS)
def test_a_plain_functools_wraps_decorator_runs(order):
    calls = []

    def audited(func):
        @functools.wraps(func)
        async def wrapper(*args, **kwargs):
            calls.append("audit")
            return await func(*args, **kwargs)

        return wrapper

    app = FastAPI()
    app.router.route_class = CORSRoute
    stack = _both_orders(audited)[order]

    async def item():
        return {"ok": True}

    app.get("/item")(stack(item))
    response = TestClient(app).get("/item", headers={"Origin": APP})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == APP
    assert calls == ["audit"]
