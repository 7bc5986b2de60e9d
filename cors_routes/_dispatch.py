"""The per-request CORS decision for one route, at the level of ASGI messages.

A ``RouteCORS`` joins a policy to the methods of the route it is on. Everything that does
not depend on the request is computed in its constructor; ``handle`` does the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable

from starlette.types import Message, Receive, Scope, Send

from ._error_responses import send_exception_response
from ._headers import MAX_REQUEST_HEADERS_LENGTH, add_vary, join, parse_request_headers
from .policy import ANY_ORIGIN, CORSPolicy

logger = logging.getLogger("cors_routes")

RouteHandle = Callable[[Scope, Receive, Send], Awaitable[None]]

ACAO = b"access-control-allow-origin"
ACAC = b"access-control-allow-credentials"
ACEH = b"access-control-expose-headers"
ACMA = b"access-control-max-age"
ACAPN = b"access-control-allow-private-network"
ACAM = b"access-control-allow-methods"
ACAH = b"access-control-allow-headers"
_ORIGIN = b"origin"
_ACRM = b"access-control-request-method"
_ACRH = b"access-control-request-headers"
_ACRPN = b"access-control-request-private-network"
_VARY_ORIGIN = b"Origin"
_PREFLIGHT_VARY = b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
_PN_VARY = _PREFLIGHT_VARY + b", Access-Control-Request-Private-Network"
# A refused preflight says nothing about the policy: an empty 403 and Vary.
_TRUE = b"true"
_EMPTY_BODY: Message = {"type": "http.response.body", "body": b""}
_MULTIPLE = b"\x00multiple"  # more than one Origin line: not a valid request
# Granted preflights remembered per route: browsers repeat the same few, and a hit skips
# all parsing. Bounded in count and key size, so hostile variety costs memory only up to
# the bound (the table is emptied when full); refusals are never remembered.
_REMEMBERED_GRANTS = 64
_REMEMBERED_ASK_SIZE = 256


def preflight_method(scope: Scope) -> str | None:
    """The method a preflight asks for; None if the request is not a preflight.

    A preflight is OPTIONS with both Origin and Access-Control-Request-Method; the
    caller has checked the method.
    """
    origin = method = None
    for key, value in scope["headers"]:
        if key == _ACRM:
            method = value
        elif key == _ORIGIN:
            origin = value
    if origin is None or method is None:
        return None
    decoded: str = method.decode("latin-1")
    return decoded


# What a preflight asks: Origin, Access-Control-Request-Method, whether it asks for private
# network access, the Access-Control-Request-Headers lines. Hashable: it keys the grants.
_Asked = tuple[bytes, bytes, bool, tuple[bytes, ...]]


def _preflight_asked(scope: Scope) -> _Asked | None:
    """What an OPTIONS request asks as a preflight; None if it is not one."""
    origin = method = None
    requested: list[bytes] = []
    private_network = False
    for key, value in scope["headers"]:
        if key == _ORIGIN:
            origin = _MULTIPLE if origin is not None else value
        elif key == _ACRM:
            method = value
        elif key == _ACRH:
            requested.append(value)
        elif key == _ACRPN:
            private_network = value == _TRUE
    if origin is None or method is None:
        return None  # not a preflight: route it like any request
    return origin, method, private_network, tuple(requested)


class RouteCORS:
    """A policy bound to one route: answers its preflights, decorates its responses."""

    __slots__ = (
        "_actual",
        "_allowed_methods",
        "_by_origin",
        "_grants",
        "_preflight",
        "_route_handle",
        "_static",
        "_vary",
        "policy",
        "route_name",
    )

    def __init__(
        self,
        policy: CORSPolicy,
        route_methods: Iterable[str] | None,
        route_name: str,
        route_handle: RouteHandle,
    ):
        self.policy = policy
        self.route_name = route_name
        self._route_handle = route_handle
        allowed = policy.allowed_methods_for(route_methods)
        self._allowed_methods = (
            None if allowed is None else {method: method.encode("latin-1") for method in allowed}
        )
        actual: list[tuple[bytes, bytes]] = []
        if policy.allow_credentials:
            actual.append((ACAC, _TRUE))
        self._preflight = (*actual, (ACMA, str(policy.max_age).encode()))
        if policy.expose_headers:
            actual.append((ACEH, join(policy.expose_headers)))
        self._actual = tuple(actual)
        # Fetch, "CORS protocol and HTTP caches": for '*' the answer does not depend on the
        # origin, so it goes on every response and needs no Vary.
        self._static: tuple[tuple[bytes, bytes], ...] | None = (
            ((ACAO, ANY_ORIGIN), *self._actual) if policy.allows_any_origin else None
        )
        self._vary = _PN_VARY if policy.allow_private_network else _PREFLIGHT_VARY
        exact = (o.encode("latin-1") for o in policy.allow_origins if "*" not in o)
        self._by_origin = {origin: ((ACAO, origin), *self._actual) for origin in exact}
        self._grants: dict[_Asked, tuple[tuple[bytes, bytes], ...]] = {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "OPTIONS":
            asked = _preflight_asked(scope)
            if asked is not None:
                granted = self._grants.get(asked)
                if granted is not None:
                    # A copy: a middleware further out may edit the header list in place.
                    status, headers = 204, list(granted)
                else:
                    status, headers = await self._decide_preflight(scope, asked)
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send(_EMPTY_BODY)
                return
        extra = self._static
        vary = extra is None
        if extra is None:
            origin = None
            for key, value in scope["headers"]:
                if key == _ORIGIN:
                    origin = _MULTIPLE if origin is not None else value
            if origin is None:
                extra = ()
            else:
                # Exact origins cost one dict lookup; the rest, the policy's other mechanisms.
                extra = self._by_origin.get(origin)
                if extra is None:
                    extra = self._matched_origin_headers(scope, origin)
                    if extra is None:
                        extra = await self._asked_origin_headers(scope, origin)
        started = False

        # A plain function returning send's awaitable: every message passes through it,
        # and a coroutine of its own per message would cost more than the work it does.
        def send_with_cors(message: Message) -> Awaitable[None]:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [*message.get("headers", ()), *extra]
                if vary:
                    add_vary(headers, _VARY_ORIGIN)
                message["headers"] = headers
            return send(message)

        try:
            await self._route_handle(scope, receive, send_with_cors)
        except Exception as exc:
            if started:
                raise
            await send_exception_response(exc, scope, receive, send_with_cors)

    def _matched_origin_headers(
        self, scope: Scope, origin: bytes
    ) -> tuple[tuple[bytes, bytes], ...] | None:
        """Headers for an origin that is not listed exactly; None if only the predicate can tell."""
        allowed = None if origin is _MULTIPLE else self.policy.origin_value(origin)
        if allowed is not None:
            return ((ACAO, allowed), *self._actual)
        if origin is not _MULTIPLE and self.policy.has_origin_func:
            return None
        return self._refused_request(scope, origin)

    async def _asked_origin_headers(
        self, scope: Scope, origin: bytes
    ) -> tuple[tuple[bytes, bytes], ...]:
        """Ask allow_origin_func (maybe async): a coroutine only on this slow path."""
        allowed = await self.policy.ask_origin_func(origin)
        if allowed is None:
            return self._refused_request(scope, origin)
        return ((ACAO, allowed), *self._actual)

    def _refused_request(self, scope: Scope, origin: bytes) -> tuple[()]:
        if logger.isEnabledFor(logging.DEBUG):
            self._log(scope, "request", origin, "origin is not allowed")
        return ()

    async def _decide_preflight(
        self, scope: Scope, asked: _Asked
    ) -> tuple[int, list[tuple[bytes, bytes]]]:
        origin, method, private_network, requested = asked
        headers = [(b"vary", self._vary)]
        reason, names = self._check(origin, method, requested)
        if reason is None:
            # _check refused several Origins; no coroutine unless the predicate is asked.
            policy = self.policy
            allowed_origin = policy.origin_value(origin)
            asks_predicate = allowed_origin is None and policy.has_origin_func
            if asks_predicate:
                allowed_origin = await policy.ask_origin_func(origin)
            if allowed_origin is None:
                reason = "origin is not allowed"
            else:
                headers += self._grant(allowed_origin, method, names, private_network)
                # A grant is a pure function of the immutable policy and what was asked,
                # unless the predicate decided (it may change its mind): remember it.
                if not asks_predicate and sum(map(len, requested)) <= _REMEMBERED_ASK_SIZE:
                    if len(self._grants) >= _REMEMBERED_GRANTS:
                        self._grants.clear()
                    self._grants[asked] = tuple(headers)
                return 204, headers
        if logger.isEnabledFor(logging.DEBUG):
            self._log(scope, "preflight", origin, reason, method, requested)
        headers.append((b"content-length", b"0"))
        return 403, headers

    def _check(
        self, origin: bytes, method: bytes, requested: tuple[bytes, ...]
    ) -> tuple[str | None, list[str]]:
        """Why the preflight is refused (None if it is not), and the requested header names."""
        if origin is _MULTIPLE:
            return "more than one Origin header", []
        allowed = self._allowed_methods
        if allowed is not None and method.decode("latin-1") not in allowed:
            return "method is not allowed", []
        # The size limit is checked before anything is joined or decoded, so megabytes of
        # header cost what its first byte over the limit costs.
        size = sum(map(len, requested)) + len(requested) - 1
        names = (
            None
            if size > MAX_REQUEST_HEADERS_LENGTH
            else parse_request_headers(b",".join(requested).decode("latin-1"))
        )
        if names is None:
            return "Access-Control-Request-Headers is malformed or too long", []
        if not self.policy.allowed_request_headers(names):
            return "a requested header is not allowed", names
        return None, names

    def _grant(
        self, origin: bytes, method: bytes, names: list[str], private_network: bool
    ) -> list[tuple[bytes, bytes]]:
        headers = [(ACAO, origin), *self._preflight, (ACAM, method)]
        if names:
            headers.append((ACAH, ", ".join(dict.fromkeys(names)).encode("latin-1")))
        if private_network and self.policy.allow_private_network:
            headers.append((ACAPN, _TRUE))
        return headers

    def _log(
        self,
        scope: Scope,
        kind: str,
        origin: bytes,
        reason: str,
        method: bytes | None = None,
        requested: tuple[bytes, ...] = (),
    ) -> None:
        """One escaped DEBUG line; callers check ``logger.isEnabledFor(DEBUG)`` first."""
        from ._refusal_log import log_refusal

        log_refusal(
            scope,
            self.route_name,
            self.policy,
            self._allowed_methods,
            kind,
            origin,
            reason,
            method,
            requested,
        )
