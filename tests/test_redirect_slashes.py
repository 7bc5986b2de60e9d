"""Trailing-slash redirects on CORS paths: ``app.add_middleware(CORSSlashRedirects)``."""

from __future__ import annotations

import pytest
from cors_helpers import acx
from e2e_chromium import chromium_page, free_port, serve
from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.testclient import TestClient
from warning_guard import FASTAPI_DOCS_WITHOUT_CORS, expected_finding

from cors_routes import CORSRoute, cors
from cors_routes.redirects import CORSSlashRedirects
from cors_routes.starlette import CORSRoute as StarletteCORSRoute

pytestmark = [
    pytest.mark.filterwarnings("ignore:.*slash-redirect"),
    FASTAPI_DOCS_WITHOUT_CORS,
    # build() serves a plain route next to the CORS ones on purpose
    expected_finding("uncovered-route", "GET /api/plain"),
]

APP = "https://app.example"
EVIL = "https://evil.example"


def build(ran: list[str], middleware: bool = True) -> FastAPI:
    router = APIRouter(route_class=CORSRoute)

    @router.get("/items")
    @cors(allow_origins=[APP], allow_credentials=True)
    async def items():
        ran.append("items")
        return ["a"]

    @router.put("/items")
    @cors(allow_origins=[APP], allow_headers=["x-token"])
    async def put_items():
        ran.append("put")
        return {"put": True}

    @router.get("/things/")
    @cors(allow_origins=["*"])
    async def things():
        ran.append("things")
        return ["t"]

    @router.get("/own-redirect")
    @cors(allow_origins=[APP])
    async def own_redirect():
        return RedirectResponse("/own-redirect/", status_code=307)

    @router.get("/plain")
    async def plain():
        return "plain"

    app = FastAPI()
    app.include_router(router, prefix="/api")
    if middleware:
        app.add_middleware(CORSSlashRedirects)
    return app


def test_without_the_middleware_the_redirect_has_no_cors_headers():
    client = TestClient(build([], middleware=False))
    response = client.get("/api/items/", headers={"Origin": APP}, follow_redirects=False)
    assert response.status_code == 307
    assert acx(response) == {}


def test_actual_request_redirect_carries_the_target_routes_cors_headers():
    ran: list[str] = []
    client = TestClient(build(ran))
    response = client.get("/api/items/", headers={"Origin": APP}, follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"].endswith("/api/items")
    assert acx(response) == {
        "access-control-allow-origin": APP,
        "access-control-allow-credentials": "true",
    }
    assert response.headers["vary"] == "Origin"
    assert ran == []  # the probe ran no endpoint


def test_disallowed_origin_redirect_grants_nothing():
    client = TestClient(build([]))
    response = client.get("/api/items/", headers={"Origin": EVIL}, follow_redirects=False)
    assert response.status_code == 307
    assert acx(response) == {}
    assert response.headers["vary"] == "Origin"


def test_request_without_origin_is_untouched():
    client = TestClient(build([]))
    response = client.get("/api/items/", follow_redirects=False)
    assert response.status_code == 307
    assert acx(response) == {}
    assert "vary" not in response.headers


def test_route_declared_with_a_slash_and_any_origin():
    client = TestClient(build([]))
    response = client.get("/api/things", headers={"Origin": EVIL}, follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"].endswith("/api/things/")
    assert acx(response) == {"access-control-allow-origin": "*"}


def preflight(client, path, origin, method, headers=""):
    h = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        h["Access-Control-Request-Headers"] = headers
    return client.options(path, headers=h, follow_redirects=False)


def test_preflight_is_answered_where_the_redirect_points():
    ran: list[str] = []
    client = TestClient(build(ran))
    redirected = preflight(client, "/api/items/", APP, "PUT", "x-token")
    direct = preflight(client, "/api/items", APP, "PUT", "x-token")
    assert redirected.status_code == direct.status_code == 204
    assert acx(redirected) == acx(direct)
    assert acx(redirected)["access-control-allow-headers"] == "x-token"
    assert ran == []


@pytest.mark.parametrize(
    ("origin", "method", "headers"),
    [(EVIL, "PUT", ""), (APP, "DELETE", ""), (APP, "PUT", "x-other")],
)
def test_refused_preflight_stays_refused(origin, method, headers):
    client = TestClient(build([]))
    response = preflight(client, "/api/items/", origin, method, headers)
    assert response.status_code in {403, 405}
    assert acx(response) == {}


def test_endpoint_redirect_and_non_cors_routes_are_untouched():
    client = TestClient(build([]))
    own = client.get("/api/own-redirect", headers={"Origin": APP}, follow_redirects=False)
    assert own.status_code == 307
    assert own.headers.get_list("access-control-allow-origin") == [APP]
    plain = client.get("/api/plain/", headers={"Origin": APP}, follow_redirects=False)
    assert plain.status_code == 307
    assert acx(plain) == {}
    assert "vary" not in plain.headers


def test_followed_redirect_ends_at_the_route():
    client = TestClient(build([]))
    response = client.get("/api/items/", headers={"Origin": APP})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == APP


def test_plain_starlette_app():
    @cors(allow_origins=[APP])
    async def items(request):
        return JSONResponse([1])

    app = Starlette(routes=[StarletteCORSRoute("/items", items, methods=["GET"])])
    app.add_middleware(CORSSlashRedirects)
    client = TestClient(app)
    response = client.get("/items/", headers={"Origin": APP}, follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["access-control-allow-origin"] == APP


# --------------------------------------------------------------------------- Chromium

FETCH = """
async ([url, init]) => {
    try {
        const response = await fetch(url, init);
        return response.status + " " + (await response.text());
    } catch (error) {
        return "blocked";
    }
}
"""


@pytest.mark.parametrize("middleware", [True, False])
def test_chromium_follows_the_slash_redirect_only_with_the_middleware(middleware):
    page_port, api_port = free_port(), free_port()
    origin = f"http://127.0.0.1:{page_port}"
    router = APIRouter(route_class=CORSRoute)

    @router.get("/items")
    @cors(allow_origins=[origin])
    async def items():
        return "got"

    @router.put("/items")
    @cors(allow_origins=[origin], allow_headers=["x-token"])
    async def put_items():
        return "put"

    api = FastAPI()
    api.include_router(router, prefix="/api")
    if middleware:
        api.add_middleware(CORSSlashRedirects)
    page_app = Starlette()
    page_app.add_route("/page", lambda request: JSONResponse("page"))

    with serve(api, api_port), serve(page_app, page_port), chromium_page() as page:
        page.goto(f"{origin}/page")
        url = f"http://127.0.0.1:{api_port}/api/items/"
        simple = page.evaluate(FETCH, [url, {"cache": "no-store"}])
        preflighted = page.evaluate(
            FETCH, [url, {"method": "PUT", "headers": {"X-Token": "1"}, "cache": "no-store"}]
        )
    if middleware:
        assert simple == '200 "got"'
        assert preflighted == '200 "put"'
    else:
        assert simple == "blocked"
        assert preflighted == "blocked"
