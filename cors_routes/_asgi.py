"""Sending requests to an ASGI app in-process, for ``explain`` (no server, no HTTP client).

The app's lifespan runs around the requests, as under a server, so endpoints find whatever
their start-up prepares. An exception the app re-raises after sending its response (as
Starlette does for a 500) is kept, not raised: the browser saw the response.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from starlette.types import Message


@dataclass(frozen=True)
class Exchange:
    """One request and the response the app sent."""

    method: str
    path: str
    request_headers: tuple[tuple[str, str], ...]
    status: int
    headers: tuple[tuple[str, str], ...]
    route: Any = None
    """``scope["route"]`` after routing: the route that handled the request, if known."""
    error: str | None = None


class StartupFailed(RuntimeError):
    """The app said its start-up failed (``lifespan.startup.failed``); ``message`` is what it
    said (Starlette sends the exception's traceback)."""

    def __init__(self, message: str) -> None:
        super().__init__(f"the app's start-up failed: {message}")
        self.message = message


@contextlib.asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """Run the app's start-up before and its shutdown after the block, if it has a lifespan.

    Raises :class:`StartupFailed` if the start-up fails.
    """
    to_app: asyncio.Queue[Message] = asyncio.Queue()
    from_app: asyncio.Queue[Message] = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}

    async def run() -> None:
        try:
            await app(scope, to_app.get, from_app.put)
        except BaseException:  # no lifespan support, or a failed start-up: carry on without
            await from_app.put({"type": "lifespan.unsupported"})

    task = asyncio.create_task(run())
    await to_app.put({"type": "lifespan.startup"})
    started = await from_app.get()
    try:
        if started["type"] == "lifespan.startup.failed":
            raise StartupFailed(str(started.get("message", "")))
        yield
    finally:
        if started["type"] == "lifespan.startup.complete":
            await to_app.put({"type": "lifespan.shutdown"})
            await from_app.get()
        task.cancel()
        with contextlib.suppress(BaseException):
            await task


async def request(
    app: Any, method: str, url: str, headers: list[tuple[str, str]], body: bytes = b""
) -> Exchange:
    """Send one request to ``app`` and collect its response."""
    parts = urlsplit(url)
    path = parts.path or "/"
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("latin-1", "replace"),
        "query_string": parts.query.encode("latin-1", "replace"),
        "root_path": "",
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
        + [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    sent_body = False
    start: Message | None = None

    async def receive() -> Message:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)  # the client is still connected
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start" and start is None:
            start = message

    error = None
    try:
        await app(scope, receive, send)
    except Exception as exc:  # the server would log it; the browser sees the response
        error = f"{type(exc).__name__}: {exc}"
    if start is None:
        # What a server sends when the app raised before responding.
        return Exchange(method, path, tuple(headers), 500, (), scope.get("route"), error)
    response_headers = tuple(
        (bytes(k).decode("latin-1").lower(), bytes(v).decode("latin-1"))
        for k, v in start.get("headers", ())
    )
    return Exchange(
        method,
        path,
        tuple(headers),
        int(start["status"]),
        response_headers,
        scope.get("route"),
        error,
    )
