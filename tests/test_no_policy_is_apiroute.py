"""A CORS route without a policy answers exactly as the framework's own route class.

Byte for byte (status, header lines in order, body) over a grid of apps and requests,
preflight-shaped ones included: without a policy (no @cors, no route-class default, or
@no_cors) a CORSRoute takes no part in preflight routing and adds nothing. The version
matrix (scripts/matrix.sh) runs this on the oldest and newest supported lines.
"""

from __future__ import annotations

import itertools

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from cors_routes import CORSRoute, StarletteCORSRoute, no_cors

REQUEST_HEADERS = [
    {},
    {"Origin": "https://app.example"},
    {"Origin": "https://app.example", "Access-Control-Request-Method": "GET"},
    {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"},
    {
        "Origin": "https://app.example",
        "Access-Control-Request-Method": "DELETE",
        "Access-Control-Request-Headers": "authorization",
    },
    {"Access-Control-Request-Method": "POST"},
]
METHODS = ["GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD"]
PATHS = ["/items", "/items/", "/items/5", "/items/x", "/api/things", "/api/things/", "/nowhere"]


def fastapi_app(route_class: type, opt_out: bool) -> FastAPI:
    mark = no_cors if opt_out else (lambda f: f)
    app = FastAPI()
    app.router.route_class = route_class
    router = APIRouter(route_class=route_class)

    @app.get("/items")
    @mark
    def list_items():
        return ["a"]

    @app.post("/items")
    @mark
    def create_item():
        return {"created": True}

    @app.delete("/items/{item_id:int}")
    @mark
    def delete_item(item_id: int):
        return {"deleted": item_id}

    @app.options("/items/{item_id}")
    @mark
    def options_item(item_id: str):
        return PlainTextResponse("hand-written options")

    @router.put("/things/")
    @mark
    def put_thing():
        return {"put": True}

    app.include_router(router, prefix="/api")
    return app


def starlette_app(route_class: type, opt_out: bool) -> Starlette:
    mark = no_cors if opt_out else (lambda f: f)

    @mark
    def items(request):
        return PlainTextResponse(request.method)

    @mark
    def item(request):
        return PlainTextResponse(str(request.path_params["item_id"]))

    return Starlette(
        routes=[
            route_class("/items", items, methods=["GET", "POST"]),
            route_class("/items/{item_id:int}", item, methods=["DELETE"]),
            Mount("/api", routes=[route_class("/things/", items, methods=["PUT"])]),
        ]
    )


def answers(app) -> list[tuple]:
    client = TestClient(app, raise_server_exceptions=False)
    result = []
    for method, path, headers in itertools.product(METHODS, PATHS, REQUEST_HEADERS):
        response = client.request(method, path, headers=headers, follow_redirects=False)
        result.append(
            (
                method,
                path,
                tuple(headers.items()),
                response.status_code,
                tuple(response.headers.raw),
                response.content,
            )
        )
    return result


@pytest.mark.parametrize("opt_out", [False, True], ids=["no policy", "no_cors"])
def test_fastapi_cors_route_without_policy_is_byte_for_byte_apiroute(opt_out):
    assert answers(fastapi_app(CORSRoute, opt_out)) == answers(fastapi_app(APIRoute, False))


@pytest.mark.parametrize("opt_out", [False, True], ids=["no policy", "no_cors"])
def test_starlette_cors_route_without_policy_is_byte_for_byte_route(opt_out):
    assert answers(starlette_app(StarletteCORSRoute, opt_out)) == answers(
        starlette_app(Route, False)
    )


def test_the_grid_sees_preflight_shaped_requests_reach_the_routes():
    # The comparison above means something only if such requests reach routes at all.
    grid = answers(fastapi_app(APIRoute, False))
    statuses = {status for _, _, _, status, _, _ in grid}
    assert {200, 307, 404, 405} <= statuses
