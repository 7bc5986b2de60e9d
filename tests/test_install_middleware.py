"""install() and the app's own middleware: preflights are decided where the router sees them.

A middleware may rewrite a request's path (LNbits sends /.well-known/... to an extension's
route): the preflight must be answered by the policy of the route that will serve the
rewritten request. A middleware may also answer a request itself before the router (an
auth check, a redirect): a preflight carries no credentials, so the policy answers it
instead, as an outermost CORSMiddleware would.
"""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.testclient import TestClient

from cors_routes import CORSPolicy, cors, install, no_cors

SHOP = "https://shop.example"
ADMIN = "https://admin.example"


class Rewrite:
    """Serves /.well-known/<name> from /ext/.well-known/<name>, /legacy/x from /admin/x."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            path = scope["path"]
            if path.startswith("/.well-known/"):
                scope["path"] = "/ext" + path
            elif path.startswith("/legacy/"):
                scope["path"] = "/admin/" + path.removeprefix("/legacy/")
        await self.app(scope, receive, send)


class RequireToken:
    """Answers 401 to any request without an Authorization header, preflights included."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        headers = dict(scope.get("headers", []))
        if scope["type"] == "http" and b"authorization" not in headers:
            await JSONResponse({"detail": "token required"}, 401)(scope, receive, send)
            return
        await self.app(scope, receive, send)


class BreaksOnOptions:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "OPTIONS":
            raise RuntimeError("a broken middleware")
        await self.app(scope, receive, send)


def preflight(client, path, origin, method="POST"):
    return client.options(path, headers={"Origin": origin, "Access-Control-Request-Method": method})


def rewriting_app() -> FastAPI:
    app = FastAPI()

    @app.post("/ext/.well-known/{name}")
    def well_known(name: str):
        return {"name": name}

    @app.post("/legacy/{name}")  # dead code: the middleware sends /legacy/* to /admin/*
    @cors(allow_origins=[SHOP])
    def legacy(name: str):
        return {"legacy": name}

    @app.post("/admin/{name}")
    @cors(allow_origins=[ADMIN])
    def admin(name: str):
        return {"admin": name}

    app.add_middleware(Rewrite)
    # allow_methods unset would mean ("GET",) in the default, as in CORSMiddleware
    return install(app, default=CORSPolicy(allow_origins=[SHOP], allow_methods=["POST"]))


def test_a_rewritten_path_is_answered_by_the_route_that_serves_it():
    client = TestClient(rewriting_app())
    granted = preflight(client, "/.well-known/alice", SHOP)
    assert granted.status_code == 204
    assert granted.headers["access-control-allow-origin"] == SHOP
    actual = client.post("/.well-known/alice", headers={"Origin": SHOP})
    assert actual.json() == {"name": "alice"}
    assert actual.headers["access-control-allow-origin"] == SHOP


def test_a_path_rewritten_to_another_route_gets_that_routes_policy():
    # /legacy/x is served by /admin/{name}, whose policy allows only the admin site: the
    # dead /legacy route's policy must not grant the shop a request that runs there.
    client = TestClient(rewriting_app())
    assert preflight(client, "/legacy/x", SHOP).status_code == 403
    granted = preflight(client, "/legacy/x", ADMIN)
    assert granted.status_code == 204 and granted.headers["access-control-allow-origin"] == ADMIN
    actual = client.post("/legacy/x", headers={"Origin": ADMIN})
    assert actual.json() == {"admin": "x"}
    assert actual.headers["access-control-allow-origin"] == ADMIN


def guarded_app() -> FastAPI:
    app = FastAPI()

    @app.post("/orders")
    def create_order():
        return {"id": 1}

    @app.post("/internal")
    @no_cors
    def internal():
        return {}

    app.add_middleware(RequireToken)
    return install(
        app,
        default=CORSPolicy(
            allow_origins=[SHOP],
            allow_credentials=True,
            allow_methods=["POST"],
            allow_headers=["Authorization"],
        ),
    )


def test_a_middleware_that_refuses_the_preflight_is_overruled_by_the_policy():
    client = TestClient(guarded_app())
    granted = preflight(client, "/orders", SHOP)
    assert granted.status_code == 204
    assert granted.headers["access-control-allow-origin"] == SHOP
    assert "token required" not in granted.text
    refused = preflight(client, "/orders", "https://evil.example")
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers
    # the actual request still meets the middleware, and its answer is readable
    rejected = client.post("/orders", headers={"Origin": SHOP})
    assert rejected.status_code == 401
    assert rejected.headers["access-control-allow-origin"] == SHOP
    accepted = client.post("/orders", headers={"Origin": SHOP, "Authorization": "Bearer t"})
    assert accepted.status_code == 200


def test_without_cors_the_middlewares_own_answer_goes_out():
    client = TestClient(guarded_app())
    answer = preflight(client, "/internal", SHOP)
    assert answer.status_code == 401
    assert answer.json() == {"detail": "token required"}
    assert "access-control-allow-origin" not in answer.headers


def test_a_middleware_that_raises_on_a_preflight_still_gets_the_policys_answer():
    app = FastAPI()

    @app.put("/items")
    def put_items():
        return {}

    app.add_middleware(BreaksOnOptions)
    install(app, default=CORSPolicy(allow_origins=[SHOP], allow_methods=["PUT"]))
    client = TestClient(app, raise_server_exceptions=False)
    answer = preflight(client, "/items", SHOP, "PUT")
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == SHOP
    with pytest.raises(RuntimeError, match="broken middleware"):
        preflight(TestClient(app), "/items", SHOP, "PUT")


class ServesUpstream:
    """Answers every request under /upstream/ itself (a proxy): the router never sees them."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith("/upstream/"):
            await PlainTextResponse(f"upstream {scope['method']}")(scope, receive, send)
            return
        await self.app(scope, receive, send)


def test_a_path_a_middleware_serves_gets_the_default_as_cors_middleware_gave_it():
    app = FastAPI()

    @app.get("/items")
    def items():
        return []

    app.add_middleware(ServesUpstream)
    install(app, default=CORSPolicy(allow_origins=[SHOP], allow_methods=["GET", "PUT"]))
    client = TestClient(app)
    granted = preflight(client, "/upstream/x", SHOP, "PUT")
    assert granted.status_code == 204
    assert granted.headers["access-control-allow-origin"] == SHOP
    assert "upstream" not in granted.text
    assert preflight(client, "/upstream/x", "https://evil.example", "PUT").status_code == 403
    assert preflight(client, "/upstream/x", SHOP, "DELETE").status_code == 403  # not allowed
    actual = client.put("/upstream/x", headers={"Origin": SHOP})
    assert actual.text == "upstream PUT"
    assert actual.headers["access-control-allow-origin"] == SHOP
    # where the router does see the request, a path no route serves is still refused
    assert preflight(client, "/nowhere", SHOP, "PUT").status_code == 403


def test_an_unreported_response_is_decided_by_the_path_the_router_saw():
    # A 404 at the rewritten path: the default policy, as for any 404; the response of a
    # mounted opaque app reached through a rewrite: the default too.
    app = FastAPI()

    async def files(scope, receive, send):
        await PlainTextResponse("file")(scope, receive, send)

    app.mount("/ext/files", files)
    app.add_middleware(Rewrite)
    install(app, default=CORSPolicy(allow_origins=[SHOP]))
    client = TestClient(app)
    response = client.get("/.well-known/files/x", headers={"Origin": SHOP})
    assert response.status_code == 404  # /ext/.well-known/files/x: no route
    assert response.headers["access-control-allow-origin"] == SHOP


def test_a_router_shared_by_two_apps_gets_each_apps_own_policy():
    # A factory called twice (as test suites do) includes the same module-level router in
    # both apps: each app answers with its own default.
    from fastapi import APIRouter

    shared = APIRouter()

    @shared.get("/items")
    def items():
        return []

    def create_app(origin: str) -> FastAPI:
        app = FastAPI()
        app.include_router(shared)
        return install(app, default=CORSPolicy(allow_origins=[origin]))

    first, second = create_app(SHOP), create_app(ADMIN)
    for app, mine, other in ((first, SHOP, ADMIN), (second, ADMIN, SHOP)):
        client = TestClient(app)
        assert (
            client.get("/items", headers={"Origin": mine}).headers.get(
                "access-control-allow-origin"
            )
            == mine
        )
        assert (
            "access-control-allow-origin"
            not in client.get("/items", headers={"Origin": other}).headers
        )
