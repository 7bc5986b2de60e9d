"""allow_origin_func of the origin and the request: arity checked at definition, the request
it receives (preflights, actual requests, WebSocket handshakes, install() and route classes),
and what the lint, explain and OpenAPI do with it."""

from __future__ import annotations

import functools
import inspect
import re
from typing import Annotated

import pytest
from cors_helpers import acx, preflight
from fastapi import APIRouter, FastAPI, Header, WebSocket
from starlette.requests import HTTPConnection, Request
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

try:
    from starlette.testclient import WebSocketDenialResponse

    REFUSED: tuple[type[Exception], ...] = (WebSocketDisconnect, WebSocketDenialResponse)
except ImportError:  # older Starlette: the refusal is a close
    REFUSED = (WebSocketDisconnect,)

from cors_routes import CORSConfigError, CORSPolicy, CORSRoute, cors, install
from cors_routes.explain import explain
from cors_routes.lint import check_app

# Which origins each tenant (by Host) has registered: what a database would hold.
TENANTS = {
    "a.saas.test": {"https://shop-a.example"},
    "b.saas.test": {"https://shop-b.example"},
}


def tenant_origin(origin: str, request: Request) -> bool:
    return origin in TENANTS.get(request.url.hostname or "", set())


async def async_tenant_origin(origin: str, request: HTTPConnection) -> bool:
    return origin in TENANTS.get(request.headers.get("host", "").split(":")[0], set())


# -- arity, checked when the policy is defined ---------------------------------------------


def test_a_predicate_of_no_argument_is_refused_with_the_fix():
    with pytest.raises(CORSConfigError) as error:
        CORSPolicy(allow_origin_func=lambda: True)  # type: ignore[arg-type]
    assert "takes no positional argument" in str(error.value)
    assert "def allow(origin: str, request: Request)" in str(error.value)


def test_a_predicate_of_three_required_arguments_is_refused_with_the_fix():
    def allow(origin: str, request: Request, tenant: str) -> bool:
        return True

    with pytest.raises(CORSConfigError) as error:
        CORSPolicy(allow_origin_func=allow)  # type: ignore[arg-type]
    message = str(error.value)
    assert "takes 3 required positional arguments" in message
    assert "functools.partial" in message


def test_a_required_keyword_only_argument_is_refused():
    def allow(origin: str, *, tenant: str) -> bool:
        return True

    with pytest.raises(CORSConfigError) as error:
        CORSPolicy(allow_origin_func=allow)  # type: ignore[arg-type]
    assert "keyword-only parameters (tenant)" in str(error.value)


def test_arity_problems_are_reported_with_the_others():
    with pytest.raises(CORSConfigError) as error:
        CORSPolicy(allow_origin_func=lambda a, b, c: True, max_age=-1)  # type: ignore[arg-type]
    assert len(error.value.problems) == 2


def test_not_callable_is_refused():
    with pytest.raises(CORSConfigError, match="is not callable"):
        CORSPolicy(allow_origin_func="https://a.example")  # type: ignore[arg-type]


class Registry:
    def __init__(self, origins: set[str]) -> None:
        self.origins = origins

    def allows(self, origin: str) -> bool:
        return origin in self.origins

    def allows_for(self, origin: str, request: Request) -> bool:
        return request.headers.get("host") == "api.test" and origin in self.origins

    def __call__(self, origin: str, request: Request) -> bool:
        return self.allows_for(origin, request)


def lookup(origins: set[str], origin: str) -> bool:
    return origin in origins


def lookup_for(origins: set[str], origin: str, request: Request) -> bool:
    return origin in origins and request.url.path.startswith("/api")


ORIGINS = {"https://a.example"}


@pytest.mark.parametrize(
    ("func", "takes_request"),
    [
        (lambda origin: True, False),
        (lambda origin, request: True, True),
        (lambda origin, request=None: True, False),  # one required: asked with the origin
        (lambda *args: True, False),
        (lambda origin, *rest: True, False),
        (Registry(ORIGINS).allows, False),  # bound methods: self is bound
        (Registry(ORIGINS).allows_for, True),
        (Registry(ORIGINS), True),  # a callable object: its __call__
        (functools.partial(lookup, ORIGINS), False),
        (functools.partial(lookup_for, ORIGINS), True),
        (frozenset(ORIGINS).__contains__, False),
        (re.compile(r"https://a\.example").fullmatch, False),  # optional pos/endpos get nothing
        (async_tenant_origin, True),
    ],
)
def test_the_forms_a_predicate_takes(func, takes_request):
    assert CORSPolicy(allow_origin_func=func).origin_func_takes_request is takes_request


def test_a_builtin_without_a_signature_is_asked_with_the_origin_alone():
    # Some builtins have no signature Python can read: they are accepted and asked with one
    # argument, which is what every such builtin that answers about a value takes.
    builtin = getattr  # no signature (it takes 2 or 3 positional arguments)
    with pytest.raises(ValueError):
        inspect.signature(builtin)
    assert CORSPolicy(allow_origin_func=builtin).origin_func_takes_request is False  # type: ignore[arg-type]


# -- the request a predicate receives -----------------------------------------------------


def tenant_app(func, *, installed: bool) -> FastAPI:
    # Without install(), the docs routes would have no policy (and the lint would say so).
    app = FastAPI() if installed else FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    policy = CORSPolicy(allow_origin_func=func, allow_methods=["GET", "PUT"])

    class TenantRoute(CORSRoute):
        cors_policy = policy

    router = APIRouter() if installed else APIRouter(route_class=TenantRoute)

    @router.get("/api/items")
    def items() -> list[str]:
        return ["x"]

    @router.put("/api/items")
    def put_items(item: dict[str, str]) -> dict[str, str]:
        return item

    app.include_router(router)
    if installed:
        install(app, default=policy)
    return app


@pytest.mark.parametrize("installed", [True, False])
@pytest.mark.parametrize("func", [tenant_origin, async_tenant_origin])
def test_each_tenant_is_granted_its_own_origins_only(func, installed):
    client = TestClient(tenant_app(func, installed=installed))
    for host, origin, granted in [
        ("a.saas.test", "https://shop-a.example", True),
        ("a.saas.test", "https://shop-b.example", False),
        ("b.saas.test", "https://shop-b.example", True),
        ("b.saas.test", "https://shop-a.example", False),
        ("c.saas.test", "https://shop-a.example", False),
    ]:
        answer = preflight(client, "/api/items", origin, "PUT", Host=host)
        assert (answer.status_code == 204) is granted, (host, origin)
        assert (acx(answer).get("access-control-allow-origin") == origin) is granted
        actual = client.get("/api/items", headers={"Origin": origin, "Host": host})
        assert actual.status_code == 200
        assert (actual.headers.get("access-control-allow-origin") == origin) is granted


def test_the_predicate_sees_host_path_headers_and_scope_but_not_the_body():
    seen: list[tuple[str, str, str | None, str, bool]] = []

    async def allow(origin: str, request: Request) -> bool:
        assert isinstance(request, Request)
        with pytest.raises(RuntimeError, match="cannot read the request body"):
            await request.body()
        seen.append(
            (
                request.headers["host"],
                request.url.path,
                request.headers.get("x-tenant"),
                request.scope["method"],
                origin == request.headers["origin"],
            )
        )
        return True

    client = TestClient(tenant_app(allow, installed=True))
    preflight(client, "/api/items", "https://o.example", "PUT", Host="a.saas.test")
    answer = client.put(
        "/api/items",
        json={"name": "kept"},
        headers={"Origin": "https://o.example", "Host": "b.saas.test", "X-Tenant": "b"},
    )
    # The endpoint still reads the body the predicate could not.
    assert answer.json() == {"name": "kept"}
    assert seen == [
        ("a.saas.test", "/api/items", None, "OPTIONS", True),
        ("b.saas.test", "/api/items", "b", "PUT", True),
    ]


def test_a_predicate_raising_on_the_request_refuses_and_is_logged(caplog):
    def allow(origin: str, request: Request) -> bool:
        return origin in TENANTS[request.headers["host"]]  # KeyError for unknown hosts

    client = TestClient(tenant_app(allow, installed=True))
    answer = preflight(client, "/api/items", "https://shop-a.example", "PUT", Host="x.test")
    assert answer.status_code == 403
    assert "access-control-allow-origin" not in acx(answer)
    assert "allow_origin_func raised" in caplog.text


def test_websocket_handshakes_are_checked_with_the_connection():
    seen: list[tuple[type, str]] = []

    def allow(origin: str, request: HTTPConnection) -> bool:
        seen.append((type(request), request.url.path))
        return tenant_origin(origin, request)  # type: ignore[arg-type]

    app = FastAPI()

    @app.websocket("/ws")
    @cors(allow_origin_func=allow)
    async def feed(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("hello")
        await websocket.close()

    install(app, default=CORSPolicy(allow_origins=["https://app.example"]))
    client = TestClient(app)
    tenant = {"Host": "a.saas.test"}
    with client.websocket_connect(
        "/ws", headers={"Origin": "https://shop-a.example", **tenant}
    ) as ws:
        assert ws.receive_text() == "hello"
    with (
        pytest.raises(REFUSED),
        client.websocket_connect(
            "/ws", headers={"Origin": "https://shop-b.example", **tenant}
        ) as ws,
    ):
        ws.receive_text()
    assert seen == [(HTTPConnection, "/ws"), (HTTPConnection, "/ws")]


def test_a_request_aware_predicate_is_asked_on_every_request():
    # Its answer depends on the request: nothing is remembered between requests unless the
    # user asks for it (cached_origins).
    calls: list[str] = []

    def allow(origin: str, request: Request) -> bool:
        calls.append(request.headers["host"])
        return True

    client = TestClient(tenant_app(allow, installed=True))
    for _ in range(3):
        assert preflight(client, "/api/items", "https://o.example", "PUT").status_code == 204
    assert len(calls) == 3


# -- the diagnostics --------------------------------------------------------------------------


def credentialed_app(func) -> FastAPI:
    app = FastAPI()

    @app.get("/me")
    @cors(allow_origin_func=func, allow_credentials=True)
    def me(user: Annotated[str | None, Header()] = None) -> dict[str, str | None]:
        return {"user": user}

    install(app, default=CORSPolicy(allow_origins=["https://app.example"]))
    return app


def test_the_lint_finds_a_request_aware_predicate_that_accepts_any_origin():
    findings = check_app(credentialed_app(lambda origin, request: True))
    assert "credentials-any-origin" in {finding.code for finding in findings}


def test_the_lint_does_not_flag_a_per_tenant_predicate():
    findings = check_app(credentialed_app(async_tenant_origin))
    assert "credentials-any-origin" not in {finding.code for finding in findings}


def test_explain_asks_the_request_aware_predicate_with_its_request():
    # explain's requests go to host "testserver": a tenant registered there is granted.
    TENANTS["testserver"] = {"https://shop-t.example"}
    try:
        app = credentialed_app(tenant_origin)
        granted = explain(app, origin="https://shop-t.example", method="GET", path="/me")
        refused = explain(app, origin="https://shop-a.example", method="GET", path="/me")
    finally:
        del TENANTS["testserver"]
    assert granted.allowed
    assert not refused.allowed
    assert "allow_origin_func tenant_origin, which did not accept it" in refused.reason


def test_openapi_says_a_request_aware_predicate_may_allow_origins():
    app = tenant_app(tenant_origin, installed=False)
    operation = app.openapi()["paths"]["/api/items"]["get"]
    assert operation["x-cors"]["allowOriginFunc"] is True
