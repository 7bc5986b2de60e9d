"""@cors on WebSocket endpoints under install(): the handshake's Origin is checked before
any of the app runs, for the endpoint the router will run (a WebSocket route serves it;
nothing is guessed from its signature). Without install() such an endpoint refuses to run.

This module uses string annotations on purpose (``from __future__ import annotations``):
@cors must keep FastAPI able to resolve the endpoint's own annotations.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi import WebSocket as FastAPIWebSocket
from starlette.applications import Starlette
from starlette.routing import Mount, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket, WebSocketDisconnect

from cors_routes import CORSConfigError, CORSPolicy, CORSRoute, cors, install

try:  # the denial-response exception appeared with the extension (Starlette 0.37)
    from starlette.testclient import WebSocketDenialResponse
except ImportError:  # pragma: no cover
    WebSocketDenialResponse = None  # type: ignore[assignment,misc]

ALLOWED = "https://app.example"
POLICY = CORSPolicy(allow_origins=[ALLOWED, "https://*.partner.example"])


def raw_handshake(app, path: str, headers: list[tuple[bytes, bytes]], denial: bool = True):
    """Drive one handshake at the ASGI level (TestClient only takes one line per name)."""
    sent: list[dict] = []

    async def run() -> None:
        scope = {
            "type": "websocket",
            "asgi": {"version": "3.0"},
            "scheme": "ws",
            "server": ("testserver", 80),
            "client": ("127.0.0.1", 1234),
            "root_path": "",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": [(b"host", b"testserver"), *headers],
            "subprotocols": [],
            "extensions": {"websocket.http.response": {}} if denial else {},
        }
        messages = [{"type": "websocket.connect"}, {"type": "websocket.receive", "text": "ping"}]

        async def receive():
            if messages:
                return messages.pop(0)
            return {"type": "websocket.disconnect", "code": 1000}

        async def send(message):
            sent.append(message)

        await app(scope, receive, send)

    asyncio.run(run())
    return sent


def assert_raw_refused(app, path: str, headers: list[tuple[bytes, bytes]]) -> None:
    sent = raw_handshake(app, path, headers)
    assert sent, "nothing was sent"
    first = sent[0]
    assert first["type"] in {"websocket.close", "websocket.http.response.start"}, sent
    if first["type"] == "websocket.close":
        assert first["code"] == 1008
    else:
        assert first["status"] == 403


def assert_refused(client: TestClient, path: str, headers: dict[str, str]) -> None:
    """Refused before accept: a 403 denial response or a close before accept (1008)."""
    with pytest.raises((WebSocketDisconnect, WebSocketDenialResponse)) as info:  # type: ignore[arg-type]
        with client.websocket_connect(path, headers=headers) as ws:
            ws.receive_text()
    error = info.value
    if WebSocketDenialResponse is not None and isinstance(error, WebSocketDenialResponse):
        assert error.status_code == 403
    else:
        assert error.code == 1008


def assert_echo(client: TestClient, path: str, headers: dict[str, str] | None = None) -> None:
    with client.websocket_connect(path, headers=headers or {}) as ws:
        ws.send_text("ping")
        assert ws.receive_text() == "echo ping"


def fastapi_app(ran: list[str]) -> FastAPI:
    app = FastAPI()

    def side_effect() -> str:
        ran.append("dependency")
        return "dep"

    @app.websocket("/ws/{room}")
    @cors(POLICY)
    async def room(websocket: FastAPIWebSocket, room: str, dep: str = Depends(side_effect)):
        ran.append(f"endpoint {room}")
        await websocket.accept()
        text = await websocket.receive_text()
        await websocket.send_text(f"echo {text}")
        await websocket.close()

    return app


# --------------------------------------------------------------------------- FastAPI


@pytest.mark.parametrize(
    "origin", [ALLOWED, "https://a.partner.example", "https://x.y.partner.example"]
)
def test_fastapi_allowed_origin_connects(origin):
    ran: list[str] = []
    with TestClient(install(fastapi_app(ran))) as client:
        assert_echo(client, "/ws/lobby", {"origin": origin})
    assert ran == ["dependency", "endpoint lobby"]


def test_fastapi_request_without_origin_connects():
    ran: list[str] = []
    with TestClient(install(fastapi_app(ran))) as client:
        assert_echo(client, "/ws/lobby")
    assert ran == ["dependency", "endpoint lobby"]


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "http://app.example",  # another scheme
        "https://app.example:8443",  # another port
        "https://partner.example",  # the pattern's apex
        "https://app.example.evil.io",
        "null",
        "https://app.example/",
        "",
        "\u00e9",
    ],
)
def test_fastapi_disallowed_origin_is_refused_before_dependencies(origin):
    ran: list[str] = []
    assert_raw_refused(
        install(fastapi_app(ran)), "/ws/lobby", [(b"origin", origin.encode("utf-8"))]
    )
    assert ran == []


def test_two_origin_lines_are_refused():
    ran: list[str] = []
    both = [(b"origin", ALLOWED.encode()), (b"origin", ALLOWED.encode())]
    assert_raw_refused(install(fastapi_app(ran)), "/ws/lobby", both)
    assert_raw_refused(install(starlette_app()), "/ws", both)
    assert ran == []


def test_refusal_is_logged_at_debug(caplog):
    ran: list[str] = []
    with caplog.at_level(logging.DEBUG, logger="cors_routes"):
        with TestClient(install(fastapi_app(ran))) as client:
            assert_refused(client, "/ws/lobby", {"origin": "https://evil.example"})
    assert "WebSocket handshake refused" in caplog.text
    assert "evil.example" in caplog.text


def make_router(ran: list[str]) -> APIRouter:
    router = APIRouter(route_class=CORSRoute)

    @router.websocket("/feed")
    @cors(allow_origins=[ALLOWED])
    async def feed(websocket: FastAPIWebSocket):
        ran.append("feed")
        await websocket.accept()
        await websocket.send_text("echo " + await websocket.receive_text())
        await websocket.close()

    @router.get("/items")
    @cors(allow_origins=[ALLOWED])
    async def items():
        return [1]

    return router


def test_through_include_router_with_prefix_and_nesting():
    ran: list[str] = []
    outer = APIRouter()
    outer.include_router(make_router(ran), prefix="/inner")
    app = FastAPI()
    app.include_router(outer, prefix="/api")
    with TestClient(install(app)) as client:
        assert_echo(client, "/api/inner/feed", {"origin": ALLOWED})
        assert_refused(client, "/api/inner/feed", {"origin": "https://evil.example"})
        # the HTTP route next to it still works as a CORS route
        response = client.get("/api/inner/items", headers={"origin": ALLOWED})
        assert response.headers["access-control-allow-origin"] == ALLOWED
    assert ran == ["feed"]


def test_included_router_with_dependencies_still_checks():
    ran: list[str] = []
    app = FastAPI()
    app.include_router(make_router(ran), prefix="/r", dependencies=[Depends(lambda: None)])
    with TestClient(install(app)) as client:
        assert_refused(client, "/r/feed", {"origin": "https://evil.example"})
        assert_echo(client, "/r/feed", {"origin": ALLOWED})
    assert ran == ["feed"]


def test_async_origin_func_and_regex():
    async def allow(origin: str) -> bool:
        await asyncio.sleep(0)
        return origin == "https://func.example"

    app = FastAPI()

    @app.websocket("/ws")
    @cors(allow_origin_func=allow, allow_origin_regex=r"https://r[0-9]\.example")
    async def ws(websocket: FastAPIWebSocket):
        await websocket.accept()
        await websocket.send_text("echo " + await websocket.receive_text())
        await websocket.close()

    with TestClient(install(app)) as client:
        assert_echo(client, "/ws", {"origin": "https://func.example"})
        assert_echo(client, "/ws", {"origin": "https://r7.example"})
        assert_refused(client, "/ws", {"origin": "https://r77.example"})
        assert_refused(client, "/ws", {"origin": "https://other.example"})


def test_origin_func_that_raises_denies():
    def boom(origin: str) -> bool:
        raise RuntimeError("broken predicate")

    app = FastAPI()

    @app.websocket("/ws")
    @cors(allow_origin_func=boom)
    async def ws(websocket: FastAPIWebSocket):
        await websocket.accept()
        await websocket.close()

    with TestClient(install(app)) as client:
        assert_refused(client, "/ws", {"origin": "https://a.example"})


def test_any_origin_policy_lets_every_origin_in():
    app = FastAPI()

    @app.websocket("/ws")
    @cors(allow_origins=["*"])
    async def ws(websocket: FastAPIWebSocket):
        await websocket.accept()
        await websocket.send_text("echo " + await websocket.receive_text())
        await websocket.close()

    with TestClient(install(app)) as client:
        assert_echo(client, "/ws", {"origin": "https://anyone.example"})


def test_query_parameters_still_reach_the_endpoint():
    app = FastAPI()

    @app.websocket("/ws")
    @cors(POLICY)
    async def ws(websocket: FastAPIWebSocket, token: str, limit: int = 3):
        await websocket.accept()
        await websocket.send_text(f"echo {token} {limit}")
        await websocket.close()

    with TestClient(install(app)) as client:
        with client.websocket_connect("/ws?token=t&limit=5", headers={"origin": ALLOWED}) as ws:
            assert ws.receive_text() == "echo t 5"


def test_without_install_a_cors_websocket_endpoint_refuses_to_run():
    # No route class can serve a WebSocket with CORS: only install() checks the handshake,
    # and without it the endpoint fails loudly instead of accepting any origin.
    ran: list[str] = []
    with TestClient(fastapi_app(ran)) as client:
        with pytest.raises(CORSConfigError, match="install"):
            with client.websocket_connect("/ws/lobby", headers={"origin": ALLOWED}):
                pass  # pragma: no cover
    assert ran == ["dependency"]


def test_the_default_policy_does_not_apply_to_websockets():
    # Browsers send the page's own origin on a WebSocket handshake, which a CORS default
    # does not list: only an endpoint's own @cors checks the Origin.
    app = FastAPI()

    @app.websocket("/plain")
    async def plain(websocket: FastAPIWebSocket):
        await websocket.accept()
        await websocket.send_text("echo " + await websocket.receive_text())
        await websocket.close()

    with TestClient(install(app, default=CORSPolicy(allow_origins=[ALLOWED]))) as client:
        assert_echo(client, "/plain", {"origin": "https://same-site.example"})


def test_a_user_decorator_around_the_endpoint_runs_and_the_origin_is_checked():
    import functools

    ran = []

    def logged(func):
        @functools.wraps(func)
        async def wrapper(*args, **kwargs):
            ran.append("logged")
            return await func(*args, **kwargs)

        return wrapper

    app = FastAPI()

    @app.websocket("/ws")
    @logged
    @cors(POLICY)
    async def ws(websocket: FastAPIWebSocket):
        ran.append("endpoint")
        await websocket.accept()
        await websocket.send_text("echo " + await websocket.receive_text())
        await websocket.close()

    with TestClient(install(app)) as client:
        assert_echo(client, "/ws", {"origin": ALLOWED})
        assert_refused(client, "/ws", {"origin": "https://evil.example"})
    assert ran == ["logged", "endpoint"]


# --------------------------------------------------------------------------- Starlette


@cors(POLICY)
async def starlette_echo(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text("echo " + await websocket.receive_text())
    await websocket.close()


def starlette_app() -> Starlette:
    return Starlette(
        routes=[
            WebSocketRoute("/ws", starlette_echo),
            Mount("/mounted", routes=[WebSocketRoute("/ws", starlette_echo)]),
        ]
    )


@pytest.mark.parametrize("path", ["/ws", "/mounted/ws"])
def test_starlette_websocket_route(path):
    with TestClient(install(starlette_app())) as client:
        assert_echo(client, path, {"origin": ALLOWED})
        assert_echo(client, path)
        assert_refused(client, path, {"origin": "https://evil.example"})


@pytest.mark.skipif(WebSocketDenialResponse is None, reason="no denial response support")
def test_starlette_refusal_is_an_http_403_denial_response():
    with TestClient(install(starlette_app())) as client:
        with pytest.raises(WebSocketDenialResponse) as info:  # type: ignore[arg-type]
            with client.websocket_connect("/ws", headers={"origin": "https://evil.example"}):
                pass  # pragma: no cover
        assert info.value.status_code == 403
        assert "access-control-allow-origin" not in info.value.headers


def test_fastapi_add_websocket_route_uses_the_starlette_path():
    app = FastAPI()
    app.router.routes.append(WebSocketRoute("/ws", starlette_echo))
    with TestClient(install(app)) as client:
        assert_echo(client, "/ws", {"origin": ALLOWED})
        assert_refused(client, "/ws", {"origin": "https://evil.example"})


def test_refusal_without_denial_extension_closes_before_accept():
    sent = raw_handshake(
        install(starlette_app()), "/ws", [(b"origin", b"https://evil.example")], False
    )
    assert [m["type"] for m in sent] == ["websocket.close"]
    assert sent[0]["code"] == 1008


def test_allowed_raw_handshake_is_accepted():
    sent = raw_handshake(install(starlette_app()), "/ws", [(b"origin", ALLOWED.encode())])
    assert [m["type"] for m in sent] == ["websocket.accept", "websocket.send", "websocket.close"]
