"""Chromium opens WebSockets to a @cors endpoint from an allowed and a disallowed origin.

Browsers apply no CORS to WebSockets; this proves the server-side Origin check is what
stops the cross-site page, on a real server (uvicorn) through ``include_router`` and a
mounted Starlette app, under ``install()``.
"""

from __future__ import annotations

import pytest
from e2e_chromium import chromium_page, free_port, serve
from fastapi import APIRouter, FastAPI, WebSocket
from fastapi.responses import HTMLResponse
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from cors_routes import CORSRoute, cors, install

OPEN_SOCKET = """
async (url) => await new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.onopen = () => ws.send("ping");
    ws.onmessage = (event) => { resolve("message: " + event.data); ws.close(); };
    ws.onerror = () => resolve("error");
    ws.onclose = (event) => resolve("closed " + event.code);
    setTimeout(() => resolve("timeout"), 10000);
})
"""


def build_apps(allowed_origin: str, ran: list[str]) -> tuple[FastAPI, Starlette]:
    router = APIRouter(route_class=CORSRoute)

    @router.websocket("/feed")
    @cors(allow_origins=[allowed_origin])
    async def feed(websocket: WebSocket) -> None:
        ran.append("fastapi")
        await websocket.accept()
        await websocket.send_text("echo " + await websocket.receive_text())
        await websocket.close()

    @cors(allow_origins=[allowed_origin])
    async def starlette_feed(websocket: WebSocket) -> None:
        ran.append("starlette")
        await websocket.accept()
        await websocket.send_text("echo " + await websocket.receive_text())
        await websocket.close()

    app = FastAPI()
    app.include_router(router, prefix="/api")

    @app.get("/page")
    async def page() -> HTMLResponse:
        return HTMLResponse("<!doctype html><title>page</title>")

    starlette = Starlette(routes=[WebSocketRoute("/feed", starlette_feed)])
    app.mount("/plain", starlette)
    install(app)  # the handshake's Origin is checked by install(), before the app runs
    return app, starlette


@pytest.mark.parametrize("path", ["/api/feed", "/plain/feed"])
def test_chromium_websocket_from_allowed_and_disallowed_origin(path):
    allowed_port, other_port = free_port(), free_port()
    ran: list[str] = []
    app, _ = build_apps(f"http://127.0.0.1:{allowed_port}", ran)
    with serve(app, allowed_port), serve(app, other_port), chromium_page() as page:
        url = f"ws://127.0.0.1:{allowed_port}{path}"

        # same server, allowed origin
        page.goto(f"http://127.0.0.1:{allowed_port}/page")
        assert page.evaluate(OPEN_SOCKET, url) == "message: echo ping"
        assert len(ran) == 1

        # another origin (another port): the handshake is refused, the endpoint never runs
        page.goto(f"http://127.0.0.1:{other_port}/page")
        result = page.evaluate(OPEN_SOCKET, url)
        assert result in {"error", "closed 1006"}, result
        assert len(ran) == 1
