"""A granted preflight lists, after the asked method, every other method the same origin is
granted at that URL with the same request headers (browsers cache a grant per method), under
install() and with route classes alike; a refused origin learns nothing."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel
from starlette.testclient import TestClient

from cors_routes import CORSPolicy, CORSRoute, cors, install

APP = "https://app.example"
ADMIN = "https://admin.example"
EVIL = "https://evil.example"


class Item(BaseModel):
    name: str


def build(style: str) -> FastAPI:
    policy = CORSPolicy(
        allow_origins=[APP, ADMIN], allow_headers=["x-token"], allow_credentials=True
    )
    if style == "route classes":

        class Route(CORSRoute):
            cors_policy = policy

        router = APIRouter(route_class=Route)
    else:
        router = APIRouter()

    @router.get("/items/{item_id}")
    def read(item_id: int) -> Item:
        return Item(name="pen")

    @router.put("/items/{item_id}")
    def replace(item_id: int, item: Item) -> Item:
        return item

    @router.patch("/items/{item_id}")
    def update(item_id: int, item: Item) -> Item:
        return item

    @router.delete("/items/{item_id}")
    @cors(allow_origins=[ADMIN], allow_headers=["x-token"], allow_credentials=True)
    def delete(item_id: int) -> None:
        return None

    @router.put("/items/{item_id}/tags")
    def tags(item_id: int, names: list[str]) -> list[str]:
        return names

    app = FastAPI(openapi_url=None)
    app.include_router(router, prefix="/api")
    if style == "install()":
        install(app, default=policy.replace(allow_methods=["GET", "PUT", "PATCH", "DELETE"]))
    return app


STYLES = ["install()", "route classes"]


def preflight(client: TestClient, path: str, method: str, origin: str = APP, headers: str = ""):
    asked = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        asked["Access-Control-Request-Headers"] = headers
    return client.options(path, headers=asked)


@pytest.mark.parametrize("style", STYLES)
def test_the_asked_method_first_then_the_others_granted_there_in_order(style):
    client = TestClient(build(style))
    response = preflight(client, "/api/items/1", "PUT", headers="x-token")
    assert response.status_code == 204
    # DELETE has its own policy, without this origin; GET is safelisted: not listed.
    assert response.headers["access-control-allow-methods"] == "PUT, PATCH"
    response = preflight(client, "/api/items/1", "PATCH")
    assert response.headers["access-control-allow-methods"] == "PATCH, PUT"


@pytest.mark.parametrize("style", STYLES)
def test_an_origin_another_route_grants_gets_those_methods_too(style):
    client = TestClient(build(style))
    response = preflight(client, "/api/items/1", "DELETE", origin=ADMIN, headers="x-token")
    assert response.headers["access-control-allow-methods"] == "DELETE, PATCH, PUT"
    again = preflight(client, "/api/items/1", "DELETE", origin=ADMIN, headers="x-token")
    assert again.headers["access-control-allow-methods"] == "DELETE, PATCH, PUT"


@pytest.mark.parametrize("style", STYLES)
def test_a_refused_origin_learns_nothing(style):
    client = TestClient(build(style))
    response = preflight(client, "/api/items/1", "PUT", origin=EVIL)
    assert response.status_code == 403
    assert "access-control-allow-methods" not in response.headers


@pytest.mark.parametrize("style", STYLES)
def test_a_method_whose_route_refuses_the_request_headers_is_not_listed(style):
    client = TestClient(build(style))
    response = preflight(client, "/api/items/1", "PUT", headers="x-other")
    assert response.status_code == 403
    response = preflight(client, "/api/items/1", "DELETE", origin=ADMIN, headers="x-token")
    assert response.status_code == 204


@pytest.mark.parametrize("style", STYLES)
def test_a_url_with_one_method_to_preflight_lists_it_alone(style):
    client = TestClient(build(style))
    response = preflight(client, "/api/items/1/tags", "PUT", headers="x-token")
    assert response.headers["access-control-allow-methods"] == "PUT"


def test_a_method_granted_without_credentials_is_not_listed_in_a_credentialed_grant():
    app = FastAPI(openapi_url=None)

    @app.put("/things/{thing_id}")
    def put(thing_id: int) -> None:
        return None

    @app.delete("/things/{thing_id}")
    @cors(allow_origins=[APP])  # no credentials: a credentialed DELETE must be preflighted
    def delete(thing_id: int) -> None:
        return None

    @app.patch("/things/{thing_id}")
    @cors(allow_origins=[APP], allow_credentials=True, max_age=5)  # a shorter cache
    def patch(thing_id: int) -> None:
        return None

    install(
        app,
        default=CORSPolicy(allow_origins=[APP], allow_credentials=True, allow_methods=["PUT"]),
    )
    response = preflight(TestClient(app), "/things/1", "PUT")
    assert response.status_code == 204
    assert response.headers["access-control-allow-methods"] == "PUT"


@pytest.mark.parametrize("style", STYLES)
def test_in_a_mounted_app_too(style):
    outer = FastAPI(openapi_url=None)
    outer.mount("/v2", build(style))  # its own install() or route classes answer
    client = TestClient(outer)
    response = preflight(client, "/v2/api/items/1", "PUT", headers="x-token")
    assert response.status_code == 204
    assert response.headers["access-control-allow-methods"] == "PUT, PATCH"
