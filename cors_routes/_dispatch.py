"""The per-request CORS decision for one route, at the level of ASGI messages.

A ``RouteCORS`` joins a policy to the methods of the route it is on. Everything that does
not depend on the request is computed in its constructor. Two callers use it: a CORS route
class (``handle`` serves the route with its CORS) and ``install()``, whose layer answers
preflights and decorates every response of the app (``preflight``, ``origin_headers``,
``start_message``).
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from ._error_responses import send_exception_response
from ._fetch import FORBIDDEN_METHODS
from ._headers import MAX_REQUEST_HEADERS_LENGTH, TOKEN, join, parse_request_headers
from ._origin_request import origin_request
from ._response_headers import VARY_ORIGIN, cors_start_message, merged_start_message
from .policy import ANY_ORIGIN, CORSPolicy

logger = logging.getLogger("cors_routes")

RouteHandle = Callable[[Scope, Receive, Send], Awaitable[None]]
Headers = tuple[tuple[bytes, bytes], ...]
Extra = list[tuple[bytes, bytes]]
Answer = tuple[int, list[tuple[bytes, bytes]]]
"""A preflight's status and headers."""

ACAO = b"access-control-allow-origin"
ACAC = b"access-control-allow-credentials"
ACEH = b"access-control-expose-headers"
ACMA = b"access-control-max-age"
ACAPN = b"access-control-allow-private-network"
ACAM = b"access-control-allow-methods"
ACAH = b"access-control-allow-headers"
ORIGIN = b"origin"
ACRM = b"access-control-request-method"
_ACRH = b"access-control-request-headers"
_ACRPN = b"access-control-request-private-network"
_PREFLIGHT_VARY = b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
_PN_VARY = _PREFLIGHT_VARY + b", Access-Control-Request-Private-Network"
_TRUE = b"true"
EMPTY_BODY: Message = {"type": "http.response.body", "body": b""}


class _SeveralOrigins:
    """The value read for ``Origin`` when a request has more than one line of it.

    An object no request can produce (any bytes value could arrive as a header), so a
    request can never pass itself off as, or escape, the several-lines case.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "<several Origin lines>"


SEVERAL_ORIGINS = _SeveralOrigins()
OriginValue = bytes | _SeveralOrigins

# Longest request method a preflight may ask for. Methods are tokens of a few letters; the
# bound keeps a hostile value out of the grant memo and of the echoed header.
_MAX_METHOD_LENGTH = 64
# Granted preflights remembered per route: browsers repeat the same few, and a hit skips
# all parsing. Bounded in count and in the size of every part of the key (origin, method,
# request headers), so hostile variety costs memory only up to the bound (the table is
# emptied when full); refusals are never remembered.
_REMEMBERED_GRANTS = 64
_REMEMBERED_ASK_SIZE = 640


# The scope key by which install()'s layer tells a CORS route class to step aside: the
# installation answers for every route of its app.
INSTALLED = "cors_routes.installed"

# Set by install()'s layer and by a CORS route class for each request they see: a @cors
# endpoint running without it is served by a route that ignores its policy.
handled: contextvars.ContextVar[bool] = contextvars.ContextVar("cors_routes_handled", default=False)


def handled_here() -> contextvars.Token[bool]:
    """Say that cors_routes handles the current request (its @cors endpoints may run)."""
    return handled.set(True)


def forget(token: contextvars.Token[bool]) -> None:
    handled.reset(token)


# What a preflight asks: Origin, Access-Control-Request-Method, whether it asks for private
# network access, the Access-Control-Request-Headers lines. Hashable: it keys the grants.
Asked = tuple[OriginValue, bytes, bool, tuple[bytes, ...]]


def preflight_asked(scope: Scope) -> Asked | None:
    """What an OPTIONS request asks as a preflight; None if it is not one."""
    origin: OriginValue | None = None
    method = None
    requested: list[bytes] = []
    private_network = False
    for key, value in scope["headers"]:
        if key == ORIGIN:
            origin = SEVERAL_ORIGINS if origin is not None else value
        elif key == ACRM:
            method = value
        elif key == _ACRH:
            requested.append(value)
        elif key == _ACRPN:
            private_network = value == _TRUE
    if origin is None or method is None:
        return None  # not a preflight: route it like any request
    return origin, method, private_network, tuple(requested)


def method_is_token(method: bytes) -> bool:
    """Whether an asked-for method can be an HTTP method a browser sends: a token of at
    most 64 characters. Checked before the method reaches any lookup or memo, so a hostile
    value costs its first bytes, never memory."""
    if method in _COMMON_METHODS:  # what browsers ask for: no decoding, no regex
        return True
    if len(method) > _MAX_METHOD_LENGTH:
        return False
    return TOKEN.fullmatch(method.decode("latin-1")) is not None


_COMMON_METHODS = frozenset((b"GET", b"HEAD", b"POST", b"PUT", b"PATCH", b"DELETE", b"OPTIONS"))


async def send_refusal(send: Send) -> None:
    """A refused preflight that no policy decided: 403 and nothing granted."""
    await send({"type": "http.response.start", "status": 403, "headers": list(_REFUSED)})
    await send(EMPTY_BODY)


_REFUSED = ((b"vary", _PREFLIGHT_VARY), (b"content-length", b"0"))


class _Response:
    """Whether a route's response has started: an exception after that cannot be rendered."""

    __slots__ = ("started",)

    def __init__(self) -> None:
        self.started = False


# Every message a CORS route class sends passes through this (as a partial): a plain
# function returning send's awaitable, because a coroutine of its own per message would
# cost more than the work it does.
def _send_with_cors(
    cors: RouteCORS, response: _Response, extra: Extra, send: Send, message: Message
) -> Awaitable[None]:
    if message["type"] == "http.response.start":
        response.started = True
        message = cors.start_message(message, extra)
    return send(message)


class RouteCORS:
    """A policy bound to one route: its preflight answers, the headers of its responses."""

    __slots__ = (
        "_actual",
        "_allowed_methods",
        "_grants",
        "_grants_if_allowed",
        "_predicate_takes_request",
        "_preflight",
        "_route_handle",
        "_vary",
        "_warned_own_headers",
        "by_origin",
        "listed",
        "policy",
        "refused",
        "route_name",
        "static",
    )

    def __init__(
        self,
        policy: CORSPolicy,
        route_methods: Iterable[str] | None,
        route_name: str,
        route_handle: RouteHandle | None = None,
        *,
        unset_methods: Iterable[str] | None = None,
    ):
        self.policy = policy
        self.route_name = route_name
        self._route_handle = route_handle
        # unset_methods: what an unset allow_methods means here (install()'s default: GET).
        allowed = policy.allowed_methods_for(route_methods, unset=unset_methods)
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
        # What a response gets, as ready-made lists to append to the app's headers: the
        # CORS headers and, unless they are the same for every origin, Vary: Origin.
        # Fetch, "CORS protocol and HTTP caches": for '*' the answer does not depend on the
        # origin, so it goes on every response and needs no Vary.
        vary = [VARY_ORIGIN]
        self.static: Extra | None = (
            [(ACAO, ANY_ORIGIN), *self._actual] if policy.allows_any_origin else None
        )
        self.refused: Extra = [] if self.static is not None else vary
        self._vary = _PN_VARY if policy.allow_private_network else _PREFLIGHT_VARY
        exact = (o.encode("latin-1") for o in policy.allow_origins if "*" not in o)
        self.by_origin = {origin: [(ACAO, origin), *self._actual, *vary] for origin in exact}
        self._grants: dict[Asked, Headers] = {}
        # Grants whose origin the predicate decided: the rest of the answer is remembered,
        # the predicate is asked again every time (its answer is never remembered here).
        self._grants_if_allowed: dict[Asked, tuple[Headers, str]] = {}
        self._predicate_takes_request = policy.origin_func_takes_request
        # The Access-Control-Allow-Methods of granted preflights that list more than the
        # asked method, by router, path and what was asked (see _listed_methods).
        self.listed: dict[tuple[int, str, Asked], tuple[bytes, tuple[Any, ...]]] = {}
        self._warned_own_headers = False

    # -- actual requests -----------------------------------------------------------------------

    def origin_headers(self, scope: Scope, origin: OriginValue | None) -> Extra | Awaitable[Extra]:
        """The headers a response to a request with ``origin`` gets (``Vary`` included).

        An awaitable of them (not a list) when ``allow_origin_func`` must be awaited: a
        coroutine only on that path.
        """
        static = self.static
        if static is not None:
            return static
        if origin is None:
            return self.refused
        if isinstance(origin, bytes):
            # Exact origins cost one dict lookup; the rest, the policy's other mechanisms.
            found = self.by_origin.get(origin)
            if found is not None:
                return found
            allowed = self.policy.origin_value(origin)
            if allowed is not None:
                return [(ACAO, allowed), *self._actual, VARY_ORIGIN]
            if self.policy.has_origin_func:
                answer = self._origin_answer(scope, origin)
                if isinstance(answer, bytes):
                    return [(ACAO, answer), *self._actual, VARY_ORIGIN]
                if answer is not None:
                    return self._awaited_origin_headers(scope, origin, answer)
        return self._refused_request(scope, origin)

    async def _awaited_origin_headers(
        self, scope: Scope, origin: bytes, answer: Awaitable[bytes | None]
    ) -> Extra:
        allowed = await answer
        if allowed is None:
            return self._refused_request(scope, origin)
        return [(ACAO, allowed), *self._actual, VARY_ORIGIN]

    def start_message(self, message: Message, extra: Extra) -> Message:
        """A new ``http.response.start`` carrying ``extra`` (from ``origin_headers``).

        The app's message is never changed (an endpoint may send the same one again); the
        policy owns every ``Access-Control-*`` response header, so the endpoint's own are
        replaced, which is said once per route.
        """
        start = cors_start_message(message, extra)
        if start is None:
            start, replaced = merged_start_message(message, extra)
            if replaced and not self._warned_own_headers:
                self._warned_own_headers = True
                logger.warning(
                    "the endpoint of %s sets its own Access-Control-* response headers; its "
                    "CORS policy replaces them (remove them from the endpoint)",
                    self.route_name,
                )
        return start

    def _refused_request(self, scope: Scope, origin: OriginValue) -> Extra:
        if logger.isEnabledFor(logging.DEBUG):
            self._log(scope, "request", origin, "origin is not allowed")
        return self.refused

    # -- preflights ------------------------------------------------------------------------------

    def answer(self, scope: Scope, asked: Asked) -> Answer | Awaitable[Answer]:
        """The status and headers answering the preflight ``asked`` (204 granted, 403 not);
        an awaitable of them only when something must be awaited: a grant seen before, and
        one whose predicate answers at once (a sync one, a cache hit), cost no coroutine."""
        granted = self._grants.get(asked)
        if granted is not None:
            # A copy: a middleware further out may edit the header list in place.
            return 204, list(granted)
        remembered = self._grants_if_allowed.get(asked)
        if remembered is None:
            return self._decide_preflight(scope, asked)
        granted, text = remembered
        origin = asked[0]
        assert isinstance(origin, bytes)  # only such grants are remembered
        request = origin_request(scope) if self._predicate_takes_request else None
        answer = self.policy.origin_func_answer(origin, request, text)
        if answer is None or isinstance(answer, bytes):
            return self._after_predicate(scope, asked, granted, answer)
        return self._awaited_predicate(scope, asked, granted, answer)

    async def _awaited_predicate(
        self, scope: Scope, asked: Asked, granted: Headers, answer: Awaitable[bytes | None]
    ) -> Answer:
        return self._after_predicate(scope, asked, granted, await answer)

    def _after_predicate(
        self, scope: Scope, asked: Asked, granted: Headers, answer: bytes | None
    ) -> Answer:
        if answer is not None:
            return 204, list(granted)
        return self._refusal(scope, asked, [(b"vary", self._vary)], "origin is not allowed")

    async def preflight(self, scope: Scope, asked: Asked) -> Answer:
        """:meth:`answer`, awaited."""
        answer = self.answer(scope, asked)
        return answer if isinstance(answer, tuple) else await answer

    async def _decide_preflight(
        self, scope: Scope, asked: Asked
    ) -> tuple[int, list[tuple[bytes, bytes]]]:
        origin, method, private_network, requested = asked
        headers = [(b"vary", self._vary)]
        reason, names = self._check(origin, method, requested)
        if reason is None and isinstance(origin, bytes):
            # No coroutine unless the predicate is asked.
            policy = self.policy
            allowed_origin = policy.origin_value(origin)
            asks_predicate = allowed_origin is None and policy.has_origin_func
            if asks_predicate:
                answer = self._origin_answer(scope, origin)
                if answer is not None and not isinstance(answer, bytes):
                    answer = await answer
                allowed_origin = answer
            if allowed_origin is None:
                reason = "origin is not allowed"
            else:
                headers += self._grant(allowed_origin, method, names, private_network)
                # A grant is a pure function of the immutable policy and what was asked,
                # but for the predicate's say (it may change its mind, or answer by the
                # request): remember it, apart when the predicate must be asked again.
                size = len(origin) + len(method) + sum(map(len, requested))
                if size <= _REMEMBERED_ASK_SIZE:
                    self._remember(asked, headers, asks_predicate)
                return 204, headers
        return self._refusal(scope, asked, headers, reason or "")

    def _remember(self, asked: Asked, headers: list[tuple[bytes, bytes]], asks: bool) -> None:
        if asks:
            grants = self._grants_if_allowed
            if len(grants) >= _REMEMBERED_GRANTS:
                grants.clear()
            origin = asked[0]
            assert isinstance(origin, bytes)
            grants[asked] = (tuple(headers), origin.decode("latin-1"))
            return
        if len(self._grants) >= _REMEMBERED_GRANTS:
            self._grants.clear()
        self._grants[asked] = tuple(headers)

    def _origin_answer(self, scope: Scope, origin: bytes) -> bytes | Awaitable[bytes | None] | None:
        request = origin_request(scope) if self._predicate_takes_request else None
        return self.policy.origin_func_answer(origin, request)

    def _refusal(
        self, scope: Scope, asked: Asked, headers: list[tuple[bytes, bytes]], reason: str
    ) -> tuple[int, list[tuple[bytes, bytes]]]:
        origin, method, _, requested = asked
        if logger.isEnabledFor(logging.DEBUG):
            self._log(scope, "preflight", origin, reason, method, requested)
        headers.append((b"content-length", b"0"))
        return 403, headers

    def _check(
        self, origin: OriginValue, method: bytes, requested: tuple[bytes, ...]
    ) -> tuple[str | None, list[str]]:
        """Why the preflight is refused (None if it is not), and the requested header names."""
        if not isinstance(origin, bytes):
            return "more than one Origin header", []
        text = method.decode("latin-1")
        allowed = self._allowed_methods
        if allowed is None:
            # Any method the route serves: still only an HTTP method a browser can send.
            if len(text) > _MAX_METHOD_LENGTH or not TOKEN.fullmatch(text):
                return "Access-Control-Request-Method is not a method token", []
            if text.upper() in FORBIDDEN_METHODS:
                return "method is forbidden by the Fetch standard", []
        elif text not in allowed:
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

    async def grants(self, scope: Scope, asked: Asked) -> tuple[bool, bool]:
        """(whether this policy grants the preflight ``asked``, whether that may be
        remembered: not when ``allow_origin_func`` decided). Logs nothing: a question
        about another method at the same URL, not a preflight anyone sent."""
        if asked in self._grants:
            return True, True
        origin, method, _, requested = asked
        if not isinstance(origin, bytes) or self._check(origin, method, requested)[0]:
            return False, True
        policy = self.policy
        if policy.origin_value(origin) is not None:
            return True, True
        if not policy.has_origin_func:
            return False, True
        return await policy.ask_origin_func(origin) is not None, False

    def may_share_cache_with(self, answering: RouteCORS) -> bool:
        """Whether a method this policy grants may be listed in ``answering``'s grant: the
        browser caches that method with ``answering``'s max-age and credentials flag, so
        this policy must allow credentials if it does, and at least as long a max-age."""
        mine, theirs = self.policy, answering.policy
        return (mine.allow_credentials or not theirs.allow_credentials) and (
            mine.max_age >= theirs.max_age
        )

    @staticmethod
    def list_methods(headers: list[tuple[bytes, bytes]], methods: bytes) -> None:
        """Put ``methods`` in a grant's ``Access-Control-Allow-Methods`` (in place)."""
        for index, (name, _) in enumerate(headers):
            if name is ACAM:
                headers[index] = (ACAM, methods)
                return

    # -- a CORS route class serving the route itself -------------------------------------------

    async def answer_preflight(self, scope: Scope, send: Send, asked: Asked) -> None:
        """Send this policy's answer to a preflight: a grant, or the refusal."""
        status, headers = await self.preflight(scope, asked)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send(EMPTY_BODY)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the route: answer its preflights, put CORS headers on all its responses."""
        route_handle = self._route_handle
        assert route_handle is not None, "a RouteCORS used by install() has no handle"
        extra = self.static
        if extra is None:
            origin: OriginValue | None = None
            for key, value in scope["headers"]:
                if key == ORIGIN:
                    origin = SEVERAL_ORIGINS if origin is not None else value
            # An exact origin costs one dict lookup; anything else, the policy's mechanisms.
            extra = self.by_origin.get(origin)  # type: ignore[arg-type]
            if extra is None:
                found = self.origin_headers(scope, origin)
                extra = found if isinstance(found, list) else await found
        response = _Response()
        send_with_cors = partial(_send_with_cors, self, response, extra, send)
        token = handled.set(True)  # its @cors endpoint may run (decorators._checked)
        try:
            await route_handle(scope, receive, send_with_cors)
        except Exception as exc:
            if response.started:
                raise
            await send_exception_response(exc, scope, receive, send_with_cors)
        finally:
            handled.reset(token)

    def _log(
        self,
        scope: Scope,
        kind: str,
        origin: OriginValue,
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
            origin if isinstance(origin, bytes) else repr(origin).encode(),
            reason,
            method,
            requested,
        )
