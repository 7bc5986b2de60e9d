"""Policies by path: ``install(app, default=..., paths={"/auth": POLICY, "/admin": None})``.

For routers the user does not own (a library's router of plain ``APIRoute``\\ s). A prefix is
literal and matches whole path segments; the longest wins; it is matched against the request
path relative to the app's root path, for routes, 404s, 405s, redirects and mounted apps
alike. Precedence: the endpoint's own ``@cors``/``@no_cors``, the route class's
``cors_policy``, the path, the default.
"""

from __future__ import annotations

import json
from typing import ClassVar

import pytest
from _cli import run
from cors_helpers import acx, preflight
from fastapi import APIRouter, FastAPI, WebSocket
from hypothesis import given
from hypothesis import strategies as st
from policy_apps import (
    AUTH_ORIGIN,
    FRONTEND,
    admin_library,
    auth_library,
    create_path_app,
)
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from cors_routes import CORSConfigError, CORSPolicy, CORSRoute, cors, install, no_cors
from cors_routes._inventory import iter_routes
from cors_routes._path_policies import PathPolicies, checked_paths
from cors_routes.explain import explain
from cors_routes.lint import check_app

PARTNER = "https://partner.example"
OWN = "https://own.example"


@pytest.fixture(scope="module")
def client():
    with TestClient(create_path_app()) as client:
        yield client


# -- a library's router under a prefix ----------------------------------------------------------


def test_a_librarys_router_under_a_prefix_gets_the_prefix_policy(client):
    granted = preflight(client, "/auth/login", AUTH_ORIGIN, "POST", "content-type")
    assert granted.status_code == 204
    assert acx(granted)["access-control-allow-origin"] == AUTH_ORIGIN
    assert acx(granted)["access-control-allow-credentials"] == "true"
    ok = client.post("/auth/login", json={"password": "secret"}, headers={"Origin": AUTH_ORIGIN})
    assert ok.json() == {"token": "t"}
    assert acx(ok) == {
        "access-control-allow-origin": AUTH_ORIGIN,
        "access-control-allow-credentials": "true",
    }
    # The default's origin is not the prefix's.
    assert preflight(client, "/auth/login", FRONTEND, "POST", "content-type").status_code == 403
    assert acx(client.get("/auth/me", headers={"Origin": FRONTEND})) == {}


def test_errors_under_the_prefix_get_the_prefix_policy(client):
    headers = {"Origin": AUTH_ORIGIN}
    refused = client.post("/auth/login", json={"password": "wrong"}, headers=headers)
    assert refused.status_code == 401
    assert acx(refused)["access-control-allow-origin"] == AUTH_ORIGIN
    invalid = client.post("/auth/login", content=b"not json", headers=headers)
    assert invalid.status_code == 422
    assert acx(invalid)["access-control-allow-origin"] == AUTH_ORIGIN
    wrong_method = client.delete("/auth/login", headers=headers)
    assert wrong_method.status_code == 405
    assert acx(wrong_method)["access-control-allow-origin"] == AUTH_ORIGIN


def test_404s_under_a_prefix_get_its_policy_and_404s_elsewhere_the_default(client):
    under = client.get("/auth/nowhere", headers={"Origin": AUTH_ORIGIN})
    assert under.status_code == 404
    assert acx(under)["access-control-allow-origin"] == AUTH_ORIGIN
    assert acx(client.get("/auth/nowhere", headers={"Origin": FRONTEND})) == {}
    elsewhere = client.get("/nowhere", headers={"Origin": FRONTEND})
    assert acx(elsewhere) == {"access-control-allow-origin": FRONTEND}
    # No route serves it: a preflight is refused, whichever policy covers the path.
    assert preflight(client, "/auth/nowhere", AUTH_ORIGIN, "GET").status_code == 403


def test_a_prefix_matches_whole_segments_only(client):
    assert acx(client.get("/auth", headers={"Origin": AUTH_ORIGIN}))  # the prefix itself
    assert acx(client.get("/authors", headers={"Origin": AUTH_ORIGIN})) == {}
    assert acx(client.get("/authors", headers={"Origin": FRONTEND})) == {
        "access-control-allow-origin": FRONTEND
    }


def test_a_prefix_given_none_has_no_cors(client):
    response = client.get("/admin/users", headers={"Origin": FRONTEND})
    assert response.json() == ["ada"]
    assert acx(response) == {}
    assert "vary" not in response.headers
    # Its preflight reaches the app as if cors_routes were absent: FastAPI's 405.
    assert preflight(client, "/admin/users", FRONTEND, "GET").status_code == 405
    assert acx(client.get("/admin/nowhere", headers={"Origin": FRONTEND})) == {}


def test_routes_elsewhere_keep_the_default(client):
    response = client.get("/products", headers={"Origin": FRONTEND})
    assert acx(response) == {"access-control-allow-origin": FRONTEND}


# -- precedence -----------------------------------------------------------------------------------


class PartnerRoute(CORSRoute):
    cors_policy: ClassVar[CORSPolicy | None] = CORSPolicy(allow_origins=[PARTNER])


def precedence_app() -> FastAPI:
    mine = APIRouter()

    @mine.get("/api/own")
    @cors(CORSPolicy(allow_origins=[OWN]))
    async def own() -> str:
        return "own"

    @mine.get("/api/closed")
    @no_cors
    async def closed() -> str:
        return "closed"

    @mine.get("/api/open")
    async def open_() -> str:
        return "open"

    partner = APIRouter(route_class=PartnerRoute)

    @partner.get("/api/partner")
    async def partner_stock() -> str:
        return "stock"

    app = FastAPI(openapi_url=None)
    app.include_router(mine)
    app.include_router(partner)
    return install(
        app,
        default=CORSPolicy(allow_origins=[FRONTEND]),
        paths={"/api": CORSPolicy(allow_origins=[AUTH_ORIGIN])},
        lint=False,
    )


def test_precedence_endpoint_then_route_class_then_path_then_default():
    app = precedence_app()
    with TestClient(app) as client:

        def allowed(path: str) -> list[str]:
            origins = (OWN, PARTNER, AUTH_ORIGIN, FRONTEND)
            granted = [
                origin for origin in origins if acx(client.get(path, headers={"Origin": origin}))
            ]
            if path.startswith("/api/"):  # a route serves it: preflights agree
                assert granted == [
                    origin
                    for origin in origins
                    if preflight(client, path, origin, "GET").status_code == 204
                ]
            return granted

        assert allowed("/api/own") == [OWN]
        assert allowed("/api/partner") == [PARTNER]
        assert allowed("/api/open") == [AUTH_ORIGIN]
        assert allowed("/api/closed") == []
        assert allowed("/elsewhere") == [FRONTEND]
    sources = {info.path: info.source for info in iter_routes(app)}
    assert sources == {
        "/api/own": "@cors",
        "/api/closed": "no_cors",
        "/api/open": "path /api",
        "/api/partner": "route-class default",
    }


def test_the_routes_command_shows_path_policies():
    result = run("routes", "--json", "tests.policy_apps:path_app")
    assert result.returncode == 0, result.stderr
    entries = {entry["path"]: entry for entry in json.loads(result.stdout)}
    assert entries["/auth/login"]["source"] == "path /auth"
    assert entries["/auth/login"]["cors"]["allowOrigins"] == [AUTH_ORIGIN]
    assert entries["/auth/login"]["cors"]["allowMethods"] == ["POST"]
    assert entries["/admin/users"]["source"] == "path /admin"
    assert entries["/admin/users"]["cors"] is None
    assert entries["/products"]["source"] == "install default"


def test_the_longest_prefix_wins():
    app = FastAPI(openapi_url=None)
    app.include_router(auth_library, prefix="/auth")
    app.include_router(auth_library, prefix="/auth/partners")
    install(
        app,
        paths={
            "/auth": CORSPolicy(allow_origins=[AUTH_ORIGIN]),
            "/auth/partners": CORSPolicy(allow_origins=[PARTNER]),
        },
        lint=False,
    )
    with TestClient(app) as client:
        assert acx(client.get("/auth/me", headers={"Origin": AUTH_ORIGIN}))
        assert acx(client.get("/auth/partners/me", headers={"Origin": AUTH_ORIGIN})) == {}
        assert acx(client.get("/auth/partners/me", headers={"Origin": PARTNER}))
        assert preflight(client, "/auth/partners/me", PARTNER, "GET").status_code == 204
        assert preflight(client, "/auth/me", PARTNER, "GET").status_code == 403


def test_one_router_included_under_two_prefixes_answers_with_each_prefix_policy():
    app = FastAPI(openapi_url=None)
    app.include_router(auth_library, prefix="/v1")
    app.include_router(auth_library, prefix="/v2")
    v1 = CORSPolicy(allow_origins=[AUTH_ORIGIN])
    install(app, paths={"/v1": v1, "/v2": CORSPolicy(allow_origins=[PARTNER])}, lint=False)
    with TestClient(app) as client:
        for _ in range(2):  # remembered answers stay per path
            assert acx(client.get("/v1/me", headers={"Origin": AUTH_ORIGIN}))
            assert acx(client.get("/v2/me", headers={"Origin": AUTH_ORIGIN})) == {}
            assert acx(client.get("/v2/me", headers={"Origin": PARTNER}))
            assert preflight(client, "/v1/me", PARTNER, "GET").status_code == 403
            assert preflight(client, "/v2/me", PARTNER, "GET").status_code == 204


# -- routers included later, mounts, root paths, redirects -----------------------------------------


def test_routers_included_after_install_get_the_prefix_policy():
    app = install(FastAPI(), paths={"/auth": CORSPolicy(allow_origins=[AUTH_ORIGIN])}, lint=False)
    with TestClient(app) as client:
        assert client.get("/auth/me").status_code == 404
        app.include_router(auth_library, prefix="/auth")
        response = client.get("/auth/me", headers={"Origin": AUTH_ORIGIN})
        assert response.json() == {"name": "Ada"}
        assert acx(response) == {"access-control-allow-origin": AUTH_ORIGIN}


async def static_files(scope, receive, send) -> None:
    """A mounted ASGI app whose routes cannot be read, as StaticFiles is."""
    await PlainTextResponse(f"file {scope['path']}")(scope, receive, send)


def test_a_mount_under_a_prefix_gets_its_policy_for_every_path_under_it():
    files = CORSPolicy(allow_origins=[PARTNER])
    app = FastAPI(openapi_url=None)
    app.mount("/files", static_files)
    app.mount("/assets", static_files)
    install(app, default=CORSPolicy(allow_origins=[FRONTEND]), paths={"/files": files}, lint=False)
    with TestClient(app) as client:
        assert acx(client.get("/files/a.css", headers={"Origin": PARTNER})) == {
            "access-control-allow-origin": PARTNER
        }
        assert acx(client.get("/files/a.css", headers={"Origin": FRONTEND})) == {}
        assert preflight(client, "/files/a.css", PARTNER, "GET").status_code == 204
        assert acx(client.get("/assets/a.css", headers={"Origin": FRONTEND}))
    mounts = {info.path: info.source for info in iter_routes(app) if info.kind == "mount"}
    assert mounts == {"/files": "path /files", "/assets": "install default"}


def test_a_prefix_inside_a_mount_covers_the_paths_under_it_only():
    app = FastAPI(openapi_url=None)
    app.mount("/static", static_files)
    images = CORSPolicy(allow_origins=[PARTNER])
    install(
        app, default=CORSPolicy(allow_origins=[FRONTEND]), paths={"/static/img": images}, lint=False
    )
    with TestClient(app) as client:
        assert acx(client.get("/static/img/a.png", headers={"Origin": PARTNER}))
        assert acx(client.get("/static/app.js", headers={"Origin": PARTNER})) == {}
        assert acx(client.get("/static/app.js", headers={"Origin": FRONTEND}))
    findings = [finding for finding in check_app(app) if finding.code == "partial-path"]
    assert [finding.where for finding in findings] == ["Mount /static"]


def test_the_routes_of_a_mounted_app_are_matched_by_their_full_path():
    inner = FastAPI(openapi_url=None)
    inner.include_router(auth_library)
    app = FastAPI(openapi_url=None)
    app.mount("/sso", inner)
    install(app, paths={"/sso": CORSPolicy(allow_origins=[AUTH_ORIGIN])}, lint=False)
    with TestClient(app) as client:
        assert acx(client.get("/sso/me", headers={"Origin": AUTH_ORIGIN}))
        assert preflight(client, "/sso/login", AUTH_ORIGIN, "POST", "content-type").status_code == (
            403  # unset allow_methods in a path policy: GET, as in the default
        )
        assert acx(client.get("/sso/nowhere", headers={"Origin": AUTH_ORIGIN}))
    assert {info.path: info.source for info in iter_routes(app) if info.kind == "http"} == {
        "/sso/login": "path /sso",
        "/sso/me": "path /sso",
    }


def test_prefixes_are_relative_to_the_apps_root_path():
    app = FastAPI(openapi_url=None)  # served under /api by the server (TestClient's root_path)
    app.include_router(auth_library, prefix="/auth")
    install(app, paths={"/auth": CORSPolicy(allow_origins=[AUTH_ORIGIN])}, lint=False)
    # As behind `uvicorn --root-path /api`: the path holds the root path.
    with TestClient(app, root_path="/api") as client:
        assert acx(client.get("/api/auth/me", headers={"Origin": AUTH_ORIGIN}))
        assert preflight(client, "/api/auth/me", AUTH_ORIGIN, "GET").status_code == 204
        assert acx(client.get("/api/auth/nowhere", headers={"Origin": AUTH_ORIGIN}))
        assert client.get("/api/auth/me").json() == {"name": "Ada"}


def test_a_slash_redirect_under_a_prefix_carries_its_targets_answer():
    app = FastAPI(openapi_url=None)
    app.include_router(auth_library, prefix="/auth")
    install(app, paths={"/auth": CORSPolicy(allow_origins=[AUTH_ORIGIN])}, lint=False)
    with TestClient(app, follow_redirects=False) as client:
        redirect = client.get("/auth/me/", headers={"Origin": AUTH_ORIGIN})
        assert redirect.status_code == 307
        assert acx(redirect) == {"access-control-allow-origin": AUTH_ORIGIN}
        assert preflight(client, "/auth/me/", AUTH_ORIGIN, "GET").status_code == 204


def test_a_path_policy_with_unset_allow_methods_grants_get_as_the_default_does():
    app = FastAPI(openapi_url=None)
    app.include_router(auth_library, prefix="/auth")
    app.include_router(auth_library, prefix="/open")
    install(
        app,
        paths={
            "/auth": CORSPolicy(allow_origins=[AUTH_ORIGIN]),
            "/open": CORSPolicy(allow_origins=[AUTH_ORIGIN], allow_methods=["*"]),
        },
        lint=False,
    )
    with TestClient(app) as client:
        post = ("POST", "content-type")
        assert preflight(client, "/auth/login", AUTH_ORIGIN, *post).status_code == 403
        assert preflight(client, "/auth/me", AUTH_ORIGIN, "GET").status_code == 204
        assert preflight(client, "/open/login", AUTH_ORIGIN, *post).status_code == 204
    reason = explain(
        app,
        origin=AUTH_ORIGIN,
        method="POST",
        path="/auth/login",
        headers=[("content-type", "application/json")],
        body="{}",
    ).reason
    assert "install(paths=...) policy of /auth" in reason
    assert "allow_methods=['*']" in reason


def test_path_policies_do_not_apply_to_websockets():
    app = FastAPI(openapi_url=None)
    sockets = APIRouter()

    @sockets.websocket("/live")
    async def live(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("hi")
        await websocket.close()

    app.include_router(sockets, prefix="/auth")
    install(app, paths={"/auth": CORSPolicy(allow_origins=[AUTH_ORIGIN])}, lint=False)
    with TestClient(app) as client:
        with client.websocket_connect("/auth/live", headers={"Origin": PARTNER}) as socket:
            assert socket.receive_text() == "hi"


def test_a_starlette_app_gets_path_policies():
    async def hello(request) -> PlainTextResponse:
        return PlainTextResponse("hello")

    app = Starlette(
        routes=[Route("/auth/hello", hello), Route("/hello", hello), Mount("/f", static_files)]
    )
    install(
        app,
        default=CORSPolicy(allow_origins=[FRONTEND]),
        paths={"/auth": CORSPolicy(allow_origins=[AUTH_ORIGIN]), "/f": None},
        lint=False,
    )
    with TestClient(app) as client:
        assert acx(client.get("/auth/hello", headers={"Origin": AUTH_ORIGIN}))
        assert acx(client.get("/auth/hello", headers={"Origin": FRONTEND})) == {}
        assert acx(client.get("/hello", headers={"Origin": FRONTEND}))
        assert acx(client.get("/f/x", headers={"Origin": FRONTEND})) == {}
        assert preflight(client, "/auth/hello", AUTH_ORIGIN, "GET").status_code == 204


def test_x_cors_publishes_path_policies():
    app = FastAPI()
    app.include_router(auth_library, prefix="/auth")
    app.include_router(admin_library, prefix="/admin")
    install(
        app,
        paths={"/auth": CORSPolicy(allow_origins=[AUTH_ORIGIN]), "/admin": None},
        x_cors=True,
        lint=False,
    )
    schema = app.openapi()["paths"]
    assert schema["/auth/me"]["get"]["x-cors"]["allowOrigins"] == [AUTH_ORIGIN]
    assert schema["/auth/login"]["post"]["x-cors"]["allowMethods"] == []  # unset: GET only
    assert "x-cors" not in schema["/admin/users"]["get"]


# -- the lint -------------------------------------------------------------------------------------


def test_a_prefix_that_covers_nothing_is_a_lint_warning():
    app = FastAPI(openapi_url=None)
    app.include_router(auth_library, prefix="/api/auth")
    install(app, paths={"/auth": CORSPolicy(allow_origins=[AUTH_ORIGIN])}, lint=False)
    unused = [finding for finding in check_app(app) if finding.code == "unused-path"]
    assert len(unused) == 1 and unused[0].severity == "warning"
    assert "'/auth'" in unused[0].message


def test_a_prefix_reaching_into_a_path_parameter_is_a_lint_warning():
    users = APIRouter()

    @users.get("/users/{user_id}")
    async def user(user_id: str) -> str:
        return user_id

    app = FastAPI(openapi_url=None)
    app.include_router(users)
    install(app, paths={"/users/me": CORSPolicy(allow_origins=[AUTH_ORIGIN])}, lint=False)
    partial = [finding for finding in check_app(app) if finding.code == "partial-path"]
    assert [finding.where for finding in partial] == ["GET /users/{user_id}"]
    # Requests decide: the request path is under the prefix or not.
    with TestClient(app) as client:
        assert acx(client.get("/users/me", headers={"Origin": AUTH_ORIGIN}))
        assert acx(client.get("/users/ada", headers={"Origin": AUTH_ORIGIN})) == {}


# -- what install(paths=...) accepts ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "message"),
    [
        ("/users/{user_id}", r"holds a path parameter, .* write '/users'"),
        ("/api/*", r"not patterns: write '/api'"),
        ("/api/.*", r"not patterns: write '/api'"),
        ("^/api/v[0-9]+", r"does not start with '/'"),
        ("/api/(v1|v2)", r"looks like a regular expression"),
        ("/admin/", r"ends with '/': write '/admin'"),
        ("/", r"covers every path: pass that policy as install\(app, default=\.\.\.\)"),
        ("auth", r"does not start with '/': write '/auth'"),
        ("/a//b", r"empty segment: write '/a/b'"),
        ("/a b", r"is not a path"),
    ],
)
def test_install_refuses_a_prefix_that_is_not_a_literal_path(prefix, message):
    with pytest.raises(CORSConfigError, match=message):
        install(FastAPI(), paths={prefix: CORSPolicy()})


def test_install_lists_every_problem_of_paths_at_once():
    with pytest.raises(CORSConfigError) as error:
        install(FastAPI(), paths={"/a/*": CORSPolicy(), "/b": {"allow_origins": ["*"]}})
    assert len(error.value.problems) == 2
    assert "CORSPolicy(**settings)" in error.value.problems[1]
    with pytest.raises(CORSConfigError, match="takes a mapping"):
        install(FastAPI(), paths=["/a"])  # type: ignore[arg-type]


# -- the lookup ----------------------------------------------------------------------------------


def naive_lookup(prefixes: dict[str, str], path: str) -> str | None:
    covering = [p for p in prefixes if path == p or path.startswith(p + "/")]
    return max(covering, key=len) if covering else None


segment = st.sampled_from(["a", "ab", "b", "admin", "administrator", ""])
paths = st.lists(segment, min_size=1, max_size=5).map(lambda parts: "/" + "/".join(parts))
prefixes = st.lists(
    st.lists(segment.filter(bool), min_size=1, max_size=3).map(lambda p: "/" + "/".join(p)),
    max_size=6,
    unique=True,
)


@given(prefixes, paths)
def test_the_lookup_is_the_longest_prefix_on_a_segment_boundary(chosen, path):
    table = {prefix: prefix for prefix in chosen}
    found = PathPolicies(dict.fromkeys(chosen)).lookup(path)
    expected = naive_lookup(table, path)
    assert (found[0] if found else None) == expected


def test_checked_paths_is_none_for_no_paths():
    assert checked_paths(None) is None
    assert checked_paths({}) is None


class Passthrough:
    """A mounted app's own middleware: install() cannot see past it (it may rewrite paths)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        await self.app(scope, receive, send)


def _router_records_the_route() -> bool:
    """Whether the router writes scope["route"] for a plain Starlette route (newer
    Starlette does; 0.37 does not)."""
    seen: dict[str, object] = {}

    async def endpoint(request) -> PlainTextResponse:
        seen["route"] = request.scope.get("route")
        return PlainTextResponse("")

    with TestClient(Starlette(routes=[Route("/x", endpoint)])) as client:
        client.get("/x")
    return seen.get("route") is not None


def hidden_mount_app(own: CORSPolicy | None) -> Starlette:
    async def hello(request) -> PlainTextResponse:
        return PlainTextResponse("hello")

    routes = [Route("/hello", hello), Route("/other", hello)]
    if own is not None:

        @cors(own)
        async def mine(request) -> PlainTextResponse:
            return PlainTextResponse("mine")

        routes.append(Route("/own", mine))
    inner = Starlette(routes=routes, middleware=[Middleware(Passthrough)])
    app = Starlette(routes=[Mount("/m", inner)])
    return install(
        app,
        default=CORSPolicy(allow_origins=[FRONTEND]),
        paths={"/m": CORSPolicy(allow_origins=[PARTNER])},
        lint=False,
    )


def test_a_mount_behind_its_own_middleware_gets_the_path_policy_its_routes_share():
    app = hidden_mount_app(None)
    assert [finding.code for finding in check_app(app) if finding.code == "hidden-route"] == []
    with TestClient(app) as client:
        assert preflight(client, "/m/hello", PARTNER, "GET").status_code == 204
        assert acx(client.get("/m/hello", headers={"Origin": PARTNER}))
        assert acx(client.get("/m/hello", headers={"Origin": FRONTEND})) == {}


def test_a_mount_behind_its_own_middleware_with_a_route_of_its_own_policy_grants_nothing():
    app = hidden_mount_app(CORSPolicy(allow_origins=[OWN]))
    hidden = [finding.where for finding in check_app(app) if finding.code == "hidden-route"]
    assert hidden == ["GET, HEAD /m/own"]
    with TestClient(app) as client:
        # Which route a preflight is for cannot be known past the middleware: refused.
        assert preflight(client, "/m/hello", PARTNER, "GET").status_code == 403
        assert preflight(client, "/m/own", OWN, "GET").status_code == 403
        if _router_records_the_route():
            # A response names the route that served it: each gets its own answer.
            assert acx(client.get("/m/own", headers={"Origin": OWN}))
        else:
            # Older Starlette routes do not write scope["route"]: which route served is
            # unknown past the middleware, so nothing is granted there.
            assert acx(client.get("/m/own", headers={"Origin": OWN})) == {}
        assert acx(client.get("/m/own", headers={"Origin": PARTNER})) == {}
