"""A router (or a route) shared by two apps keeps, in each app, the CORS that app gives it.

Module-level routers are shared: an app factory called twice (a test suite, a second app
serving the same API on another port) includes the same ``router`` in both apps. What
``install()`` does to one app must not change what the other answers: an app without
install() keeps its CORS route classes' answers, and two installed apps each answer with
their own default, whichever app is asked first.
"""

from __future__ import annotations

from cors_helpers import preflight
from fastapi import APIRouter, FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient
from warning_guard import FASTAPI_DOCS_WITHOUT_CORS

from cors_routes import CORSPolicy, CORSRoute, StarletteCORSRoute, cors, install

# Route-class apps keep FastAPI's docs without CORS; the lint's finding about them is not
# what these tests are about (tests/warning_guard.py).
pytestmark = FASTAPI_DOCS_WITHOUT_CORS

APP = "https://app.example"
PARTNER = "https://partner.example"
ADMIN = "https://admin.example"

router = APIRouter(route_class=CORSRoute)


@router.get("/partner/items")
@cors(allow_origins=[PARTNER])
def partner_items():
    return ["a", "b"]


plain_router = APIRouter()


@plain_router.get("/items")
def list_items():
    return ["a"]


@plain_router.post("/items")
def create_item():
    return {"id": 1}


def granted(response, origin: str) -> bool:
    return (
        200 <= response.status_code < 300
        and response.headers.get("access-control-allow-origin") == origin
    )


def assert_answers(client: TestClient, path: str, origin: str, method: str = "GET") -> None:
    answer = preflight(client, path, origin, method)
    assert answer.status_code == 204, answer
    assert answer.headers["access-control-allow-origin"] == origin
    actual = client.request(method, path, headers={"Origin": origin})
    assert 200 <= actual.status_code < 300, actual
    assert actual.headers.get("access-control-allow-origin") == origin


def assert_refuses(client: TestClient, path: str, origin: str, method: str = "GET") -> None:
    assert not granted(preflight(client, path, origin, method), origin)
    actual = client.request(method, path, headers={"Origin": origin})
    assert "access-control-allow-origin" not in actual.headers


def test_installing_one_app_leaves_the_route_class_cors_of_the_other():
    first, second = FastAPI(), FastAPI()
    first.include_router(router)
    second.include_router(router)
    install(first, default=CORSPolicy(allow_origins=[APP]))
    with_install, without = TestClient(first), TestClient(second)
    # The app without install() answers as its route class does.
    assert_answers(without, "/partner/items", PARTNER)
    assert_answers(with_install, "/partner/items", PARTNER)
    assert_answers(without, "/partner/items", PARTNER)
    assert_refuses(without, "/partner/items", APP)


def test_the_app_without_install_keeps_its_cors_when_it_is_asked_first():
    first, second = FastAPI(), FastAPI()
    first.include_router(router)
    second.include_router(router)
    without = TestClient(second)
    assert_answers(without, "/partner/items", PARTNER)
    install(first, default=CORSPolicy(allow_origins=[APP]))
    assert_answers(without, "/partner/items", PARTNER)
    assert_answers(TestClient(first), "/partner/items", PARTNER)
    assert_answers(without, "/partner/items", PARTNER)


def test_a_shared_starlette_cors_route_keeps_its_cors_in_the_app_without_install():
    @cors(allow_origins=[PARTNER])
    async def items(request: Request) -> Response:
        return PlainTextResponse("items")

    shared = StarletteCORSRoute("/partner/items", items)
    first = Starlette(routes=[shared])
    second = Starlette(routes=[shared])
    install(first, default=CORSPolicy(allow_origins=[APP]))
    assert_answers(TestClient(first), "/partner/items", PARTNER)
    assert_answers(TestClient(second), "/partner/items", PARTNER)
    assert_refuses(TestClient(second), "/partner/items", APP)


def test_two_installed_apps_sharing_a_router_answer_with_their_own_defaults():
    first, second = FastAPI(), FastAPI()
    first.include_router(plain_router)
    second.include_router(plain_router)
    install(first, default=CORSPolicy(allow_origins=[APP], allow_methods=["GET", "POST"]))
    install(second, default=CORSPolicy(allow_origins=[ADMIN], allow_methods=["GET", "POST"]))
    one, two = TestClient(first), TestClient(second)
    for _ in range(2):  # asked in turn, so whatever one app remembers is warm
        for method in ("GET", "POST"):
            assert_answers(one, "/items", APP, method)
            assert_refuses(one, "/items", ADMIN, method)
            assert_answers(two, "/items", ADMIN, method)
            assert_refuses(two, "/items", APP, method)


def test_a_starlette_route_shared_by_two_installed_apps_answers_with_each_default():
    async def items(request: Request) -> Response:
        return PlainTextResponse("items")

    shared = Route("/items", items, methods=["GET", "PUT"])
    first = install(
        Starlette(routes=[shared]),
        default=CORSPolicy(allow_origins=[APP], allow_methods=["GET", "PUT"]),
    )
    second = install(
        Starlette(routes=[shared]),
        default=CORSPolicy(allow_origins=[ADMIN], allow_methods=["GET", "PUT"]),
    )
    one, two = TestClient(first), TestClient(second)
    for _ in range(2):
        for method in ("GET", "PUT"):
            assert_answers(two, "/items", ADMIN, method)
            assert_refuses(two, "/items", APP, method)
            assert_answers(one, "/items", APP, method)
            assert_refuses(one, "/items", ADMIN, method)
