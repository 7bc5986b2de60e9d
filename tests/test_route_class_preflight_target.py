"""A CORS route class answers a preflight with the policy of the route the actual request runs.

Without install(), the preflight is routed like any request: Starlette's router sends it to
the first route that matches it FULLY, and a route whose path matches but whose methods do
not (a PARTIAL match) gets it only when no later route matches fully. A Mount, a
``{path:path}`` catch-all, a route that serves OPTIONS and an ``HTTPEndpoint`` route (it
serves every method) all match OPTIONS fully, so the preflight can land on a route other
than the one the actual request runs. Whichever route receives it, the answer must be the
policy of the route that serves the actual request: nothing for a ``@no_cors`` route, that
route's own origin for a ``@cors`` one.
"""

from __future__ import annotations

from cors_helpers import preflight
from fastapi import APIRouter, FastAPI
from starlette.applications import Starlette
from starlette.endpoints import HTTPEndpoint
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Router
from starlette.testclient import TestClient
from warning_guard import FASTAPI_DOCS_WITHOUT_CORS, expected_finding

from cors_routes import CORSRoute, StarletteCORSRoute, cors, no_cors

# Route-class apps keep FastAPI's docs without CORS; the lint's finding about them is not
# what these tests are about (tests/warning_guard.py).
pytestmark = FASTAPI_DOCS_WITHOUT_CORS

APP = "https://app.example"
PARTNER = "https://partner.example"
ANYONE = "https://anyone.example"

EVERY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def assert_granted(response, origin: str, method: str) -> None:
    assert 200 <= response.status_code < 300, response
    assert response.headers.get("access-control-allow-origin") == origin
    assert method in response.headers.get("access-control-allow-methods", "")


def assert_not_granted(response) -> None:
    granted = 200 <= response.status_code < 300 and (
        "access-control-allow-origin" in response.headers
    )
    assert not granted, (response.status_code, dict(response.headers))
    if 200 <= response.status_code < 300:
        assert response.headers.get("access-control-allow-credentials") is None


# -- A mount after a route on the same path ---------------------------------------------------


@no_cors
async def delete_item_as_admin(request: Request) -> Response:
    return PlainTextResponse("admin deleted it")


@cors(allow_origins=[PARTNER], allow_credentials=True, allow_methods=["DELETE"])
async def delete_item_for_partner(request: Request) -> Response:
    return PlainTextResponse("partner deleted it")


def admin_then_mounted_partner(mount_kind: str) -> Starlette:
    inner_routes = [StarletteCORSRoute("/items", delete_item_for_partner, methods=["DELETE"])]
    mounted = (
        Mount("/api", app=Starlette(routes=inner_routes))
        if mount_kind == "app"
        else Mount("/api", routes=inner_routes)
    )
    return Starlette(
        routes=[
            StarletteCORSRoute("/api/items", delete_item_as_admin, methods=["DELETE"]),
            mounted,
        ]
    )


@expected_finding("shadowed-route")  # the shadowing is the point
def test_a_mounted_apps_policy_does_not_answer_for_the_route_before_the_mount():
    client = TestClient(admin_then_mounted_partner("app"))
    # The actual DELETE runs the admin route: the first full match.
    assert client.delete("/api/items").text == "admin deleted it"
    answer = preflight(client, "/api/items", PARTNER, "DELETE")
    assert_not_granted(answer)


@expected_finding("shadowed-route")  # the shadowing is the point
def test_a_mounted_routers_policy_does_not_answer_for_the_route_before_the_mount():
    client = TestClient(admin_then_mounted_partner("router"))
    assert client.delete("/api/items").text == "admin deleted it"
    answer = preflight(client, "/api/items", PARTNER, "DELETE")
    assert_not_granted(answer)


@cors(allow_origins=[APP])
async def list_items(request: Request) -> Response:
    return PlainTextResponse("the list")


@cors(allow_origins=[PARTNER])
async def create_item(request: Request) -> Response:
    return PlainTextResponse("created")


def test_the_route_before_a_mount_answers_its_own_preflight():
    # The other direction: GET /api/items is the outer route's, the mounted app serves
    # /items for POST only. The preflight for GET is routed into the mount (a full match),
    # yet the actual GET runs the outer route, whose policy grants it.
    inner = Starlette(routes=[StarletteCORSRoute("/items", create_item, methods=["POST"])])
    app = Starlette(
        routes=[
            StarletteCORSRoute("/api/items", list_items, methods=["GET"]),
            Mount("/api", app=inner),
        ]
    )
    client = TestClient(app)
    assert client.get("/api/items").text == "the list"
    assert client.post("/api/items").text == "created"
    assert_granted(preflight(client, "/api/items", APP, "GET"), APP, "GET")
    assert_not_granted(preflight(client, "/api/items", PARTNER, "GET"))
    # The mounted route still answers for what it serves.
    assert_granted(preflight(client, "/api/items", PARTNER, "POST"), PARTNER, "POST")
    assert_not_granted(preflight(client, "/api/items", APP, "POST"))


def test_a_fastapi_route_before_a_mounted_router_answers_its_own_preflight():
    app = FastAPI()
    router = APIRouter(route_class=CORSRoute)

    @router.get("/api/items")
    @cors(allow_origins=[APP])
    def list_them():
        return ["a"]

    app.include_router(router)

    @cors(allow_origins=[PARTNER])
    async def create(request: Request) -> Response:
        return PlainTextResponse("created")

    app.mount("/api", Router(routes=[StarletteCORSRoute("/items", create, methods=["POST"])]))
    client = TestClient(app)
    assert client.get("/api/items").json() == ["a"]
    assert_granted(preflight(client, "/api/items", APP, "GET"), APP, "GET")
    assert_granted(preflight(client, "/api/items", PARTNER, "POST"), PARTNER, "POST")


# -- A catch-all after a @no_cors route ---------------------------------------------------


@cors(allow_origins=["*"], allow_methods=["*"])
async def proxy(request: Request) -> Response:
    return PlainTextResponse("proxied " + request.url.path)


@expected_finding("shadowed-route")  # the shadowing is the point
def test_a_permissive_catch_all_does_not_answer_for_an_earlier_no_cors_route():
    app = Starlette(
        routes=[
            StarletteCORSRoute("/api/items", delete_item_as_admin, methods=["DELETE"]),
            StarletteCORSRoute("/{path:path}", proxy, methods=EVERY_METHOD),
        ]
    )
    client = TestClient(app)
    assert client.delete("/api/items").text == "admin deleted it"
    assert client.put("/api/items").text == "proxied /api/items"
    assert_not_granted(preflight(client, "/api/items", ANYONE, "DELETE"))
    # What the catch-all serves, it answers.
    assert_granted(preflight(client, "/api/items", ANYONE, "PUT"), "*", "PUT")


@expected_finding("shadowed-route")  # the shadowing is the point
def test_a_fastapi_catch_all_does_not_answer_for_an_earlier_no_cors_route():
    app = FastAPI()
    router = APIRouter(route_class=CORSRoute)

    @router.delete("/api/items")
    @no_cors
    def delete_as_admin():
        return "admin deleted it"

    @router.api_route("/{path:path}", methods=EVERY_METHOD)
    @cors(allow_origins=["*"], allow_methods=["*"])
    def catch_all(path: str):
        return "proxied " + path

    app.include_router(router)
    client = TestClient(app)
    assert client.delete("/api/items").json() == "admin deleted it"
    assert_not_granted(preflight(client, "/api/items", ANYONE, "DELETE"))
    assert_granted(preflight(client, "/api/items", ANYONE, "PATCH"), "*", "PATCH")


@expected_finding("shadowed-route")  # the shadowing is the point
def test_a_catch_all_with_its_own_origin_does_not_answer_for_an_earlier_cors_route():
    app = FastAPI()
    router = APIRouter(route_class=CORSRoute)

    @router.post("/orders")
    @cors(allow_origins=[APP])
    def place_order():
        return "placed"

    @router.api_route("/{path:path}", methods=EVERY_METHOD)
    @cors(allow_origins=[PARTNER])
    def catch_all(path: str):
        return "proxied"

    app.include_router(router)
    client = TestClient(app)
    assert client.post("/orders").json() == "placed"
    assert_granted(preflight(client, "/orders", APP, "POST"), APP, "POST")
    assert_not_granted(preflight(client, "/orders", PARTNER, "POST"))


# -- A user's own OPTIONS route ---------------------------------------------------------------


@expected_finding("shadowed-route")  # the shadowing is the point
def test_a_route_serving_options_too_does_not_answer_for_an_earlier_route():
    app = FastAPI()
    router = APIRouter(route_class=CORSRoute)

    @router.delete("/items/{item_id}")
    @no_cors
    def delete_as_admin(item_id: int):
        return "admin deleted it"

    @router.api_route("/items/{item_id}", methods=["DELETE", "OPTIONS"])
    @cors(allow_origins=[PARTNER], allow_credentials=True)
    def delete_for_partner(item_id: int):
        return "partner deleted it"

    app.include_router(router)
    client = TestClient(app)
    assert client.delete("/items/1").json() == "admin deleted it"
    assert_not_granted(preflight(client, "/items/1", PARTNER, "DELETE"))


def test_a_users_options_route_does_not_take_the_preflight_from_the_route_it_is_for():
    app = FastAPI()
    router = APIRouter(route_class=CORSRoute)

    @router.options("/{path:path}")
    @cors(allow_origins=[PARTNER], allow_methods=["*"])
    def answer_options(path: str):
        return Response(headers={"Allow": "GET, PUT, OPTIONS"})

    @router.put("/settings")
    @cors(allow_origins=[APP])
    def save_settings():
        return "saved"

    @router.get("/internal")
    @no_cors
    def internal():
        return "internal"

    app.include_router(router)
    client = TestClient(app)
    assert client.put("/settings").json() == "saved"
    assert_granted(preflight(client, "/settings", APP, "PUT"), APP, "PUT")
    assert_not_granted(preflight(client, "/settings", PARTNER, "PUT"))
    assert client.get("/internal").json() == "internal"
    assert_not_granted(preflight(client, "/internal", PARTNER, "GET"))
    # A bare OPTIONS request (not a preflight) still reaches the user's route.
    assert client.options("/settings").headers["allow"] == "GET, PUT, OPTIONS"


# -- Starlette HTTPEndpoint classes --------------------------------------------------------


@cors(allow_origins=[PARTNER], allow_credentials=True)
class PartnerItems(HTTPEndpoint):
    async def get(self, request: Request) -> Response:
        return PlainTextResponse("partner list")

    async def delete(self, request: Request) -> Response:
        return PlainTextResponse("partner deleted it")


def test_a_mounted_class_endpoint_does_not_answer_for_the_route_before_the_mount():
    inner = Starlette(routes=[StarletteCORSRoute("/items", PartnerItems)])
    app = Starlette(
        routes=[
            StarletteCORSRoute("/api/items", delete_item_as_admin, methods=["DELETE"]),
            Mount("/api", app=inner),
        ]
    )
    client = TestClient(app)
    assert client.delete("/api/items").text == "admin deleted it"
    assert client.get("/api/items").text == "partner list"
    assert_not_granted(preflight(client, "/api/items", PARTNER, "DELETE"))
    assert_granted(preflight(client, "/api/items", PARTNER, "GET"), PARTNER, "GET")


@expected_finding("shadowed-route")  # the shadowing is the point
def test_a_class_endpoint_after_a_route_answers_only_for_what_it_serves():
    # A class endpoint serves every method, so it matches the preflight fully; the
    # function route before it serves GET and only its policy answers for GET.
    app = Starlette(
        routes=[
            StarletteCORSRoute("/items", list_items, methods=["GET"]),
            StarletteCORSRoute("/items", PartnerItems),
        ]
    )
    client = TestClient(app)
    assert client.get("/items").text == "the list"
    assert client.delete("/items").text == "partner deleted it"
    assert_granted(preflight(client, "/items", APP, "GET"), APP, "GET")
    assert_not_granted(preflight(client, "/items", PARTNER, "GET"))
    assert_granted(preflight(client, "/items", PARTNER, "DELETE"), PARTNER, "DELETE")
    assert_not_granted(preflight(client, "/items", APP, "DELETE"))
