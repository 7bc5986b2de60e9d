"""A @cors endpoint nothing serves with CORS fails loudly, where the developer sees it.

``@cors`` only marks the endpoint: a CORS route class or ``install()`` gives it effect.
Served by a plain ``APIRouter`` or a plain Starlette ``Route`` in an app without
``install()``, the policy would silently do nothing, and the browser would block the page
with nothing in the server's logs. So the request raises ``CORSConfigError`` naming both
fixes (a 500 to the client), and its preflight is never granted. A ``@cors`` WebSocket
endpoint in an app without ``install()`` fails the same way.
"""

from __future__ import annotations

import pytest
from cors_helpers import preflight
from fastapi import APIRouter, FastAPI, WebSocket
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from cors_routes import CORSConfigError, cors

try:  # the denial-response exception appeared with the extension (Starlette 0.37)
    from starlette.testclient import WebSocketDenialResponse
except ImportError:  # pragma: no cover
    WebSocketDenialResponse = WebSocketDisconnect  # type: ignore[assignment,misc]

APP = "https://app.example"
ORIGINS = [None, APP]


def fastapi_included_router_app() -> FastAPI:
    router = APIRouter()

    @router.get("/orders")
    @cors(allow_origins=[APP])
    def list_orders():
        return []

    app = FastAPI()
    app.include_router(router, prefix="/api")
    return app


def fastapi_app_router_app() -> FastAPI:
    app = FastAPI()

    @app.get("/api/orders")
    @cors(allow_origins=[APP])
    def list_orders():
        return []

    return app


def starlette_route_app() -> Starlette:
    @cors(allow_origins=[APP])
    async def list_orders(request: Request) -> Response:
        return PlainTextResponse("[]")

    return Starlette(routes=[Route("/api/orders", list_orders)])


FASTAPI_APPS = {
    "an included APIRouter": fastapi_included_router_app,
    "the app's own router": fastapi_app_router_app,
}


def headers_for(origin: str | None) -> dict[str, str]:
    return {} if origin is None else {"Origin": origin}


@pytest.mark.parametrize("origin", ORIGINS, ids=["no Origin", "Origin"])
@pytest.mark.parametrize("make", list(FASTAPI_APPS))
def test_a_cors_endpoint_on_a_plain_api_router_raises_naming_both_fixes(make, origin):
    client = TestClient(FASTAPI_APPS[make]())
    with pytest.raises(CORSConfigError) as info:
        client.get("/api/orders", headers=headers_for(origin))
    message = str(info.value)
    assert "install(" in message
    assert "route_class=CORSRoute" in message


@pytest.mark.parametrize("origin", ORIGINS, ids=["no Origin", "Origin"])
@pytest.mark.parametrize("make", list(FASTAPI_APPS))
def test_a_cors_endpoint_on_a_plain_api_router_answers_500(make, origin):
    client = TestClient(FASTAPI_APPS[make](), raise_server_exceptions=False)
    response = client.get("/api/orders", headers=headers_for(origin))
    assert response.status_code == 500
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("make", list(FASTAPI_APPS))
def test_the_preflight_of_a_cors_endpoint_on_a_plain_api_router_is_not_granted(make):
    client = TestClient(FASTAPI_APPS[make](), raise_server_exceptions=False)
    answer = preflight(client, "/api/orders", APP, "GET")
    assert not (200 <= answer.status_code < 300 and "access-control-allow-origin" in answer.headers)
    # The failure is loud at the request itself, not only at the preflight.
    assert client.get("/api/orders", headers={"Origin": APP}).status_code == 500


@pytest.mark.parametrize("origin", ORIGINS, ids=["no Origin", "Origin"])
def test_a_cors_function_on_a_plain_starlette_route_raises_naming_both_fixes(origin):
    client = TestClient(starlette_route_app())
    with pytest.raises(CORSConfigError) as info:
        client.get("/api/orders", headers=headers_for(origin))
    message = str(info.value)
    assert "install(" in message
    assert "CORSRoute" in message
    quiet = TestClient(starlette_route_app(), raise_server_exceptions=False)
    assert quiet.get("/api/orders", headers=headers_for(origin)).status_code == 500
    answer = preflight(quiet, "/api/orders", APP, "GET")
    assert not (200 <= answer.status_code < 300 and "access-control-allow-origin" in answer.headers)


# -- WebSockets -------------------------------------------------------------------------------


def fastapi_websocket_app() -> FastAPI:
    app = FastAPI()

    @app.websocket("/ws")
    @cors(allow_origins=[APP])
    async def echo(websocket: WebSocket):
        await websocket.accept()
        await websocket.send_text("echo " + await websocket.receive_text())
        await websocket.close()

    return app


def starlette_websocket_app() -> Starlette:
    @cors(allow_origins=[APP])
    async def echo(websocket):
        await websocket.accept()
        await websocket.send_text("echo " + await websocket.receive_text())
        await websocket.close()

    return Starlette(routes=[WebSocketRoute("/ws", echo)])


@pytest.mark.parametrize(
    "make", [fastapi_websocket_app, starlette_websocket_app], ids=["fastapi", "starlette"]
)
def test_a_cors_websocket_endpoint_without_install_is_not_accepted(make):
    refused = (CORSConfigError, WebSocketDisconnect, WebSocketDenialResponse)
    with TestClient(make()) as client, pytest.raises(refused) as info:
        with client.websocket_connect("/ws", headers={"Origin": APP}) as ws:
            ws.send_text("ping")
            ws.receive_text()
    if isinstance(info.value, CORSConfigError):
        assert "install(" in str(info.value)
