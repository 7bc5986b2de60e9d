"""The CORS lint: what it catches, what it leaves alone, and its run at start-up."""

from __future__ import annotations

import warnings

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.applications import Starlette
from starlette.endpoints import HTTPEndpoint
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from cors_routes import CORSConfigError, CORSPolicy, CORSRoute, cors, install
from cors_routes.lint import CORSLintWarning, _lint_policy, _unescaped_dot, check_app
from cors_routes.starlette import CORSRoute as StarletteCORSRoute

APP = "https://app.example"


def codes(app):
    return [finding.code for finding in check_app(app)]


def cors_app():
    app = FastAPI(openapi_url=None)  # no docs routes: they are not what these tests are about
    app.router.route_class = CORSRoute
    return app


def add_items(app, path="/items", **policy):
    @app.get(path)
    @cors(**(policy or {"allow_origins": [APP]}))
    def items():
        return []

    return items


def test_clean_app_has_no_finding():
    app = cors_app()
    add_items(app)

    @app.options("/items")  # declared after: reached only by OPTIONS that are not preflights
    def options_items():
        return "ok"

    assert check_app(app) == []


def test_cors_middleware_with_cors_routes():
    app = cors_app()
    add_items(app)
    app.add_middleware(CORSMiddleware, allow_origins=["*"])
    (finding,) = check_app(app)
    assert (finding.severity, finding.code) == ("error", "cors-middleware")
    assert "GET /items" in finding.message


def test_cors_middleware_wrapping_the_app_or_a_mounted_sub_app():
    inner = cors_app()
    add_items(inner)
    assert codes(CORSMiddleware(inner, allow_origins=["*"])) == ["cors-middleware"]
    sub = cors_app()
    add_items(sub)
    sub.add_middleware(CORSMiddleware, allow_origins=["*"])
    outer = FastAPI(openapi_url=None)
    outer.mount("/v1", sub)
    assert codes(outer) == ["cors-middleware"]


def test_cors_middleware_without_cors_routes_is_fine():
    app = FastAPI(openapi_url=None)  # no docs routes: they are not what these tests are about
    app.add_middleware(CORSMiddleware, allow_origins=["*"])
    assert check_app(app) == []


def test_cors_on_a_plain_route_class():
    app = FastAPI(openapi_url=None)  # no docs routes: they are not what these tests are about
    add_items(app)
    (finding,) = check_app(app)
    assert finding.code == "ignored-policy"
    assert "route_class=CORSRoute" in finding.message


def test_options_catch_all_of_a_plain_route_class_takes_the_preflights():
    # The router prefers a route serving OPTIONS for an OPTIONS request, wherever it is
    # declared: a plain route there answers the preflights itself.
    app = cors_app()

    def preflight_everything(rest: str):
        return ""

    app.router.add_api_route(
        "/{rest:path}", preflight_everything, methods=["OPTIONS"], route_class_override=APIRoute
    )

    add_items(app, "/items/{item_id:int}")
    finding = next(f for f in check_app(app) if f.code == "shadowed-preflight")
    assert finding.where == "GET /items/{item_id:int}"
    assert "OPTIONS /{rest:path} (preflight_everything)" in finding.message


def test_options_catch_all_of_the_cors_route_class_passes_preflights_on():
    # A CORS route that receives a preflight finds the route it is for.
    app = cors_app()

    @app.options("/{rest:path}")
    def preflight_everything(rest: str):
        return ""

    add_items(app, "/items/{item_id:int}")
    assert check_app(app) == []
    response = TestClient(app).options(
        "/items/3", headers={"Origin": APP, "Access-Control-Request-Method": "GET"}
    )
    assert response.status_code == 204


def test_class_endpoint_serving_every_method_declared_first():
    class Items(HTTPEndpoint):
        async def get(self, request):
            return PlainTextResponse("x")

    @cors(allow_origins=[APP])
    async def items(request):
        return PlainTextResponse("y")

    app = Starlette(
        routes=[Route("/items", Items), StarletteCORSRoute("/items", items, methods=["GET"])]
    )
    # A class endpoint takes every method: the actual GET, and the OPTIONS preflight, so
    # the CORS route is never reached.
    assert sorted(codes(app)) == ["shadowed-route", "uncovered-route"]


def test_mount_declared_first():
    @cors(allow_origins=[APP])
    async def items(request):
        return PlainTextResponse("y")

    app = Starlette(
        routes=[
            Mount("/api", routes=[]),
            StarletteCORSRoute("/api/items", items, methods=["GET"]),
        ]
    )
    assert codes(app) == ["shadowed-route"]
    # inside the mount it is fine
    inside = Starlette(
        routes=[Mount("/api", routes=[StarletteCORSRoute("/items", items, methods=["GET"])])]
    )
    assert check_app(inside) == []


def test_trailing_slash_only():
    app = cors_app()
    router = APIRouter(route_class=CORSRoute)
    add_items(router, "/")
    app.include_router(router, prefix="/items")
    (finding,) = check_app(app)
    assert (finding.severity, finding.code, finding.where) == (
        "warning",
        "slash-redirect",
        "GET /items/",
    )
    # the slash-less path is served too: nothing to warn about
    add_items(app, "/items")
    assert check_app(app) == []


def test_trailing_slash_with_the_redirect_middleware():
    from cors_routes.redirects import CORSSlashRedirects

    app = cors_app()
    add_items(app, "/items/")
    app.add_middleware(CORSSlashRedirects)
    assert check_app(app) == []


@pytest.mark.parametrize(
    ("pattern", "position"),
    [
        (r"https://app.example.com", 11),
        (r"https://.*.example\.com", 10),
        (r"https://.*\.example\.com", None),
        (r"https://[a.]+\.example\.com", None),
        (r"https://(app|www)\.example\.com", None),
        (r"https://app\.example\.co.?", None),
    ],
)
def test_unescaped_dot(pattern, position):
    assert _unescaped_dot(pattern) == position


def test_suspicious_regexes():
    (dot,) = _lint_policy(CORSPolicy(allow_origin_regex=r"https://app.example\.com"))
    assert (dot.severity, dot.code) == ("warning", "regex-unescaped-dot")
    (null,) = _lint_policy(CORSPolicy(allow_origin_regex=r"(https://app\.example\.com|[a-z]+)"))
    assert null.code == "regex-allows-null"
    assert _lint_policy(CORSPolicy(allow_origin_regex=r"https://[a-z]+\.example\.com")) == []


def test_credentials_with_anything_goes():
    (func,) = _lint_policy(CORSPolicy(allow_origin_func=lambda o: True, allow_credentials=True))
    assert (func.severity, func.code) == ("error", "credentials-any-origin")

    async def async_yes(origin):
        return True

    assert [
        f.code
        for f in _lint_policy(CORSPolicy(allow_origin_func=async_yes, allow_credentials=True))
    ] == ["credentials-any-origin"]
    # a regex that accepts any site is refused with credentials (tests/test_origin_regex.py)
    # without credentials, or with a predicate that decides: nothing
    assert _lint_policy(CORSPolicy(allow_origin_func=lambda o: True)) == []
    assert (
        _lint_policy(
            CORSPolicy(allow_origin_func=lambda o: o.endswith(".example"), allow_credentials=True)
        )
        == []
    )
    assert _lint_policy(CORSPolicy(allow_origin_func=lambda o: 1 / 0, allow_credentials=True)) == []


# -- at start-up ------------------------------------------------------------------------------


def test_findings_are_warned_once_per_app_on_the_first_cors_request():
    app = cors_app()
    add_items(app)
    app.add_middleware(CORSMiddleware, allow_origins=["*"])
    client = TestClient(app)
    with pytest.warns(CORSLintWarning, match=r"error \[cors-middleware\] app: Starlette's"):
        client.get("/items")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client.get("/items")
    route = next(r for r in app.routes if getattr(r, "path", None) == "/items")
    assert "handle" not in vars(route)  # the one-shot hook is gone: no cost from now on


def test_each_app_is_linted_once_and_clean_apps_are_silent():
    app = cors_app()
    add_items(app)
    add_items(app, "/other")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client = TestClient(app)
        assert client.get("/items").status_code == 200
        assert client.get("/other").status_code == 200


def test_warning_does_not_break_the_request():
    app = cors_app()
    add_items(app, "/items/")
    with pytest.warns(CORSLintWarning, match="slash-redirect"):
        response = TestClient(app).get("/items/", headers={"Origin": APP})
    assert response.headers["access-control-allow-origin"] == APP


# -- a library bug the lint exposes --------------------------------------------------------------


def test_starlette_cors_route_in_an_included_router_is_reported_and_install_honours_it():
    @cors(allow_origins=[APP])
    async def items(request):
        return PlainTextResponse("x")

    def make():
        app = FastAPI()
        app.include_router(
            APIRouter(routes=[StarletteCORSRoute("/items", items, methods=["GET"])]), prefix="/p"
        )
        return app

    # FastAPI rebuilds it as a plain Route, which cannot apply the policy: the lint names
    # it, and the endpoint refuses to answer as if it had no CORS (loudly, naming the fix).
    app = make()
    assert codes(app) == ["ignored-policy"]
    with pytest.raises(CORSConfigError, match="install"):
        TestClient(app).get("/p/items", headers={"Origin": APP})
    # install() reads the declared route, so its policy applies to the rebuilt copy.
    installed = install(make())
    assert codes(installed) == []
    response = TestClient(installed).get("/p/items", headers={"Origin": APP})
    assert response.headers["access-control-allow-origin"] == APP


def test_route_without_cors_earlier_on_the_same_path_and_method():
    # tests/test_core_routing.py's known limitation: the actual GET goes to the plain route
    app = cors_app()
    app.router.add_api_route("/dup", lambda: "plain", methods=["GET"], route_class_override=None)
    app.router.routes[-1].cors = None  # a CORSRoute without a policy behaves like APIRoute
    add_items(app, "/dup")
    finding = next(f for f in check_app(app) if f.code == "shadowed-route")
    assert finding.where == "GET /dup"
    assert "GET /dup (<lambda>) is declared before it on the same path" in finding.message
