"""docs/migration.md, "WebSockets": Chromium sends ``Origin`` on a WebSocket handshake to the
page's own server too, so a same-origin page's socket is checked like any other and must be
listed in the endpoint's ``allow_origins``.
"""

from __future__ import annotations

from e2e_chromium import chromium_page, free_port, serve
from fastapi import FastAPI, WebSocket
from fastapi.responses import HTMLResponse

from cors_routes import cors, install

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


def test_a_same_origin_page_sends_its_origin_and_must_be_listed():
    port = free_port()
    own = f"http://127.0.0.1:{port}"
    ran: list[str] = []
    handshake_origins: list[str | None] = []

    app = FastAPI()

    @app.get("/page")
    async def page_html() -> HTMLResponse:
        return HTMLResponse("<!doctype html><title>page</title>")

    @app.websocket("/ws/listed")
    @cors(allow_origins=[own])
    async def listed(websocket: WebSocket) -> None:
        ran.append("listed")
        await websocket.accept()
        await websocket.send_text("echo " + await websocket.receive_text())
        await websocket.close()

    @app.websocket("/ws/unlisted")
    @cors(allow_origins=["https://elsewhere.example"])
    async def unlisted(websocket: WebSocket) -> None:
        ran.append("unlisted")  # pragma: no cover (the handshake is refused before)
        await websocket.accept()

    installed = install(app)

    async def recording(scope, receive, send):  # what the browser sent, before any check
        if scope["type"] == "websocket":
            origins = [v.decode("latin-1") for k, v in scope["headers"] if k == b"origin"]
            handshake_origins.append(origins[0] if origins else None)
        await installed(scope, receive, send)

    with serve(recording, port), chromium_page() as page:
        page.goto(f"{own}/page")
        allowed = page.evaluate(OPEN_SOCKET, f"ws://127.0.0.1:{port}/ws/listed")
        refused = page.evaluate(OPEN_SOCKET, f"ws://127.0.0.1:{port}/ws/unlisted")

    assert allowed == "message: echo ping"

    assert refused in {"error", "closed 1006"}, refused
    assert handshake_origins == [own, own]  # the page's own origin, on both handshakes
    assert ran == ["listed"]
