"""CORS on the router's trailing-slash redirects: ``app.add_middleware(CORSSlashRedirects)``.

With ``redirect_slashes`` (on by default), a request for ``/items/`` when the route is
``/items`` gets a 307 from the *router*: no route runs, so no CORS header is on it and
the browser blocks the request. A preflight fares worse: a preflight answered with any 3xx
fails, whatever its headers.

This middleware changes only those redirects, and only for requests with an ``Origin``:

- a preflight that would be redirected is answered where the redirect points, by the route
  there (its policy grants or refuses it, exactly as for the path without the slash
  mismatch); the browser then sends the actual request, which is redirected as below;
- an actual request's redirect gets the CORS headers the route at the redirect's target
  gives that origin for that method (``Access-Control-Allow-Origin``, ``-Credentials``,
  ``Vary: Origin``), so the browser follows it.

It learns those headers by asking the app itself a preflight for the target path, so it
needs no knowledge of the router's internals and works on every supported version; a
preflight never runs an endpoint or its dependencies on a CORS route.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._headers import add_vary

__all__ = ["CORSSlashRedirects"]

_ORIGIN = b"origin"
_ACRM = b"access-control-request-method"
_ACAO = b"access-control-allow-origin"
_ACAC = b"access-control-allow-credentials"
_LOCATION = b"location"
_VARY = b"vary"
_KEEP_ON_PROBE = frozenset({b"host", _ORIGIN})
_REDIRECTS = frozenset({307, 308})


class CORSSlashRedirects:
    """ASGI middleware giving the router's slash redirects the CORS answer of their target."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not any(key == _ORIGIN for key, _ in scope["headers"]):
            await self.app(scope, receive, send)
            return
        pristine = dict(scope)  # the app adds keys to scope as it routes: probe from this
        held: Message | None = None

        async def send_wrapper(message: Message) -> None:
            nonlocal held
            if held is None and message["type"] == "http.response.start":
                target = _slash_redirect_target(pristine, message)
                if target is not None:
                    held = {**message, "target": target}
                    return
            elif held is not None and message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return  # a slash redirect's body is a single empty message
                start, held = held, None
                await self._answer(pristine, start, message, send)
                return
            await send(message)

        await self.app(scope, receive, send_wrapper)

    async def _answer(self, scope: Scope, start: Message, body: Message, send: Send) -> None:
        target: str = start.pop("target")
        is_preflight = scope["method"] == "OPTIONS" and any(
            key == _ACRM for key, _ in scope["headers"]
        )
        if is_preflight:
            headers = scope["headers"]
        else:
            headers = [(k, v) for k, v in scope["headers"] if k in _KEEP_ON_PROBE]
            headers.append((_ACRM, scope["method"].encode("latin-1")))
        status, probe_headers, probe_body = await self._probe(scope, target, headers)
        if is_preflight:
            await send({"type": "http.response.start", "status": status, "headers": probe_headers})
            await send({"type": "http.response.body", "body": probe_body})
            return
        redirect_headers = list(start.get("headers", ()))
        if 200 <= status < 300:
            redirect_headers += [(k, v) for k, v in probe_headers if k in (_ACAO, _ACAC)]
        vary = [v for k, v in probe_headers if k == _VARY]
        if any(b"origin" in value.lower() for value in vary):
            add_vary(redirect_headers, b"Origin")
        await send({**start, "headers": redirect_headers})
        await send(body)

    async def _probe(
        self, scope: Scope, path: str, headers: list[tuple[bytes, bytes]]
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """Ask the app the preflight for ``path``; return its status, headers and body."""
        probe = {
            **scope,
            "method": "OPTIONS",
            "path": path,
            "raw_path": path.encode("utf-8"),
            "headers": headers,
        }
        status = 500
        response_headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []
        requested = False

        async def probe_receive() -> Message:
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": b"", "more_body": False}
            return {"type": "http.disconnect"}

        async def probe_send(message: Message) -> None:
            nonlocal status, response_headers
            if message["type"] == "http.response.start":
                status = message["status"]
                response_headers = [(k.lower(), v) for k, v in message.get("headers", ())]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(probe, probe_receive, probe_send)
        return status, response_headers, b"".join(chunks)


def _slash_redirect_target(scope: Scope, start: Message) -> str | None:
    """The path a response redirects to, if it is the router's slash redirect for ``scope``."""
    if start["status"] not in _REDIRECTS:
        return None
    location = None
    for key, value in start.get("headers", ()):
        key = key.lower()
        if key == _ACAO:
            return None  # a route answered this itself, with its own CORS headers
        if key == _LOCATION:
            location = value
    if location is None:
        return None
    path: str = scope["path"]
    toggled = path.rstrip("/") if path.endswith("/") else path + "/"
    if not toggled or toggled == path:
        return None
    target = urlsplit(location.decode("latin-1"))
    if target.path != toggled:
        return None
    return toggled
