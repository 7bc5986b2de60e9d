"""Where policies come from and how routes are found: routers, mounts, defaults, Starlette."""

import subprocess
import sys

import pytest
from cors_helpers import acx, preflight, vary
from fastapi import APIRouter, FastAPI, WebSocket
from fastapi.routing import APIRoute
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route
from starlette.testclient import TestClient
from warning_guard import FASTAPI_DOCS_WITHOUT_CORS, expected_finding

import cors_routes
from cors_routes import CORSConfigError, CORSPolicy, CORSRoute, cors, install, no_cors
from cors_routes.lint import check_app

# Route-class apps keep FastAPI's docs without CORS; the lint's finding about them is not
# what these tests are about (tests/warning_guard.py).
pytestmark = FASTAPI_DOCS_WITHOUT_CORS

APP = "https://app.example"
PARTNER = "https://partner.example"
ADMIN = "https://admin.example"
EVIL = "https://evil.example"


def assert_granted(response, origin, method):
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == origin
    assert response.headers["access-control-allow-methods"] == method


def assert_refused(response):
    assert response.status_code == 403
    assert acx(response) == {}


# ---------- classes and exports


def test_cors_route_is_an_api_route():
    assert issubclass(CORSRoute, APIRoute)
    assert CORSRoute.cors_policy is None


def test_starlette_cors_route_is_a_starlette_route():
    from cors_routes.starlette import CORSRoute as SCORSRoute

    assert issubclass(SCORSRoute, Route)
    assert cors_routes.StarletteCORSRoute is SCORSRoute


def test_importing_cors_routes_does_not_import_fastapi():
    code = (
        "import cors_routes, cors_routes.starlette, sys; "
        "assert 'fastapi' not in sys.modules, sorted(m for m in sys.modules if 'fastapi' in m)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_public_names():
    for name in ["cors", "no_cors", "CORSRoute", "CORSPolicy", "CORSConfigError"]:
        assert hasattr(cors_routes, name)


# ---------- app.router.route_class


def test_app_router_route_class():
    app = FastAPI()
    app.router.route_class = CORSRoute

    @app.put("/x")
    @cors(allow_origins=[APP])
    def x():
        return {"x": 1}

    client = TestClient(app)
    assert_granted(preflight(client, "/x", APP, "PUT"), APP, "PUT")
    r = client.put("/x", headers={"Origin": APP})
    assert r.json() == {"x": 1}
    assert r.headers["access-control-allow-origin"] == APP


# ---------- include_router


def test_include_router_with_prefixes():
    app = FastAPI()
    router = APIRouter(prefix="/v1", route_class=CORSRoute)

    @router.post("/items/{item_id}")
    @cors(allow_origins=[APP], allow_headers=["x-token"])
    def create(item_id: int):
        return {"item_id": item_id}

    app.include_router(router, prefix="/api")
    client = TestClient(app)
    r = preflight(client, "/api/v1/items/5", APP, "POST", "x-token")
    assert_granted(r, APP, "POST")
    assert r.headers["access-control-allow-headers"] == "x-token"
    r = client.post("/api/v1/items/5", headers={"Origin": APP})
    assert r.json() == {"item_id": 5}
    assert r.headers["access-control-allow-origin"] == APP
    assert preflight(client, "/v1/items/5", APP, "POST").status_code == 404
    assert preflight(client, "/items/5", APP, "POST").status_code == 404


def test_nested_routers():
    app = FastAPI()
    outer = APIRouter(prefix="/outer")
    inner = APIRouter(prefix="/inner", route_class=CORSRoute)

    @inner.delete("/things/{name}")
    @cors(allow_origins=[ADMIN])
    def delete(name: str):
        return {"deleted": name}

    outer.include_router(inner, prefix="/mid")
    app.include_router(outer, prefix="/api")
    client = TestClient(app)
    path = "/api/outer/mid/inner/things/box"
    assert_granted(preflight(client, path, ADMIN, "DELETE"), ADMIN, "DELETE")
    assert_refused(preflight(client, path, APP, "DELETE"))
    r = client.delete(path, headers={"Origin": ADMIN})
    assert r.json() == {"deleted": "box"}
    assert r.headers["access-control-allow-origin"] == ADMIN


def test_included_router_path_params_and_query():
    app = FastAPI()
    router = APIRouter(route_class=CORSRoute)

    @router.get("/users/{user_id}/posts/{post_id}")
    @cors(allow_origins=[APP])
    def post(user_id: int, post_id: str, page: int = 1):
        return [user_id, post_id, page]

    app.include_router(router)
    client = TestClient(app)
    assert_granted(preflight(client, "/users/1/posts/abc?page=2", APP, "GET"), APP, "GET")
    r = client.get("/users/1/posts/abc?page=2", headers={"Origin": APP})
    assert r.json() == [1, "abc", 2]
    assert r.headers["access-control-allow-origin"] == APP


def test_path_param_converter_mismatch_is_404():
    app = FastAPI()
    app.router.route_class = CORSRoute

    @app.get("/n/{n:int}")
    @cors(allow_origins=[APP])
    def n(n: int):
        return n

    client = TestClient(app)
    assert_granted(preflight(client, "/n/3", APP, "GET"), APP, "GET")
    assert preflight(client, "/n/abc", APP, "GET").status_code == 404


@expected_finding("uncovered-route")  # a plain router next to CORS ones, on purpose
def test_routers_with_different_route_classes_on_one_app():
    app = FastAPI()
    cors_router = APIRouter(route_class=CORSRoute)
    plain_router = APIRouter()

    @cors_router.get("/open")
    @cors(allow_origins=[APP])
    def open_():
        return "open"

    @plain_router.get("/closed")
    def closed():
        return "closed"

    app.include_router(cors_router)
    app.include_router(plain_router)
    client = TestClient(app)
    assert (
        client.get("/open", headers={"Origin": APP}).headers["access-control-allow-origin"] == APP
    )
    r = client.get("/closed", headers={"Origin": APP})
    assert acx(r) == {}
    assert "vary" not in r.headers
    assert preflight(client, "/closed", APP, "GET").status_code == 405


# ---------- Mount


def test_mounted_fastapi_sub_app():
    sub = FastAPI()
    sub.router.route_class = CORSRoute

    @sub.patch("/items/{item_id}")
    @cors(allow_origins=[APP])
    def patch(item_id: int):
        return {"patched": item_id}

    app = FastAPI()
    app.mount("/sub", sub)
    client = TestClient(app)
    assert_granted(preflight(client, "/sub/items/9", APP, "PATCH"), APP, "PATCH")
    r = client.patch("/sub/items/9", headers={"Origin": APP})
    assert r.json() == {"patched": 9}
    assert r.headers["access-control-allow-origin"] == APP
    assert vary(r) == ["origin"]
    assert preflight(client, "/items/9", APP, "PATCH").status_code == 404


def test_mounted_router_in_starlette_mount():
    router = APIRouter(route_class=CORSRoute)

    @router.put("/r")
    @cors(allow_origins=[APP])
    def r_():
        return "ok"

    app = Starlette(routes=[Mount("/m", app=router)])
    client = TestClient(app)
    assert_granted(preflight(client, "/m/r", APP, "PUT"), APP, "PUT")


# ---------- router-wide default


class PartnerRoute(CORSRoute):
    cors_policy = CORSPolicy(allow_origins=[PARTNER], allow_credentials=True)


@pytest.fixture
def partner_client():
    app = FastAPI()
    router = APIRouter(prefix="/partner", route_class=PartnerRoute)

    @router.post("/default")
    def default():
        return "default"

    @router.post("/override")
    @cors(allow_origins=[ADMIN])
    def override():
        return "override"

    @router.post("/opted-out")
    @no_cors
    def opted_out():
        return "opted-out"

    app.include_router(router)
    return TestClient(app)


def test_router_default_policy_applies(partner_client):
    assert_granted(preflight(partner_client, "/partner/default", PARTNER, "POST"), PARTNER, "POST")
    r = partner_client.post("/partner/default", headers={"Origin": PARTNER})
    assert r.json() == "default"
    assert acx(r) == {
        "access-control-allow-origin": PARTNER,
        "access-control-allow-credentials": "true",
    }
    assert_refused(preflight(partner_client, "/partner/default", ADMIN, "POST"))


def test_cors_overrides_router_default(partner_client):
    assert_granted(preflight(partner_client, "/partner/override", ADMIN, "POST"), ADMIN, "POST")
    assert_refused(preflight(partner_client, "/partner/override", PARTNER, "POST"))
    r = partner_client.post("/partner/override", headers={"Origin": ADMIN})
    assert acx(r) == {"access-control-allow-origin": ADMIN}
    r = partner_client.post("/partner/override", headers={"Origin": PARTNER})
    assert acx(r) == {}


def test_no_cors_opts_out_of_default(partner_client):
    r = partner_client.post("/partner/opted-out", headers={"Origin": PARTNER})
    assert r.status_code == 200
    assert r.json() == "opted-out"
    assert acx(r) == {}
    assert "vary" not in r.headers
    r = preflight(partner_client, "/partner/opted-out", PARTNER, "POST")
    assert r.status_code == 405
    assert acx(r) == {}


def test_subclass_of_subclass_overrides_default():
    class StrictPartnerRoute(PartnerRoute):
        cors_policy = CORSPolicy(allow_origins=[ADMIN])

    app = FastAPI()
    router = APIRouter(route_class=StrictPartnerRoute)

    @router.get("/s")
    def s():
        return 1

    app.include_router(router)
    client = TestClient(app)
    assert_granted(preflight(client, "/s", ADMIN, "GET"), ADMIN, "GET")
    assert_refused(preflight(client, "/s", PARTNER, "GET"))


def test_subclass_inherits_default():
    class Child(PartnerRoute):
        pass

    app = FastAPI()
    app.router.route_class = Child

    @app.get("/c")
    def c():
        return 1

    assert_granted(preflight(TestClient(app), "/c", PARTNER, "GET"), PARTNER, "GET")


def test_invalid_default_policy_type_is_refused():
    with pytest.raises(CORSConfigError):

        class Bad(CORSRoute):
            cors_policy = ("https://app.example",)


def test_invalid_default_policy_values_fail_at_class_definition():
    with pytest.raises(CORSConfigError):

        class Bad(CORSRoute):
            cors_policy = CORSPolicy(allow_origins=["https://partner.example/"])


# ---------- no policy


def _twin_apps():
    apps = []
    for route_class in (APIRoute, CORSRoute):
        app = FastAPI()
        app.router.route_class = route_class

        @app.get("/p/{x}")
        def p(x: int):
            return PlainTextResponse(str(x), headers={"Vary": "Accept"})

        @app.options("/opt")
        def opt():
            return "user options"

        apps.append(app)
    return apps


@pytest.mark.parametrize(
    "method, path, headers",
    [
        ("GET", "/p/1", {"Origin": APP}),
        ("GET", "/p/1", {}),
        ("GET", "/p/x", {"Origin": APP}),
        ("POST", "/p/1", {"Origin": APP}),
        ("OPTIONS", "/p/1", {"Origin": APP, "Access-Control-Request-Method": "GET"}),
        ("OPTIONS", "/opt", {"Origin": APP, "Access-Control-Request-Method": "GET"}),
        ("OPTIONS", "/opt", {"Origin": APP, "Access-Control-Request-Method": "OPTIONS"}),
    ],
)
def test_route_without_policy_behaves_like_api_route(method, path, headers):
    plain, cors_app = _twin_apps()
    a = TestClient(plain).request(method, path, headers=headers)
    b = TestClient(cors_app).request(method, path, headers=headers)
    assert (b.status_code, b.content) == (a.status_code, a.content)
    assert b.headers.multi_items() == a.headers.multi_items()


def test_no_cors_without_default_is_like_api_route():
    app = FastAPI()
    app.router.route_class = CORSRoute

    @app.get("/n")
    @no_cors
    def n():
        return 1

    r = TestClient(app).get("/n", headers={"Origin": APP})
    assert r.json() == 1
    assert acx(r) == {}
    assert "vary" not in r.headers


def test_no_cors_endpoint_callable_directly():
    @no_cors
    def n():
        return 42

    assert n() == 42


# ---------- a @cors endpoint on a route class that ignores policies


def test_plain_api_route_refuses_to_serve_a_cors_endpoint_and_the_lint_says_so():
    # A plain APIRoute cannot apply the policy: the endpoint fails loudly, naming the fix,
    # rather than answer as if it had no CORS; the lint names it before any request.
    app = FastAPI()

    @app.get("/x")
    @cors(allow_origins=[APP])
    def x():
        return 1

    assert [f.code for f in check_app(app)] == ["ignored-policy"]
    with pytest.raises(CORSConfigError, match=r"install\(app, default=\.\.\.\)"):
        TestClient(app).get("/x", headers={"Origin": APP})
    response = TestClient(app, raise_server_exceptions=False).get("/x")
    assert response.status_code == 500 and acx(response) == {}


def test_install_honours_a_cors_endpoint_on_a_plain_api_route():
    app = FastAPI()

    @app.get("/x")
    @cors(allow_origins=[APP])
    def x():
        return 1

    install(app)
    response = TestClient(app).get("/x", headers={"Origin": APP})
    assert response.headers["access-control-allow-origin"] == APP
    assert check_app(app) == []


def test_cors_above_route_decorator_fails_at_definition():
    app = FastAPI()
    app.router.route_class = CORSRoute

    with pytest.raises(CORSConfigError):

        @cors(allow_origins=[APP])
        @app.get("/x")
        def x():
            return 1


def test_plain_starlette_route_refuses_to_serve_a_cors_endpoint_until_installed():
    @cors(allow_origins=[APP])
    def endpoint(request):
        return PlainTextResponse("x")

    app = Starlette(routes=[Route("/x", endpoint)])
    assert [f.code for f in check_app(app)] == ["ignored-policy"]
    with pytest.raises(CORSConfigError, match="CORSRoute"):
        TestClient(app).get("/x", headers={"Origin": APP})
    install(app)
    assert (
        TestClient(app).get("/x", headers={"Origin": APP}).headers["access-control-allow-origin"]
        == APP
    )


# ---------- plain Starlette


@pytest.fixture
def starlette_client():
    from cors_routes.starlette import CORSRoute as SCORSRoute

    @cors(allow_origins=[APP], allow_credentials=True, expose_headers=["x-id"])
    async def items(request):
        return JSONResponse({"id": request.path_params["item_id"]}, headers={"X-Id": "1"})

    @cors(allow_origins=["*"], allow_headers=["x-token"])
    def public(request):
        return PlainTextResponse("public")

    def undecorated(request):
        return PlainTextResponse("plain")

    app = Starlette(
        routes=[
            SCORSRoute("/items/{item_id:int}", items, methods=["GET", "PUT"]),
            SCORSRoute("/public", public),
            SCORSRoute("/plain", undecorated),
            Mount("/mounted", routes=[SCORSRoute("/public", public)]),
        ]
    )
    return TestClient(app)


@expected_finding("uncovered-route")  # the app has a plain route on purpose
def test_starlette_preflight(starlette_client):
    r = preflight(starlette_client, "/items/3", APP, "PUT")
    assert r.status_code == 204
    assert acx(r) == {
        "access-control-allow-origin": APP,
        "access-control-allow-credentials": "true",
        "access-control-allow-methods": "PUT",
        "access-control-max-age": "600",
    }
    assert_refused(preflight(starlette_client, "/items/3", EVIL, "PUT"))


@expected_finding("uncovered-route")  # the app has a plain route on purpose
def test_starlette_actual(starlette_client):
    r = starlette_client.get("/items/3", headers={"Origin": APP})
    assert r.json() == {"id": 3}
    assert acx(r) == {
        "access-control-allow-origin": APP,
        "access-control-allow-credentials": "true",
        "access-control-expose-headers": "x-id",
    }
    assert vary(r) == ["origin"]
    r = starlette_client.get("/items/3", headers={"Origin": EVIL})
    assert r.json() == {"id": 3}
    assert acx(r) == {}


@expected_finding("uncovered-route")  # the app has a plain route on purpose
def test_starlette_405_has_headers(starlette_client):
    r = starlette_client.delete("/items/3", headers={"Origin": APP})
    assert r.status_code == 405
    assert r.headers["access-control-allow-origin"] == APP


@expected_finding("uncovered-route")  # the app has a plain route on purpose
def test_starlette_implicit_head(starlette_client):
    # Starlette's Route adds HEAD to GET routes
    r = starlette_client.head("/public", headers={"Origin": APP})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "*"
    r = preflight(starlette_client, "/public", APP, "HEAD")
    assert r.status_code == 204


@expected_finding("uncovered-route")  # the app has a plain route on purpose
def test_starlette_any_origin(starlette_client):
    r = preflight(starlette_client, "/public", EVIL, "GET", "X-Token")
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["access-control-allow-headers"] == "x-token"
    r = starlette_client.get("/public")
    assert r.text == "public"
    assert r.headers["access-control-allow-origin"] == "*"


@expected_finding("uncovered-route")  # the app has a plain route on purpose
def test_starlette_undecorated_route_is_plain(starlette_client):
    r = starlette_client.get("/plain", headers={"Origin": APP})
    assert r.text == "plain"
    assert acx(r) == {}
    assert "vary" not in r.headers
    assert preflight(starlette_client, "/plain", APP, "GET").status_code == 405


@expected_finding("uncovered-route")  # the app has a plain route on purpose
def test_starlette_mount(starlette_client):
    r = preflight(starlette_client, "/mounted/public", APP, "GET")
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "*"


def test_starlette_route_default_policy_subclass():
    from cors_routes.starlette import CORSRoute as SCORSRoute

    class Partner(SCORSRoute):
        cors_policy = CORSPolicy(allow_origins=[PARTNER])

    def endpoint(request):
        return PlainTextResponse("p")

    @no_cors
    def out(request):
        return PlainTextResponse("o")

    app = Starlette(routes=[Partner("/p", endpoint), Partner("/o", out)])
    client = TestClient(app)
    assert_granted(preflight(client, "/p", PARTNER, "GET"), PARTNER, "GET")
    assert (
        client.get("/p", headers={"Origin": PARTNER}).headers["access-control-allow-origin"]
        == PARTNER
    )
    r = client.get("/o", headers={"Origin": PARTNER})
    assert acx(r) == {}
    assert "vary" not in r.headers


# ---------- routing order, websockets


def test_preflight_follows_the_route_that_serves_the_method_first():
    # The actual GET is served by the first (plain) route, which has no CORS: the router
    # sends the preflight there too (the first route on the path), so no later route's
    # policy grants it.
    app = FastAPI()
    app.router.add_api_route(
        "/dup", lambda: "plain", methods=["GET"], route_class_override=APIRoute
    )

    @cors(allow_origins=[APP])
    def later():
        return "cors"

    app.router.add_api_route("/dup", later, methods=["GET"], route_class_override=CORSRoute)
    client = TestClient(app)
    assert client.get("/dup", headers={"Origin": APP}).json() == "plain"
    r = preflight(client, "/dup", APP, "GET")
    assert r.status_code != 204
    assert acx(r) == {}


@expected_finding("shadowed-route")  # two routes on one path, on purpose
def test_an_opted_out_route_answers_its_preflights_as_an_api_route():
    # @no_cors makes the first route a plain APIRoute: it serves GET /dup, so the preflight
    # for GET is not granted by the later route's policy (405, as APIRoute answers), just
    # as the actual GET gets no CORS. The lint says the later route is dead code.
    app = FastAPI()

    class Partner(CORSRoute):
        cors_policy = CORSPolicy(allow_origins=[PARTNER])

    app.router.route_class = Partner

    @app.get("/dup")
    @no_cors
    def first():
        return "first"

    @app.get("/dup")
    def second():
        return "second"

    client = TestClient(app)
    actual = client.get("/dup", headers={"Origin": PARTNER})
    assert actual.json() == "first" and acx(actual) == {}
    r = preflight(client, "/dup", PARTNER, "GET")
    assert r.status_code == 405 and acx(r) == {}
    assert "shadowed-route" in [f.code for f in check_app(app)]


def test_install_answers_the_preflight_by_the_route_that_serves_the_request():
    # With install() the preflight follows the router exactly: the opted-out route serves
    # GET /dup, so its preflight is not granted by anyone.
    app = FastAPI()

    @app.get("/dup")
    @no_cors
    def first():
        return "first"

    @app.get("/dup")
    @cors(allow_origins=[PARTNER])
    def second():
        return "second"

    install(app, default=CORSPolicy(allow_origins=[PARTNER]))
    client = TestClient(app)
    r = preflight(client, "/dup", PARTNER, "GET")
    assert r.status_code == 405 and acx(r) == {}
    assert acx(client.get("/dup", headers={"Origin": PARTNER})) == {}


def test_websocket_routes_unaffected():
    app = FastAPI()
    app.router.route_class = CORSRoute

    @app.get("/h")
    @cors(allow_origins=[APP])
    def h():
        return 1

    @app.websocket("/ws")
    async def ws(websocket: WebSocket):
        await websocket.accept()
        await websocket.send_text("hi")
        await websocket.close()

    with TestClient(app).websocket_connect("/ws", headers={"Origin": EVIL}) as conn:
        assert conn.receive_text() == "hi"
