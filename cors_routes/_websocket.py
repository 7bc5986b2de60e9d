"""The Origin check on WebSocket handshakes.

Browsers apply no CORS to WebSockets: a page on any site can open a socket to any server,
with the user's cookies. Only the server's check of ``Origin`` stops cross-site WebSocket
hijacking, so under ``install()`` a handshake for a WebSocket endpoint with ``@cors`` must
come from an origin its policy allows. The installation finds the endpoint the router will
run (a WebSocket route serves it: nothing is guessed from its signature) and checks before
any of the app runs; a refused handshake gets HTTP 403 through the WebSocket Denial
Response extension where the server has it, else it is closed before ``accept`` (code
1008), which servers answer with 403.
"""

from __future__ import annotations

import logging

from starlette.types import Receive, Scope, Send

from ._origin_request import ask
from .policy import CORSPolicy

logger = logging.getLogger("cors_routes")

_ORIGIN = b"origin"
_DENIAL_EXTENSION = "websocket.http.response"
_REASON = "Origin not allowed"
_POLICY_VIOLATION = 1008


async def origin_allowed(policy: CORSPolicy, scope: Scope) -> bool:
    """Whether the handshake in ``scope`` may proceed under ``policy``.

    No ``Origin`` (a non-browser client) proceeds; more than one ``Origin`` line, or one the
    policy does not allow, does not.
    """
    origin: bytes | None = None
    for key, value in scope["headers"]:
        if key == _ORIGIN:
            if origin is not None:
                return False
            origin = value
    if origin is None or policy.allows_any_origin:
        return True
    if policy.origin_value(origin) is not None:
        return True
    return policy.has_origin_func and await ask(policy, origin, scope) is not None


async def refuse_handshake(scope: Scope, receive: Receive, send: Send) -> None:
    """Refuse a handshake before the app sees it: 403 where possible, else close."""
    if logger.isEnabledFor(logging.DEBUG):
        from ._text import escape

        origins = [escape(value) for key, value in scope["headers"] if key == _ORIGIN]
        logger.debug(
            "CORS WebSocket handshake refused on %s: origin %s is not allowed",
            escape(scope.get("path")),
            ", ".join(origins),
        )
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    if _DENIAL_EXTENSION in (scope.get("extensions") or {}):
        body = _REASON.encode()
        await send(
            {
                "type": "websocket.http.response.start",
                "status": 403,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "websocket.http.response.body", "body": body})
        return
    await send({"type": "websocket.close", "code": _POLICY_VIOLATION, "reason": _REASON})
