"""install() answers a preflight as the router routes the actual request, now, not as it did.

The routing table can change after install() without gaining or losing routes: a list
reordered or a route replaced in place. And some routing the answer depends on happens
where a model of the table cannot follow it: a mounted app's own middleware rewriting the
path, a mount that routes by the Host header. Each time, the preflight must be answered by
the policy of the route the actual request reaches. Every test sends a preflight before
the change (or for the other tenant first), so anything remembered is warm.
"""

from __future__ import annotations

import pytest
from cors_helpers import preflight
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Match, Mount, Route, Router
from starlette.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send
from warning_guard import expected_finding

from cors_routes import CORSPolicy, StarletteCORSRoute, cors, install, no_cors
from cors_routes.explain import explain
from cors_routes.lint import check_app

JSON = [("content-type", "application/json")]

APP = "https://app.example"
PARTNER = "https://partner.example"
DEFAULT = CORSPolicy(allow_origins=[APP], allow_credentials=True)


def granted(response, origin: str) -> bool:
    return (
        200 <= response.status_code < 300
        and response.headers.get("access-control-allow-origin") == origin
    )


def not_granted(response) -> bool:
    return not (
        200 <= response.status_code < 300 and "access-control-allow-origin" in response.headers
    )


# -- (a) routes reordered in place ------------------------------------------------------------


def partner_then_admin_app() -> FastAPI:
    app = FastAPI()

    @app.delete("/items/{item_id}")
    @cors(allow_origins=[PARTNER])
    def delete_for_partner(item_id: int):
        return "partner"

    @app.delete("/items/{item_id}")
    @no_cors
    def delete_as_admin(item_id: int):
        return "admin"

    return app


def test_moving_a_no_cors_route_first_takes_the_grant_away():
    app = partner_then_admin_app()
    install(app, default=DEFAULT)
    client = TestClient(app)
    assert client.delete("/items/1").json() == "partner"
    assert granted(preflight(client, "/items/1", PARTNER, "DELETE"), PARTNER)

    app.router.routes.insert(0, app.router.routes.pop())

    assert client.delete("/items/1").json() == "admin"
    assert not_granted(preflight(client, "/items/1", PARTNER, "DELETE"))
    assert not_granted(preflight(client, "/items/1", APP, "DELETE"))
    actual = client.delete("/items/1", headers={"Origin": PARTNER})
    assert "access-control-allow-origin" not in actual.headers


def test_moving_a_cors_route_first_gives_it_the_preflight():
    app = FastAPI()

    @app.delete("/items/{item_id}")
    @no_cors
    def delete_as_admin(item_id: int):
        return "admin"

    @app.delete("/items/{item_id}")
    @cors(allow_origins=[PARTNER])
    def delete_for_partner(item_id: int):
        return "partner"

    install(app, default=DEFAULT)
    client = TestClient(app)
    assert client.delete("/items/1").json() == "admin"
    assert not_granted(preflight(client, "/items/1", PARTNER, "DELETE"))

    app.router.routes.insert(0, app.router.routes.pop())

    assert client.delete("/items/1").json() == "partner"
    assert granted(preflight(client, "/items/1", PARTNER, "DELETE"), PARTNER)
    actual = client.delete("/items/1", headers={"Origin": PARTNER})
    assert actual.headers.get("access-control-allow-origin") == PARTNER


# -- (b) a route replaced in place ------------------------------------------------------------


@cors(allow_origins=[PARTNER])
async def old_items(request: Request) -> Response:
    return PlainTextResponse("old")


@cors(allow_origins=[APP])
async def new_items(request: Request) -> Response:
    return PlainTextResponse("new")


def test_a_starlette_route_replaced_in_place_answers_with_its_own_policy():
    app = Starlette(routes=[Route("/items", old_items, methods=["GET", "PUT"])])
    install(app, default=None)
    client = TestClient(app)
    assert granted(preflight(client, "/items", PARTNER, "PUT"), PARTNER)

    app.router.routes[0] = Route("/items", new_items, methods=["GET", "PUT"])

    assert client.put("/items").text == "new"
    assert granted(preflight(client, "/items", APP, "PUT"), APP)
    assert not_granted(preflight(client, "/items", PARTNER, "PUT"))
    actual = client.put("/items", headers={"Origin": APP})
    assert actual.headers.get("access-control-allow-origin") == APP
    actual = client.put("/items", headers={"Origin": PARTNER})
    assert "access-control-allow-origin" not in actual.headers


def test_an_api_route_replaced_in_place_answers_with_its_own_policy():
    app = FastAPI()

    @app.put("/items")
    @cors(allow_origins=[PARTNER])
    def put_old():
        return "old"

    install(app, default=None)
    client = TestClient(app)
    assert granted(preflight(client, "/items", PARTNER, "PUT"), PARTNER)

    @cors(allow_origins=[APP])
    def put_new():
        return "new"

    index = next(
        i for i, route in enumerate(app.router.routes) if getattr(route, "path", "") == "/items"
    )
    app.router.routes[index] = APIRoute("/items", put_new, methods=["PUT"])

    assert client.put("/items").json() == "new"
    assert granted(preflight(client, "/items", APP, "PUT"), APP)
    assert not_granted(preflight(client, "/items", PARTNER, "PUT"))
    actual = client.put("/items", headers={"Origin": APP})
    assert actual.headers.get("access-control-allow-origin") == APP


def test_a_route_replaced_by_a_no_cors_one_loses_the_default():
    async def items(request: Request) -> Response:
        return PlainTextResponse("items")

    @no_cors
    async def private(request: Request) -> Response:
        return PlainTextResponse("private")

    app = Starlette(routes=[Route("/items", items)])
    install(app, default=DEFAULT)
    client = TestClient(app)
    assert granted(preflight(client, "/items", APP, "GET"), APP)

    app.router.routes[0] = Route("/items", private)

    assert client.get("/items").text == "private"
    assert not_granted(preflight(client, "/items", APP, "GET"))
    actual = client.get("/items", headers={"Origin": APP})
    assert "access-control-allow-origin" not in actual.headers


# -- (c) a mounted app's middleware rewrites the path -----------------------------------------


class Rewrite:
    """Serves /open/x from /closed/x: a legacy alias, as a mounted app's middleware."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and "/open/x" in scope["path"]:
            path = scope["path"].replace("/open/x", "/closed/x")
            scope = {**scope, "path": path, "raw_path": path.encode()}
        await self.app(scope, receive, send)


@no_cors
async def closed(request: Request) -> Response:
    return PlainTextResponse("closed")


@cors(allow_origins=[PARTNER, APP], allow_credentials=True, allow_methods=["*"])
async def anything(request: Request) -> Response:
    return PlainTextResponse("anything")


def inner_routes() -> list[Route]:
    return [
        Route("/closed/x", closed, methods=["GET", "POST"]),
        Route("/{path:path}", anything, methods=["GET", "POST"]),
    ]


def mounted(kind: str) -> Mount:
    if kind == "sub-app middleware":
        sub = Starlette(routes=inner_routes())
        sub.add_middleware(Rewrite)
        return Mount("/m", app=sub)
    if kind == "mount middleware, app":
        return Mount("/m", app=Starlette(routes=inner_routes()), middleware=[Middleware(Rewrite)])
    return Mount("/m", app=Router(routes=inner_routes()), middleware=[Middleware(Rewrite)])


@pytest.mark.parametrize("default", [None, DEFAULT], ids=["no default", "a default"])
@pytest.mark.parametrize(
    "kind", ["sub-app middleware", "mount middleware, app", "mount middleware, router"]
)
@expected_finding("hidden-route")  # a mount behind its own middleware is the point
def test_a_path_a_mounted_middleware_rewrites_is_answered_for_where_it_goes(kind, default):
    app = Starlette(routes=[mounted(kind)])
    install(app, default=default)
    client = TestClient(app)
    # Which route serves a path behind the mount's own middleware cannot be known before
    # that middleware runs, and the routes in there have different policies: no preflight
    # into the mount is granted (the lint says why), not even the catch-all's own.
    assert client.get("/m/elsewhere").text == "anything"
    assert not_granted(preflight(client, "/m/elsewhere", PARTNER, "POST"))
    why = explain(app, origin=PARTNER, method="POST", path="/m/elsewhere", headers=JSON).reason
    assert "hidden-route" in why and "Mount /m" in why, why
    hidden = [f for f in check_app(app) if f.code == "hidden-route"]
    assert hidden and hidden[0].severity == "error"
    assert {"GET, HEAD, POST /m/closed/x", "GET, HEAD, POST /m/{path:path}"} <= set(
        hidden[0].places
    )
    # /m/open/x reaches the @no_cors route.
    assert client.get("/m/open/x").text == "closed"
    for origin in (PARTNER, APP):
        for method in ("GET", "POST"):
            answer = preflight(client, "/m/open/x", origin, method, headers="content-type")
            assert not_granted(answer), (origin, method, answer.status_code, answer.headers)
            assert answer.headers.get("access-control-allow-credentials") is None
        actual = client.get("/m/open/x", headers={"Origin": origin, "Cookie": "session=1"})
        assert actual.text == "closed"
        assert "access-control-allow-origin" not in actual.headers


@pytest.mark.parametrize(
    "kind", ["sub-app middleware", "mount middleware, app", "mount middleware, router"]
)
def test_a_mount_behind_middleware_whose_routes_all_have_the_default_gets_the_default(kind):
    # Whichever route serves there, its policy is the default: the default answers.
    @no_cors
    async def unused(request: Request) -> Response:
        return PlainTextResponse("")

    async def plain(request: Request) -> Response:
        return PlainTextResponse("plain")

    routes = [Route("/closed/x", plain, methods=["GET", "POST"]), Route("/{p:path}", plain)]
    if kind == "sub-app middleware":
        sub = Starlette(routes=routes)
        sub.add_middleware(Rewrite)
        mount = Mount("/m", app=sub)
    elif kind == "mount middleware, app":
        mount = Mount("/m", app=Starlette(routes=routes), middleware=[Middleware(Rewrite)])
    else:
        mount = Mount("/m", app=Router(routes=routes), middleware=[Middleware(Rewrite)])
    app = Starlette(routes=[mount])
    install(app, default=CORSPolicy(allow_origins=[APP], allow_methods=["GET", "POST"]))
    client = TestClient(app)
    assert granted(preflight(client, "/m/open/x", APP, "POST"), APP)
    assert not_granted(preflight(client, "/m/open/x", PARTNER, "POST"))


# -- (d) a mount that routes by the Host header -----------------------------------------------


class TenantMount(Mount):
    """Serves its app only to requests for its tenant's host."""

    def __init__(self, path: str, app: ASGIApp, tenant: str) -> None:
        super().__init__(path, app=app)
        self.tenant = tenant

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
        if host.split(":")[0] != self.tenant:
            return Match.NONE, {}
        return super().matches(scope)


A_ORIGIN = "https://shop.a.example"
B_ORIGIN = "https://shop.b.example"


def tenant_app(route_class: type[Route]) -> Starlette:
    @cors(allow_origins=[A_ORIGIN])
    async def items_a(request: Request) -> Response:
        return PlainTextResponse("a")

    @cors(allow_origins=[B_ORIGIN])
    async def items_b(request: Request) -> Response:
        return PlainTextResponse("b")

    return Starlette(
        routes=[
            TenantMount(
                "/api", Router(routes=[route_class("/items", items_a)]), tenant="a.example"
            ),
            TenantMount(
                "/api", Router(routes=[route_class("/items", items_b)]), tenant="b.example"
            ),
        ]
    )


def assert_each_tenant_answers_for_itself(client: TestClient) -> None:
    tenants = [("a.example", A_ORIGIN, B_ORIGIN), ("b.example", B_ORIGIN, A_ORIGIN)]
    for _ in range(2):  # alternating, so what the first tenant's preflight left is warm
        for host, mine, other in tenants:
            assert client.get("/api/items", headers={"Host": host}).text == host[0]
            answer = preflight(client, "/api/items", mine, "GET", Host=host)
            assert granted(answer, mine), (host, answer.status_code, answer.headers)
            refused = preflight(client, "/api/items", other, "GET", Host=host)
            assert not_granted(refused), (host, refused.status_code, refused.headers)
            actual = client.get("/api/items", headers={"Host": host, "Origin": mine})
            assert actual.headers.get("access-control-allow-origin") == mine


@pytest.mark.parametrize("default", [None, DEFAULT], ids=["no default", "a default"])
def test_mounts_routing_by_host_answer_each_tenants_preflights_under_install(default):
    app = tenant_app(Route)
    install(app, default=default)
    assert_each_tenant_answers_for_itself(TestClient(app))


def test_mounts_routing_by_host_answer_each_tenants_preflights_with_the_route_class():
    assert_each_tenant_answers_for_itself(TestClient(tenant_app(StarletteCORSRoute)))


def test_a_mount_behind_middleware_is_asked_again_when_its_routes_change():
    async def plain(request: Request) -> Response:
        return PlainTextResponse("plain")

    @no_cors
    async def closed_now(request: Request) -> Response:
        return PlainTextResponse("closed")

    inner = Router(routes=[Route("/{p:path}", plain, methods=["GET", "POST"])])
    app = Starlette(routes=[Mount("/m", app=inner, middleware=[Middleware(Rewrite)])])
    install(app, default=CORSPolicy(allow_origins=[APP], allow_methods=["GET", "POST"]))
    client = TestClient(app)
    assert granted(preflight(client, "/m/open/x", APP, "POST"), APP)
    # A route with another policy joins the mount: which route serves can no longer be
    # told from outside, so nothing is granted there any more.
    inner.routes.insert(0, Route("/closed/x", closed_now, methods=["GET", "POST"]))
    assert not_granted(preflight(client, "/m/open/x", APP, "POST"))
