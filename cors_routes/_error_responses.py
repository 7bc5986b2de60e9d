"""Rendering an exception that escapes a route, so its response passes through the route.

Starlette renders these outside the route: registered handlers in ExceptionMiddleware, the
rest (the 500) in ServerErrorMiddleware, both with a ``send`` that never passes through the
route again. A CORS route renders them itself, the same way those middlewares would, so the
CORS headers reach the error response (starlette#1116, fastapi#775).
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

from ._callables import is_async_callable

# Set by Starlette's ExceptionMiddleware (stable since Starlette 0.27): its handler tables.
_HANDLERS_SCOPE_KEY = "starlette.exception_handlers"


async def send_exception_response(
    exc: Exception, scope: Scope, receive: Receive, send: Send
) -> None:
    """Send the response the app would have sent for ``exc``.

    A handled exception (it has a registered handler) is consumed, as ExceptionMiddleware
    would. An unhandled one is rendered as ServerErrorMiddleware would and then re-raised,
    so the server still logs it and TestClient still raises it; ServerErrorMiddleware sees
    that the response has started and sends nothing more.
    """
    request = Request(scope, receive)
    handler = _registered_handler(scope, exc)
    if handler is not None:
        response = await _call(handler, request, exc)
        if response is not None:
            await response(scope, receive, send)
        return
    await (await _server_error_response(scope, request, exc))(scope, receive, send)
    raise exc


def _registered_handler(scope: Scope, exc: Exception) -> Any:
    exception_handlers, status_handlers = scope.get(_HANDLERS_SCOPE_KEY, ({}, {}))
    if isinstance(exc, HTTPException) and exc.status_code in status_handlers:
        return status_handlers[exc.status_code]
    for cls in type(exc).__mro__:
        if cls in exception_handlers:
            return exception_handlers[cls]
    return None


async def _server_error_response(scope: Scope, request: Request, exc: Exception) -> Response:
    middleware = _server_error_middleware(scope)
    if middleware is None:
        return PlainTextResponse("Internal Server Error", status_code=500)
    if middleware.debug:
        return await run_in_threadpool(middleware.debug_response, request, exc)
    if middleware.handler is None:
        return middleware.error_response(request, exc)
    response: Response = await _call(middleware.handler, request, exc)
    return response


def _server_error_middleware(scope: Scope) -> ServerErrorMiddleware | None:
    stack = getattr(scope.get("app"), "middleware_stack", None)
    return stack if isinstance(stack, ServerErrorMiddleware) else None


async def _call(handler: Any, request: Request, exc: Exception) -> Any:
    if is_async_callable(handler):
        return await handler(request, exc)
    return await run_in_threadpool(handler, request, exc)
