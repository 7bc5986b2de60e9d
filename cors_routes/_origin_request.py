"""The request a two-argument ``allow_origin_func`` receives, built from the ASGI scope.

A ``Request`` for HTTP (preflights included) whose body cannot be read: the predicate runs
before the endpoint, which may still read it, and an unread body would be lost to it. An
``HTTPConnection`` for a WebSocket handshake: a ``WebSocket`` could be accepted or sent on
from the predicate, before the Origin check is over.
"""

from __future__ import annotations

from collections.abc import Awaitable

from starlette.requests import HTTPConnection, Request
from starlette.types import Message, Scope

from .policy import CORSPolicy

# What the lint and the contract ask a request-aware predicate with when there is no request:
# a host no tenant has (RFC 2606 reserves .invalid), so a per-tenant rule answers "no" and
# only a predicate that ignores the request can be seen accepting made-up origins.
PROBE_HOST = "cors-routes-probe.invalid"


async def _no_body() -> Message:
    raise RuntimeError(
        "allow_origin_func cannot read the request body: it is asked before the endpoint "
        "runs, and the body is the endpoint's; decide from the origin, host, path and headers"
    )


def origin_request(scope: Scope) -> HTTPConnection:
    """The request object for ``scope`` (HTTP or WebSocket)."""
    if scope["type"] == "http":
        return Request(scope, _no_body)
    return HTTPConnection(scope)


def probe_request(origin: str, path: str = "/", host: str = PROBE_HOST) -> Request:
    """A made-up preflight from ``origin`` to ``host``, for asking a request-aware predicate
    about an origin outside any request (the lint's probes, ``explain``'s reasons)."""
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "OPTIONS",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("latin-1", "replace"),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", host.encode("latin-1", "replace")),
            (b"origin", origin.encode("latin-1", "replace")),
        ],
        "server": (host, 80),
        "client": None,
    }
    return Request(scope, _no_body)


def origin_answer(
    policy: CORSPolicy, origin: bytes, scope: Scope
) -> bytes | Awaitable[bytes | None] | None:
    """``policy``'s predicate asked about ``origin`` in the request ``scope``: the ACAO value
    if it allows it, now when the predicate answers at once, else an awaitable of it. The
    request object is built only for a predicate that takes it."""
    if policy.origin_func_takes_request:
        return policy.origin_func_answer(origin, origin_request(scope))
    return policy.origin_func_answer(origin)


async def ask(policy: CORSPolicy, origin: bytes, scope: Scope) -> bytes | None:
    """``origin_answer``, awaited."""
    answer = origin_answer(policy, origin, scope)
    if answer is None or isinstance(answer, bytes):
        return answer
    return await answer
