"""The Origin check on WebSocket handshakes, carried by the ``@cors`` endpoint itself.

Browsers apply no CORS to WebSockets: a page on any site can open a socket to any server,
with the user's cookies. Only the server's check of ``Origin`` stops cross-site WebSocket
hijacking, so ``@cors`` on a WebSocket endpoint enforces its policy's origin rules on the
handshake.

The check lives on the endpoint, not on a route class: FastAPI creates WebSocket routes
without ``route_class``, and ``include_router`` rebuilds them as their base class, but it
always keeps the endpoint function. The guard ``@cors`` returns (see ``decorators``) checks:

- first, as a FastAPI dependency declared ahead of the endpoint's own parameters, so that
  nothing in the endpoint's signature runs for a refused origin; it refuses by closing
  before ``accept`` (code 1008), which servers answer with HTTP 403;
- else (Starlette, where nothing runs before the endpoint) in the guard itself, refusing
  with an HTTP 403 through the WebSocket Denial Response extension where the server has it,
  else by closing before ``accept``.
"""

from __future__ import annotations

import inspect
import logging
import sys
from collections.abc import Callable
from typing import Any

from starlette.exceptions import WebSocketException
from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.status import WS_1008_POLICY_VIOLATION
from starlette.types import Scope
from starlette.websockets import WebSocket

from .policy import CORSPolicy

logger = logging.getLogger("cors_routes")

# The keyword argument through which FastAPI runs the check before the endpoint's own
# dependencies; it never reaches the endpoint.
GATE_PARAMETER = "cors_routes_origin_check_"
_ORIGIN = b"origin"
_DENIAL_EXTENSION = "websocket.http.response"
_REASON = "Origin not allowed"


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
    return policy.has_origin_func and await policy.ask_origin_func(origin) is not None


def _log_refusal(scope: Scope, endpoint_name: str) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        origins = [value for key, value in scope["headers"] if key == _ORIGIN]
        logger.debug(
            "CORS WebSocket handshake refused on %s (%s): origin %r is not allowed",
            scope.get("path"),
            endpoint_name,
            origins,
        )


async def refuse(websocket: WebSocket) -> None:
    """Refuse a handshake that has not been accepted: 403 where possible, else close."""
    if _DENIAL_EXTENSION in (websocket.scope.get("extensions") or {}):
        await websocket.send_denial_response(Response(_REASON, status_code=403))
    else:
        await websocket.close(code=WS_1008_POLICY_VIOLATION, reason=_REASON)


def find_websocket(args: tuple[Any, ...], kwargs: dict[str, Any]) -> WebSocket | None:
    for value in (*args, *kwargs.values()):
        if isinstance(value, WebSocket):
            return value
    return None


async def check_in_guard(policy: CORSPolicy, websocket: WebSocket, endpoint_name: str) -> bool:
    """The check made by the guard itself: True to run the endpoint, False once refused."""
    if await origin_allowed(policy, websocket.scope):
        return True
    _log_refusal(websocket.scope, endpoint_name)
    await refuse(websocket)
    return False


def install_gate(
    guard: Callable[..., Any],
    endpoint: Callable[..., Any],
    policy: CORSPolicy,
    not_served: Callable[[], Exception],
) -> None:
    """Give ``guard`` a signature that makes FastAPI run the origin check first.

    Only when FastAPI is already imported (a Starlette app never loads it for this). The
    endpoint's parameters become keyword-only (FastAPI passes everything by keyword) behind
    the gate, whose default is a ``Depends``; the guard removes the gate's value again.
    """
    if "fastapi" not in sys.modules:
        return
    from fastapi import Depends

    name = getattr(endpoint, "__qualname__", repr(endpoint))

    async def gate(connection: HTTPConnection) -> bool:
        if connection.scope["type"] != "websocket":
            # A plain APIRoute is serving a @cors HTTP endpoint: fail before anything runs.
            raise not_served()
        if not await origin_allowed(policy, connection.scope):
            _log_refusal(connection.scope, name)
            raise WebSocketException(code=WS_1008_POLICY_VIOLATION, reason=_REASON)
        return True

    try:
        signature = inspect.signature(endpoint, eval_str=True)
    except Exception:  # names only the endpoint's own scope can resolve: keep them as text
        signature = inspect.signature(endpoint)
    parameters = [
        inspect.Parameter(
            GATE_PARAMETER, inspect.Parameter.KEYWORD_ONLY, default=Depends(gate), annotation=bool
        )
    ]
    var_keyword = []
    for parameter in signature.parameters.values():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            var_keyword.append(parameter)
        elif parameter.kind is not inspect.Parameter.VAR_POSITIONAL:
            parameters.append(parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY))
    guard.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*parameters, *var_keyword]
    )
