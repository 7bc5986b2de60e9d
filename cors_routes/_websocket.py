"""The Origin check on WebSocket handshakes, carried by the ``@cors`` endpoint itself.

Browsers apply no CORS to WebSockets: a page on any site can open a socket to any server,
with the user's cookies. Only the server's check of ``Origin`` stops cross-site WebSocket
hijacking, so ``@cors`` on a WebSocket endpoint enforces its policy's origin rules on the
handshake.

The check lives on the endpoint, not on a route class: FastAPI creates WebSocket routes
without ``route_class``, and ``include_router`` rebuilds them as their base class, but it
always keeps the endpoint function. So ``@cors`` wraps an endpoint that can be a WebSocket
endpoint (see ``may_serve_websockets``) in a guard that checks:

- first, as a FastAPI dependency declared ahead of the endpoint's own parameters, so that
  nothing in the endpoint's signature runs for a refused origin; it refuses by closing
  before ``accept`` (code 1008), which servers answer with HTTP 403;
- else (Starlette, where nothing runs before the endpoint) in the guard itself, refusing
  with an HTTP 403 through the WebSocket Denial Response extension where the server has it,
  else by closing before ``accept``.

For an HTTP request the guard is transparent: it calls the endpoint unchanged. A CORS
route serves the endpoint behind the guard directly; a user's decorator around the guard
is served as written, and the guard inside it passes the request through.
"""

from __future__ import annotations

import functools
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

from ._callables import is_async_callable
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
    guard: Callable[..., Any], endpoint: Callable[..., Any], policy: CORSPolicy
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
        if connection.scope["type"] == "websocket" and not await origin_allowed(
            policy, connection.scope
        ):
            _log_refusal(connection.scope, name)
            raise WebSocketException(code=WS_1008_POLICY_VIOLATION, reason=_REASON)
        return True

    signature = _signature(endpoint)
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


def _signature(endpoint: Callable[..., Any]) -> inspect.Signature:
    try:
        return inspect.signature(endpoint, eval_str=True)
    except Exception:  # names only the endpoint's own scope can resolve: keep them as text
        return inspect.signature(endpoint)


def may_serve_websockets(endpoint: Any) -> bool:
    """Whether ``endpoint`` may be a WebSocket endpoint, judged by its signature.

    A WebSocket endpoint is a coroutine function (or a ``WebSocketEndpoint`` class) that
    receives the socket: a parameter annotated as a ``WebSocket``, or named ``websocket``,
    or (Starlette's style) a single positional parameter without annotation that is not
    named ``request``. Everything else is an HTTP endpoint and gets no guard, so serving it
    costs nothing extra.
    """
    if isinstance(endpoint, type):
        from starlette.endpoints import WebSocketEndpoint

        return issubclass(endpoint, WebSocketEndpoint)
    if not is_async_callable(endpoint):
        return False
    try:
        parameters = list(_signature(endpoint).parameters.values())
    except (TypeError, ValueError):
        return True  # cannot tell: checking costs little, not checking could cost a lot
    for parameter in parameters:
        annotation = parameter.annotation
        if parameter.name == "websocket":
            return True
        if isinstance(annotation, type) and issubclass(annotation, WebSocket):
            return True
        if isinstance(annotation, str) and "WebSocket" in annotation:
            return True
    return (
        len(parameters) == 1
        and parameters[0].kind
        in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        and parameters[0].annotation is inspect.Parameter.empty
        and parameters[0].name != "request"
    )


_GUARD_ATTR = "__cors_routes_guard__"


def guard(endpoint: Any, policy: CORSPolicy) -> Any:
    """``endpoint`` with the handshake's Origin checked, if it may serve WebSockets; else
    ``endpoint`` itself."""
    if not may_serve_websockets(endpoint):
        return endpoint
    name = getattr(endpoint, "__qualname__", repr(endpoint))
    if isinstance(endpoint, type):
        return _guarded_class(endpoint, policy, name)

    @functools.wraps(endpoint)
    async def checked(*args: Any, **kwargs: Any) -> Any:
        if kwargs.pop(GATE_PARAMETER, False):
            return await endpoint(*args, **kwargs)  # FastAPI's gate has checked it
        websocket = find_websocket(args, kwargs)
        if websocket is None or await check_in_guard(policy, websocket, name):
            return await endpoint(*args, **kwargs)
        return None

    install_gate(checked, endpoint, policy)
    # The guard knows itself by identity: functools.wraps copies this onto a user's
    # wrapper of the guard, where it names another object, so that wrapper is never
    # mistaken for the guard and bypassed.
    setattr(checked, _GUARD_ATTR, (id(checked), endpoint))
    return checked


def unguarded(endpoint: Any) -> Any:
    """The endpoint behind ``endpoint`` if it is a guard made by :func:`guard` itself."""
    found = getattr(endpoint, _GUARD_ATTR, None)
    if isinstance(found, tuple) and found[0] == id(endpoint):
        return found[1]
    return endpoint


def _guarded_class(endpoint: type, policy: CORSPolicy, name: str) -> type:
    """A ``WebSocketEndpoint`` subclass whose ``dispatch`` checks the Origin first."""

    async def dispatch(self: Any) -> None:
        websocket = WebSocket(self.scope, receive=self.receive, send=self.send)
        if await check_in_guard(policy, websocket, name):
            await endpoint.dispatch(self)  # type: ignore[attr-defined]

    return type(
        endpoint.__name__,
        (endpoint,),
        {"dispatch": dispatch, "__module__": endpoint.__module__, "__qualname__": name},
    )
