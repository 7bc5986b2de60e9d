"""``install(app, default=...)``: CORS for a whole application, with per-endpoint policies.

One call gives every HTTP route of the app the policy it should have: its own ``@cors``,
else its route class's default, else the ``default`` given here (``@no_cors`` opts out);
and everything a page can reach without a route (the router's 404 and 405, slash
redirects, mounted apps) gets the default.

How it works, in three parts:

- a layer around the app's whole middleware stack, outside Starlette's
  ``ServerErrorMiddleware``, so every response passes through it, 500s included;
- preflights travel down the app's middleware and are answered at the router's entry
  (with the path the router will see), without routing, by the policy of the route that
  would serve the actual request, found in a model of the routing table
  (``_route_index``); a middleware that answers one itself is overruled;
- every route reports itself as it starts serving (a small wrapper around its ``handle``),
  so the layer knows whose policy decorates the response without searching; a response
  no route reported (a 404, a redirect, a mounted app, middleware answering early) is
  decided by the same model.

The model is rebuilt whenever a router of the app gains or loses routes, so routers
included after ``install()`` are covered too.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Awaitable, Callable
from functools import partial
from types import MethodType
from typing import Any, TypeAlias, TypeVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import _route_index as index
from ._dispatch import (
    EMPTY_BODY,
    ORIGIN,
    SEVERAL_ORIGINS,
    Asked,
    OriginValue,
    RouteCORS,
    preflight_asked,
)
from ._openapi import with_cors_extension
from ._route_mixin import CORSRouteMixin, XCors
from ._served_methods import served_methods
from .decorators import OPTED_OUT, marker, register
from .exceptions import CORSConfigError
from .policy import CORS_MIDDLEWARE_METHODS, CORSPolicy

logger = logging.getLogger("cors_routes")

App = TypeVar("App")

# The scope keys through which the route that serves a request reports itself, and the
# router's entry learns that a request is a preflight to answer.
SERVED_KEY = "cors_routes.served"
PREFLIGHT_KEY = "cors_routes.preflight"
_PREFLIGHT_REFUSED_HEADERS = (
    (b"vary", b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"),
    (b"content-length", b"0"),
)
_MAX_REDIRECT_HOPS = 4

_installations: weakref.WeakKeyDictionary[Any, Installation] = weakref.WeakKeyDictionary()


class _Unreported:
    __slots__ = ()


_UNREPORTED = _Unreported()


# What one request's serving route reported, and where the request was going:
# [the route (or _UNREPORTED), path, root_path]. A list, because building one costs less
# than building an object, and one is built for every request.
_Served: TypeAlias = list[Any]


def install(
    app: App,
    default: CORSPolicy | None = None,
    *,
    x_cors: XCors | None = None,
    lint: bool = True,
) -> App:
    """Give every HTTP route of ``app`` (FastAPI or Starlette) its CORS policy.

    Routes without ``@cors`` / ``@no_cors`` of their own (and without a route-class
    default) get ``default``, as do the app's 404s, 405s, slash redirects and mounted
    apps. ``default=None`` gives them no CORS at all: only ``@cors`` endpoints answer
    cross-origin requests. ``x_cors`` publishes the ``x-cors`` OpenAPI extension on every
    route with a policy (True), without the origins (``"without-origins"``), or removes it
    (False); None leaves each route as its class says. ``lint=False`` turns off the
    configuration lint run at the first request. Returns ``app``.

    Call it once, after the app is built (typically at the end of an app factory), in
    place of ``app.add_middleware(CORSMiddleware, ...)``.
    """
    router = getattr(app, "router", None)
    if not isinstance(getattr(router, "routes", None), list) or not hasattr(
        app, "build_middleware_stack"
    ):
        raise CORSConfigError(
            f"install() needs a FastAPI or Starlette application object, not {app!r}: "
            "pass the app itself (for an app wrapped in ASGI middleware, the inner app)"
        )
    if default is not None and not isinstance(default, CORSPolicy):
        hint = (
            ": write default=CORSPolicy(**settings)"
            if isinstance(default, dict)
            else ": write default=CORSPolicy(allow_origins=[...])"
        )
        raise CORSConfigError(f"install(default=...) takes a CORSPolicy or None{hint}")
    if x_cors not in (None, True, False, "without-origins"):
        raise CORSConfigError(
            f"install(x_cors=...) takes None, True, False or 'without-origins', not {x_cors!r}"
        )
    if app in _installations:
        raise CORSConfigError(
            "install() was already called on this app: call it once, with the default policy"
        )
    _refuse_cors_middleware(app)
    installation = Installation(app, default, x_cors, lint)
    _installations[app] = installation
    starlette_app: Any = app
    build_stack = starlette_app.build_middleware_stack

    def build_middleware_stack() -> ASGIApp:
        return _layer(build_stack(), installation)

    # Outside everything Starlette builds, ServerErrorMiddleware included, so that the
    # 500 it renders (or the app's own 500 handler) passes through the layer too.
    starlette_app.build_middleware_stack = build_middleware_stack
    if getattr(starlette_app, "middleware_stack", None) is not None:  # it already served
        starlette_app.middleware_stack = _layer(starlette_app.middleware_stack, installation)
    # And inside every middleware, at the router: preflights are decided with the path the
    # router will see (a middleware may rewrite it).
    routes_holder: Any = router
    routes_holder.middleware_stack = _router_entry(routes_holder.middleware_stack, installation)
    return app


def installation_of(app: Any) -> Installation | None:
    """The installation ``install()`` made for ``app``, if any."""
    try:
        return _installations.get(app)
    except TypeError:
        return None


def _refuse_cors_middleware(app: Any) -> None:
    from starlette.middleware.cors import CORSMiddleware

    found = [
        entry
        for entry in getattr(app, "user_middleware", ()) or ()
        if isinstance(getattr(entry, "cls", None), type) and issubclass(entry.cls, CORSMiddleware)
    ]
    layer = getattr(app, "middleware_stack", None)
    for _ in range(64):
        if layer is None:
            break
        if isinstance(layer, CORSMiddleware):
            found.append(layer)
        layer = getattr(layer, "app", None)
    if found:
        raise CORSConfigError(
            "this app has Starlette's CORSMiddleware, which answers every preflight before "
            "routing and would override the route policies: remove "
            "app.add_middleware(CORSMiddleware, ...) and pass its arguments to install() "
            "instead: install(app, default=CORSPolicy(allow_origins=[...], ...))"
        )


class Installation:
    """The routing model and the CORS answer of every route, for one application."""

    def __init__(
        self, app: Any, default: CORSPolicy | None, x_cors: XCors | None, lint: bool
    ) -> None:
        self.app = app
        self.default = default
        self.x_cors = x_cors
        self.lint_pending = lint
        # The default stands in for CORSMiddleware: an unset allow_methods means the
        # middleware's ("GET",) there, not the route's own methods (an endpoint's own
        # policy keeps those), so the migration grants no method the middleware refused.
        self._serving_default = None if default is None else _as_middleware_default(default)
        self.default_cors = (
            None
            if self._serving_default is None
            else RouteCORS(self._serving_default, None, "(no route's own: the install() default)")
        )
        self._shared: dict[tuple[CORSPolicy, frozenset[str] | None], RouteCORS] = {}
        self.decisions: dict[int, RouteCORS | None] = {}
        """Each served route's CORS under this installation, by id of the route object."""
        self._watched: list[tuple[Any, Any, int]] = []
        self.entries: list[index.Entry] = []
        self._level = self._build()

    # -- the model ------------------------------------------------------------------------------

    def level(self) -> index.Level:
        """The routing model, rebuilt first if a router gained or lost routes."""
        if not index.is_current(self._watched):
            self._level = self._build()
        return self._level

    def _build(self) -> index.Level:
        watched: list[tuple[Any, Any, int]] = []
        entries: list[index.Entry] = []
        decisions: dict[int, RouteCORS | None] = {}
        changed_openapi = False

        def on_entry(entry: index.Entry) -> None:
            nonlocal changed_openapi
            entries.append(entry)
            if entry.kind in (index.MOUNT, index.HOST):
                entry.decision = self.default_cors
                return
            declared = entry.declared
            policy = self._policy_of(declared, self._serving_default)
            methods = _entry_methods(entry)
            entry.decision = None if policy is None else self._route_cors(policy, methods, entry)
            endpoint = getattr(declared, "endpoint", None)
            if endpoint is not None:
                register(endpoint)
            if _reports(entry.route):
                decisions[id(entry.route)] = entry.decision
            changed_openapi |= self._publish(entry, policy, methods)

        level = index.build(self.app, on_entry, watched)
        self._watched = watched
        self.entries = entries  # they keep the routes alive, so their ids stay theirs
        self.decisions = decisions
        if changed_openapi and getattr(self.app, "openapi_schema", None) is not None:
            self.app.openapi_schema = None  # FastAPI caches the schema: let it rebuild
        return level

    def policy_of(self, route: Any) -> CORSPolicy | None:
        """The effective policy of ``route`` under this installation."""
        return self._policy_of(route, self.default)

    @staticmethod
    def _policy_of(route: Any, default: CORSPolicy | None) -> CORSPolicy | None:
        if isinstance(route, CORSRouteMixin):
            if route.cors is not None:
                return route.cors.policy
            if route.cors_opted_out:
                return None
            return default
        found = marker(getattr(route, "endpoint", None))
        if found is OPTED_OUT:
            return None
        if isinstance(found, CORSPolicy):
            return found
        return default

    def _route_cors(
        self, policy: CORSPolicy, methods: frozenset[str] | None, entry: index.Entry
    ) -> RouteCORS:
        # Routes with the same policy and methods share one: its precomputed headers and
        # its memo of granted preflights (10,000 routes need not mean 10,000 copies).
        key = (policy, methods)
        shared = self._shared.get(key)
        if shared is None:
            name = f"{', '.join(sorted(methods)) if methods else 'any method'} {entry.path}"
            shared = self._shared[key] = RouteCORS(policy, methods, name)
        return shared

    def _publish(
        self, entry: index.Entry, policy: CORSPolicy | None, methods: frozenset[str] | None
    ) -> bool:
        """Set the ``x-cors`` OpenAPI extension as ``x_cors`` says; whether it changed."""
        if self.x_cors is None:
            return False
        changed = False
        for holder in {
            id(entry.declared): entry.declared,
            id(entry.matcher): entry.matcher,
        }.values():
            if not hasattr(holder, "openapi_extra"):
                continue
            extra = dict(holder.openapi_extra or {})
            extra.pop("x-cors", None)
            if policy is not None:
                extra = with_cors_extension(extra, policy, methods, self.x_cors) or {}
            new = extra or None
            if new != holder.openapi_extra:
                holder.openapi_extra = new
                changed = True
        return changed

    # -- the answers ----------------------------------------------------------------------------

    def preflight_cors(self, scope: Scope, method: str) -> RouteCORS | _Refused | None:
        """Who answers a preflight asking for ``method``: a route's CORS, ``REFUSED``, or
        None to let the app answer it as it would without cors_routes (the route that
        would serve it has no CORS)."""
        level = self.level()
        result = index.lookup(level, scope, method)
        for _ in range(_MAX_REDIRECT_HOPS):
            if not isinstance(result, index.Redirect):
                break
            # The browser follows the redirect, and preflights again there: answer as the
            # route at the redirect's target answers, so the redirect is not in its way.
            result = index.lookup(level, {**scope, "path": result.path}, method)
        if isinstance(result, index.Found):
            cors: RouteCORS | None = result.entry.decision
            return cors
        if isinstance(result, index.LowPriority):
            return self.default_cors
        # No route serves the method there (a 405, a 404): nothing to grant.
        return None if self.default_cors is None else REFUSED

    def response_cors(self, scope: Scope, served: _Served) -> RouteCORS | None:
        """The CORS of a response no route reported, as the router would have routed it."""
        level = self.level()
        request = {**scope, "path": served[1], "root_path": served[2]}
        method = scope["method"]
        result = index.lookup(level, request, method)
        if isinstance(result, index.Redirect):
            # The slash redirect carries its target's answer, so the browser follows it.
            result = index.lookup(level, {**request, "path": result.path}, method)
            if not isinstance(result, index.Found):
                return self.default_cors
        if isinstance(result, (index.Found, index.Partial)):
            cors: RouteCORS | None = result.entry.decision
            return cors
        return self.default_cors

    def run_lint(self) -> None:
        self.lint_pending = False
        from . import _startup

        try:
            _startup.lint_once(self.app)
        except Exception:  # the lint must never break a request
            logger.warning("the CORS lint failed on this app", exc_info=True)


def _as_middleware_default(default: CORSPolicy) -> CORSPolicy:
    """``default`` as the routes it covers serve it: with allow_methods unset, the methods
    ``allowed_methods_for(..., unset=CORS_MIDDLEWARE_METHODS)`` grants, written out."""
    if default.allow_methods is not None:
        return default
    return default.replace(allow_methods=CORS_MIDDLEWARE_METHODS)


class _Refused:
    __slots__ = ()


REFUSED = _Refused()


def _entry_methods(entry: index.Entry) -> frozenset[str] | None:
    if entry.kind == index.ROUTE:
        if entry.methods is not None:
            return entry.methods
        return served_methods(entry.declared)
    return served_methods(entry.declared)


_REPORTS = "__cors_routes_reports__"


def _reports(route: Any) -> bool:
    """Make ``route`` say it serves a request as it starts serving it (once, whichever
    installation asks: a route may be in several apps, each with its own policies, so it
    reports itself and each app's layer looks up its own answer for it)."""
    if not hasattr(route, "handle"):
        return False
    current = getattr(route, "__dict__", {}).get("handle")
    if getattr(current, _REPORTS, None) is route:
        return True
    # The framework's own handle: a CORS route class's machinery steps aside for install().
    own = type(route)._route_handle if isinstance(route, CORSRouteMixin) else type(route).handle
    handle = _reporting_handle(MethodType(own, route), route)
    setattr(handle, _REPORTS, route)
    vars(route)["handle"] = handle
    return True


def _reporting_handle(
    inner: Callable[[Scope, Receive, Send], Any], route: Any
) -> Callable[[Scope, Receive, Send], Any]:
    # Not a coroutine function: it returns the route's own awaitable, so reporting costs
    # one call and a dictionary lookup, not a coroutine.
    def handle(
        scope: Scope,
        receive: Receive,
        send: Send,
        _inner: Any = inner,
        _route: Any = route,
        _key: str = SERVED_KEY,
    ) -> Any:
        served = scope.get(_key)
        if served is not None:
            served[0] = _route
        return _inner(scope, receive, send)

    return handle


def _layer(app: ASGIApp, installation: Installation) -> ASGIApp:
    """The ASGI layer ``install()`` puts around the app's middleware stack.

    A function, not an object with ``__call__`` (calling a function costs less), and not a
    coroutine function: for every request but a preflight it returns the app's own
    awaitable, with send wrapped, so the layer costs a call, not a coroutine."""

    def layer(
        scope: Scope,
        receive: Receive,
        send: Send,
        _app: ASGIApp = app,
        _installation: Installation = installation,
        _served_key: str = SERVED_KEY,
    ) -> Awaitable[None]:
        if scope["type"] != "http":
            return _app(scope, receive, send)
        if _installation.lint_pending:
            _installation.run_lint()
        if scope["method"] == "OPTIONS":
            asked = preflight_asked(scope)
            if asked is not None:
                return _send_preflight_down(_app, _installation, scope, receive, send, asked)
        served = [_UNREPORTED, scope["path"], scope.get("root_path", "")]
        scope[_served_key] = served
        return _app(scope, receive, partial(_send_with_cors, served, scope, send, _installation))

    layer.app = app  # type: ignore[attr-defined]  # for code walking the app's layers
    return layer


async def _send_preflight_down(
    app: ASGIApp,
    installation: Installation,
    scope: Scope,
    receive: Receive,
    send: Send,
    asked: Asked,
) -> None:
    """Send the preflight down the app's middleware, to be answered where the router sees
    it (a middleware may rewrite its path); answer it here if a middleware does not let it
    through, as an outermost CORSMiddleware would."""
    state: list[str | None] = [None]
    scope[PREFLIGHT_KEY] = state
    asked_for = {**scope}  # the path the browser asked for, whatever a middleware does
    held: list[Message] = []

    def send_down(message: Message) -> Awaitable[None]:
        # Until the router's entry has seen the preflight, what comes up is a middleware's
        # own answer to it (an auth check, a redirect): held back, and the browser gets the
        # policy's answer instead.
        if state[0] is not None:
            return send(message)
        held.append(message)
        return _HELD

    try:
        await app(scope, receive, send_down)
    except Exception:
        if state[0] is None:
            await _answer_held(installation, asked_for, send, asked, held)
        raise
    if state[0] is None:
        await _answer_held(installation, asked_for, send, asked, held)


async def _answer_held(
    installation: Installation, scope: Scope, send: Send, asked: Asked, held: list[Message]
) -> None:
    """A middleware answered a preflight before the router saw it: the policy of the route
    at the path the browser asked for answers it, as an outermost CORSMiddleware would; if
    that route has no CORS, the middleware's own answer goes out."""
    cors = installation.preflight_cors(scope, asked[1].decode("latin-1"))
    if isinstance(cors, _Refused):
        # No route serves it, yet a middleware answered: one that serves the path itself
        # (a proxy, an exporter). Its actual responses get the default policy, so its
        # preflights do too, where refusing would block what CORSMiddleware allowed.
        cors = installation.default_cors
    if cors is not None or not held:
        await _send_preflight_answer(cors, scope, send, asked)
        return
    for message in held:
        await send(message)


def _router_entry(app: ASGIApp, installation: Installation) -> ASGIApp:
    """Wraps the app's router, inside every middleware: where preflights are decided, with
    the path the router will route (and, for every request, where the model is told it).

    A function, not an object with ``__call__``: it runs for every request, and calling a
    function costs less."""

    async def preflight(
        scope: Scope, receive: Receive, send: Send, state: list[str | None]
    ) -> None:
        asked = preflight_asked(scope)
        if asked is None:  # a middleware took its preflight headers away: route it
            state[0] = "routed"
            await app(scope, receive, send)
            return
        cors = installation.preflight_cors(scope, asked[1].decode("latin-1"))
        if cors is None:
            state[0] = "routed"
            await app(scope, receive, send)  # a route without CORS: as if absent
            return
        state[0] = "answered"
        await _send_preflight_answer(cors, scope, send, asked)

    def router_entry(
        scope: Scope,
        receive: Receive,
        send: Send,
        _app: ASGIApp = app,
        _served_key: str = SERVED_KEY,
        _preflight_key: str = PREFLIGHT_KEY,
    ) -> Awaitable[None]:
        # Only the layer sets these keys, and only on HTTP requests.
        served = scope.get(_served_key)
        if served is not None:
            served[1] = scope["path"]
            served[2] = scope.get("root_path", "")
        else:
            state = scope.get(_preflight_key)
            if state is not None and state[0] is None:
                return preflight(scope, receive, send, state)
        return _app(scope, receive, send)

    router_entry.app = app  # type: ignore[attr-defined]  # for code walking the app's layers
    return router_entry


async def _send_preflight_answer(
    cors: RouteCORS | _Refused | None, scope: Scope, send: Send, asked: Asked
) -> None:
    if isinstance(cors, RouteCORS):
        # Not RouteCORS.answer_preflight: one coroutine fewer per preflight.
        status, headers = await cors.preflight(scope, asked)
    else:
        # REFUSED: no route serves the method there. None: the route has no CORS, but a
        # middleware answered before the app could. Either way no policy grants it.
        if cors is not None and logger.isEnabledFor(logging.DEBUG):
            _log_no_route(scope, asked[1])
        status, headers = 403, list(_PREFLIGHT_REFUSED_HEADERS)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send(EMPTY_BODY)


class _Held:
    """An awaitable that is already done: what a held-back message's send returns."""

    __slots__ = ()

    def __await__(self) -> Any:
        return iter(())


_HELD = _Held()


# Called (through a partial) for every message the app sends: a module function, not a
# closure, so that no cells are made per request.
def _send_with_cors(
    served: _Served, scope: Scope, send: Send, installation: Installation, message: Message
) -> Awaitable[None]:
    if message["type"] != "http.response.start":
        return send(message)
    reported = installation.decisions.get(id(served[0]), _UNREPORTED)
    # No route of this app reported: the model says whose request it was.
    cors = (
        installation.response_cors(scope, served) if isinstance(reported, _Unreported) else reported
    )
    if cors is None:
        return send(message)
    extra = cors.static
    if extra is None:
        origin: OriginValue | None = None
        for key, value in scope["headers"]:
            if key == ORIGIN:
                origin = SEVERAL_ORIGINS if origin is not None else value
        # An exact origin costs one dict lookup; anything else, the policy's mechanisms.
        extra = cors.by_origin.get(origin)  # type: ignore[arg-type]
        if extra is None:
            extra = cors.origin_headers(scope, origin)
            if extra is None:
                return _send_after_predicate(cors, scope, origin, message, send)
    return send(cors.start_message(message, extra))


async def _send_after_predicate(
    cors: RouteCORS, scope: Scope, origin: OriginValue | None, message: Message, send: Send
) -> None:
    assert isinstance(origin, bytes)
    extra = await cors.asked_origin_headers(scope, origin)
    await send(cors.start_message(message, extra))


def _log_no_route(scope: Scope, method: bytes) -> None:
    from ._text import escape

    logger.debug(
        "CORS preflight refused: no route serves method %s on path %s",
        escape(method),
        escape(scope.get("path")),
    )
