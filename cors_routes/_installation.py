"""``install(app, default=...)``: CORS for a whole application, with per-endpoint policies.

One call gives every HTTP route of the app the policy it should have (``_precedence``: its
own ``@cors`` (a policy, or a name ``policies`` resolves), else its route class's default,
else the policy of its ``paths`` prefix, else the ``default`` given here; ``@no_cors`` opts
out), and everything a page can reach without a route (the router's 404 and 405, slash
redirects, mounted apps) gets its path's policy or the default.

The app is the one object changed, through one hook: its ``build_middleware_stack`` is
wrapped on the instance, so the stack it builds gets two more layers, both its own:

- one around the whole stack, outside Starlette's ``ServerErrorMiddleware``, so every
  response passes through it, 500s included; it decorates each response with the policy
  of the route that served it, which the router wrote into the scope (``scope["route"]``);
  a response no route served (a 404, a redirect, a mounted app, a middleware answering
  early) is decided by :func:`_selection.select`, as the router decided it;
- one between the innermost middleware and the router, where a preflight arrives with the
  path the router will see (a middleware may rewrite it) and is answered, without routing,
  by the policy of the route :func:`_selection.select` finds for the method it asks for.

Nothing is stored on routes or routers: a router shared by several apps answers in each
with that app's policies.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from starlette._utils import get_route_path
from starlette.routing import Host, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import _framework, _selection, _websocket
from ._dispatch import (
    EMPTY_BODY,
    INSTALLED,
    ORIGIN,
    SEVERAL_ORIGINS,
    Asked,
    Extra,
    OriginValue,
    RouteCORS,
    handled,
    method_is_token,
    preflight_asked,
    send_refusal,
)
from ._listed_methods import allow_methods
from ._openapi import with_cors_extension
from ._path_policies import PathPolicies, checked_paths
from ._policy_names import checked_policies, names_in_use
from ._precedence import (
    UnresolvedName,
    from_app,
    from_endpoint,
    located_policy,
    own_policy,
    policy_of,
    unresolved_names,
)
from ._report import CORSReport
from ._route_mixin import XCors
from ._served_methods import served_methods
from .decorators import register
from .exceptions import CORSConfigError
from .policy import CORS_MIDDLEWARE_METHODS, CORSPolicy

if TYPE_CHECKING:
    from starlette.applications import Starlette

logger = logging.getLogger("cors_routes")

# A FastAPI app is a Starlette subclass: install(app) returns the type it was given.
App = TypeVar("App", bound="Starlette")

# The scope keys through which the router's entry tells the outer layer the path the
# router saw, learns that a request is a preflight to answer, and the innermost
# installation (an installed app mounted in another) claims the request.
ROUTED_KEY = "cors_routes.routed"
PREFLIGHT_KEY = "cors_routes.preflight"
_MAX_REDIRECT_HOPS = 4
_MAX_REMEMBERED_ROUTES = 10_000
# Request paths whose ``paths`` answer is remembered, and the longest remembered.
_MAX_REMEMBERED_PATHS = 1024
_MAX_REMEMBERED_PATH = 1024

_installations: weakref.WeakKeyDictionary[Any, Installation] = weakref.WeakKeyDictionary()


def install(
    app: App,
    default: CORSPolicy | None = None,
    *,
    policies: Mapping[str, CORSPolicy | None] | None = None,
    paths: Mapping[str, CORSPolicy | None] | None = None,
    x_cors: XCors | None = None,
    lint: bool = True,
    enforce: bool = True,
    on_report: Callable[[CORSReport], object] | None = None,
) -> App:
    """Give every HTTP route of ``app`` (FastAPI or Starlette) its CORS policy.

    Routes without ``@cors`` / ``@no_cors`` of their own (and without a route-class
    default) get ``default``, as do the app's 404s, 405s, slash redirects and mounted
    apps. ``default=None`` gives them no CORS at all: only ``@cors`` endpoints answer
    cross-origin requests. ``policies`` gives ``@cors("name")`` endpoints their policy by
    name (None: no CORS); a name no entry resolves is a ``CORSConfigError``. ``paths``
    maps literal path prefixes (``"/auth"`` covers ``/auth`` and ``/auth/...``) to the
    policy (None: no CORS) of everything under them without a policy of its own; the
    longest prefix wins, before the default. ``x_cors`` publishes the ``x-cors`` OpenAPI
    extension on every route with a policy (True), without the origins
    (``"without-origins"``), or removes it (False); None leaves each route as its class
    says. ``lint=False`` turns off the configuration lint, run at the app's start-up (the
    ASGI lifespan's ``startup``; at the first request when the server runs no lifespan).
    Returns ``app``.

    ``enforce=False`` is report-only mode: every response stays as the app sends it
    (``CORSMiddleware`` may stay in place), and wherever a browser would conclude
    differently under the policies, a ``CORSReport`` is logged (``cors_routes`` logger,
    WARNING) and passed to ``on_report`` (see docs/report-only.md).

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
    if not isinstance(enforce, bool):
        raise CORSConfigError(f"install(enforce=...) takes True or False, not {enforce!r}")
    if on_report is not None and (enforce or not callable(on_report)):
        raise CORSConfigError(
            "install(on_report=...) takes a function of one CORSReport, in report-only mode: "
            "install(app, default=..., enforce=False, on_report=hook)"
        )
    names = checked_policies(policies)
    by_path = checked_paths(paths)
    if enforce:
        _refuse_cors_middleware(app)
    installation = Installation(app, default, x_cors, lint, names, by_path)
    installation.check_names()
    _installations[app] = installation
    starlette_app: Any = app
    build_stack = starlette_app.build_middleware_stack
    reporter = None
    if not enforce:
        from . import _report_only  # loaded only for report-only mode

        reporter = _report_only.Reporter(installation, on_report)

    def build_middleware_stack() -> ASGIApp:
        # Routers included after install(): their names are checked before the app serves.
        installation.check_names()
        if reporter is not None:
            return reporter.stack(build_stack(), router)
        entry = _router_entry(installation.router, installation)
        stack = _with_router_entry(build_stack(), router, entry)
        # Outside everything Starlette builds, ServerErrorMiddleware included, so that the
        # 500 it renders (or the app's own 500 handler) passes through the layer too.
        return _layer(stack, installation)

    # The one hook: the app builds its stack at its first request, or again now if it
    # already served one.
    starlette_app.build_middleware_stack = build_middleware_stack
    starlette_app.middleware_stack = None
    installation.publish()
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
    """The CORS answers of one installed application."""

    def __init__(
        self,
        app: Any,
        default: CORSPolicy | None,
        x_cors: XCors | None,
        lint: bool,
        names: Mapping[str, CORSPolicy | None] | None = None,
        paths: PathPolicies | None = None,
    ) -> None:
        self.app = app
        self.router = _selection.router_of(app)
        self.default = default
        self.names: Mapping[str, CORSPolicy | None] = names or {}
        self.paths = paths
        self.x_cors = x_cors
        self.lint_pending = lint
        self.default_cors = (
            None
            if default is None
            else RouteCORS(
                default,
                None,
                "(no route's own: the install() default)",
                unset_methods=CORS_MIDDLEWARE_METHODS,
            )
        )
        self._shared: dict[tuple[CORSPolicy, frozenset[str] | None, bool], RouteCORS] = {}
        # The answer of each route that served a response: (the route, kept alive so that
        # its id stays its own; its CORS). Bounded: emptied when full.
        self.by_route: dict[int, tuple[Any, RouteCORS | None]] = {}
        self._hidden: dict[int, tuple[Any, list[tuple[Any, Any, int]], Any]] = {}
        # With ``paths``: the routes without a policy of their own, whose answer depends on
        # the request's path (a route can be included under two prefixes), with their
        # methods; and the answer for each (prefix, methods).
        self._located: dict[int, tuple[Any, frozenset[str] | None]] = {}
        # One per (prefix, methods): as many as routes at most, since each route has one
        # set of methods. The answer per (request path, methods) is remembered, bounded.
        self._at_prefix: dict[tuple[str | None, frozenset[str] | None], RouteCORS | None] = {}
        self._at_path: dict[tuple[str, frozenset[str] | None], tuple[RouteCORS | None]] = {}

    # -- policies ---------------------------------------------------------------------------

    def policy_of(self, route: Any, path: str | None = None) -> CORSPolicy | None:
        """The effective policy of ``route`` (at the full path template ``path``)."""
        return self.policy_and_source(route, path)[0]

    def policy_and_source(self, route: Any, path: str | None) -> tuple[CORSPolicy | None, str]:
        """(policy, where it comes from) of ``route`` at the full path template ``path``."""
        return policy_of(
            route, self.default, installed=True, names=self.names, paths=self.paths, path=path
        )

    def check_names(self) -> None:
        """Raise ``CORSConfigError`` naming every ``@cors("name")`` endpoint of the app
        whose name this installation was not given. No walk before any name is written."""
        if not names_in_use():
            return
        problems = unresolved_names(self.app, self.names)
        if problems:
            raise CORSConfigError(problems)

    def route_cors(self, route: Any, path: str = "") -> RouteCORS | None:
        """The CORS answer of ``route`` serving the request ``path`` (relative to the app's
        root path): its policy, bound to the methods it serves."""
        remembered = self.by_route.get(id(route))
        if remembered is not None and remembered[0] is route:
            return remembered[1]
        located = self._located.get(id(route))
        if located is not None and located[0] is route:
            return self._cors_at(path, located[1])
        try:
            own = own_policy(route, installed=True, names=self.names)
        except UnresolvedName:
            self.check_names()  # the same message as install() gives, with the full path
            raise
        endpoint = getattr(route, "endpoint", None)
        if endpoint is not None:
            register(endpoint)
        if own is None and self.paths is not None:
            methods = served_methods(route)
            if len(self._located) >= _MAX_REMEMBERED_ROUTES:
                self._located.clear()
            self._located[id(route)] = (route, methods)
            return self._cors_at(path, methods)
        policy, source = own if own is not None else located_policy(self.default, None, "")
        cors = None
        if policy is not None:
            methods = served_methods(route)
            cors = self._shared_cors(policy, methods, from_app(source), route)
        if len(self.by_route) >= _MAX_REMEMBERED_ROUTES:
            self.by_route.clear()
        self.by_route[id(route)] = (route, cors)
        return cors

    def _cors_at(self, path: str, methods: frozenset[str] | None) -> RouteCORS | None:
        """The answer of a route without a policy of its own at ``path``: the policy of
        the longest ``paths`` prefix covering it, else the default."""
        remembered = self._at_path.get((path, methods))
        if remembered is not None:
            return remembered[0]
        assert self.paths is not None
        found = self.paths.lookup(path)
        prefix = None if found is None else found[0]
        key = (prefix, methods)
        if key in self._at_prefix:
            cors = self._at_prefix[key]
        else:
            cors = self._at_prefix[key] = self._new_cors_at(found, methods)
        if len(path) <= _MAX_REMEMBERED_PATH:
            if len(self._at_path) >= _MAX_REMEMBERED_PATHS:
                self._at_path.clear()
            self._at_path[path, methods] = (cors,)
        return cors

    def _new_cors_at(
        self, found: tuple[str, CORSPolicy | None] | None, methods: frozenset[str] | None
    ) -> RouteCORS | None:
        if found is None and methods is None:
            return self.default_cors
        prefix = None if found is None else found[0]
        policy = self.default if found is None else found[1]
        cors = None
        if policy is not None:
            name = f"{', '.join(sorted(methods)) if methods else 'any method'} under " + (
                prefix or "/"
            )
            cors = RouteCORS(policy, methods, name, unset_methods=CORS_MIDDLEWARE_METHODS)
        return cors

    def located_cors(self, path: str) -> RouteCORS | None:
        """The answer where no route serves (a 404, a mounted app) at ``path``."""
        if self.paths is None:
            return self.default_cors
        return self._cors_at(path, None)

    def _shared_cors(
        self, policy: CORSPolicy, methods: frozenset[str] | None, from_default: bool, route: Any
    ) -> RouteCORS:
        # Routes with the same policy and methods share one: its precomputed headers and
        # its memo of granted preflights (10,000 routes need not mean 10,000 copies).
        key = (policy, methods, from_default)
        shared = self._shared.get(key)
        if shared is None:
            name = f"{', '.join(sorted(methods)) if methods else 'any method'} " + str(
                getattr(route, "path", "")
            )
            shared = self._shared[key] = RouteCORS(
                policy,
                methods,
                name,
                unset_methods=CORS_MIDDLEWARE_METHODS if from_default else None,
            )
        return shared

    def publish(self) -> None:
        """Set the ``x-cors`` OpenAPI extension of every route as ``x_cors`` says."""
        if self.x_cors is None:
            return
        changed = False
        for walked in _selection.walk(self.app):
            if isinstance(walked.route, (Mount, Host)):
                continue
            policy, source = self.policy_and_source(walked.declared, walked.path)
            methods = served_methods(walked.declared)
            unset = CORS_MIDDLEWARE_METHODS if from_app(source) else None
            holders = {id(walked.declared): walked.declared, id(walked.route): walked.route}
            holders |= {id(held): held for held in _framework.schema_holders(walked.matcher)}
            for holder in holders.values():
                if not hasattr(holder, "openapi_extra"):
                    continue
                extra = dict(holder.openapi_extra or {})
                extra.pop("x-cors", None)
                if policy is not None:
                    extra = (
                        with_cors_extension(
                            extra, policy, methods, self.x_cors, unset_methods=unset
                        )
                        or {}
                    )
                new = extra or None
                if new != holder.openapi_extra:
                    holder.openapi_extra = new
                    changed = True
        if changed and getattr(self.app, "openapi_schema", None) is not None:
            self.app.openapi_schema = None  # FastAPI caches the schema: let it rebuild

    # -- the answers ------------------------------------------------------------------------

    def preflight_cors(self, scope: Scope, method: str) -> RouteCORS | _Refused | None:
        """Who answers a preflight asking for ``method``: a route's CORS, ``REFUSED``, or
        None to let the app answer it as it would without cors_routes (the route that
        would serve it has no CORS, or belongs to an app installed on its own)."""
        router = self.router
        selection = _selection.select(router, scope, method)
        for _ in range(_MAX_REDIRECT_HOPS):
            if not isinstance(selection, _selection.Redirect):
                break
            # The browser follows the redirect, and preflights again there: answer as the
            # route at the redirect's target answers, so the redirect is not in its way.
            scope = {**scope, "path": selection.path}
            selection = _selection.select(router, scope, method)
        # Only an app with ``paths`` reads the path: the others pay nothing for them.
        path = "" if self.paths is None else get_route_path(scope)
        if isinstance(selection, _selection.Served):
            return self.route_cors(selection.route, path)
        if isinstance(selection, _selection.MountedApp):
            if installation_of(selection.mount.app) is not None:
                return None
            return self.located_cors(path)
        if isinstance(selection, _selection.Hidden):
            return self._hidden_cors(selection, path)
        # No route serves the method there (a 405, a 404): nothing to grant.
        return None if self.located_cors(path) is None else REFUSED

    def _hidden_cors(
        self, hidden: _selection.Hidden, path: str = ""
    ) -> RouteCORS | _Refused | None:
        """A preflight into a mount whose own middleware hides which route serves: the
        policy at the request's path (a ``paths`` prefix's, else the default) answers only
        if no route in there has a policy of its own that differs; otherwise nothing can be
        granted safely (the lint says why)."""
        if _installed_inside(hidden.mount):
            return None  # that app's own installation answers
        located = self.located_cors(path)
        remembered = self._hidden.get(id(hidden.mount))
        if remembered is None or remembered[0] is not hidden.mount or not _unchanged(remembered[1]):
            # Walked once per mount while its route lists stay as they were: a stream of
            # preflights into the mount costs one lookup each, not a walk of its routes.
            own = set()
            for entry in _selection.walk(hidden.app):
                if isinstance(entry.route, (Mount, Host)):
                    continue
                found = own_policy(entry.declared, installed=True, names=self.names)
                if found is not None:
                    own.add(id(found[0]))
            lists = [(router, router.routes, len(router.routes)) for router in _routers(hidden.app)]
            remembered = self._hidden[id(hidden.mount)] = (hidden.mount, lists, own)
        policy = None if located is None else located.policy
        if remembered[2] - {id(policy)}:
            return REFUSED
        return located

    def response_cors(self, scope: Scope, routed: _Routed) -> RouteCORS | None:
        """The CORS of a response: the serving route's, else decided as the router did."""
        route = scope.get("route")
        path = routed.path
        if route is not None and not isinstance(route, (Mount, Host)):
            if self.paths is None:  # the others pay nothing for paths
                return self.route_cors(route)
            return self.route_cors(route, self._routed_path(scope, routed))
        request = scope if path is None else {**scope, "path": path, "root_path": routed.root_path}
        at = "" if self.paths is None else get_route_path(request)
        selection = _selection.select(self.router, request, scope["method"])
        if isinstance(selection, _selection.Redirect):
            # The slash redirect carries its target's answer, so the browser follows it.
            target = {**request, "path": selection.path}
            selection = _selection.select(self.router, target, scope["method"])
            if not isinstance(selection, _selection.Served):
                return self.located_cors(at)
            at = "" if self.paths is None else get_route_path(target)
        if isinstance(selection, (_selection.Served, _selection.Partial)):
            return self.route_cors(selection.route, at)
        if isinstance(selection, _selection.Hidden):
            # Whichever route in there served, only a policy they all share may decorate.
            hidden = self._hidden_cors(selection, at)
            return hidden if isinstance(hidden, RouteCORS) else None
        return self.located_cors(at)

    @staticmethod
    def _routed_path(scope: Scope, routed: _Routed) -> str:
        """The path the router routed, relative to the app's root path."""
        if routed.path is None:
            return get_route_path(scope)
        return get_route_path({"path": routed.path, "root_path": routed.root_path})

    def served_cors(self, selection: _selection.Selection, path: str = "") -> RouteCORS | None:
        """The CORS of the route a selection serves with at ``path`` (relative to the app's
        root path; it matters only with ``paths``); None for anything else."""
        if isinstance(selection, _selection.Served):
            return self.route_cors(selection.route, path)
        return None

    def websocket_policy(self, scope: Scope) -> CORSPolicy | None:
        """The policy whose origins a WebSocket handshake must come from: the ``@cors`` of
        the WebSocket endpoint the router will run (the default does not apply: browsers
        send the page's own origin, which CORS policies do not list)."""
        selection = _selection.select(self.router, scope, None)
        if not isinstance(selection, _selection.Served):
            return None
        try:
            found = own_policy(selection.route, installed=True, names=self.names)
        except UnresolvedName:
            self.check_names()
            raise
        return found[0] if found is not None and from_endpoint(found[1]) else None

    def run_lint(self) -> None:
        self.lint_pending = False
        from . import _startup  # the diagnostics load only when the app first serves

        try:
            _startup.lint_once(self.app)
        except Exception:  # the lint must never break a request
            logger.warning("the CORS lint failed on this app", exc_info=True)


class _Routed:
    """Where the router saw a request: its entry writes the path it routed (a middleware
    may have rewritten it), for the outer layer to decide a response no route served."""

    __slots__ = ("path", "root_path")

    def __init__(self) -> None:
        self.path: str | None = None
        self.root_path = ""


class _Preflight:
    """A preflight on its way down the middleware: whether the router's entry took it, and
    what it asked, with the header lines it was read from."""

    __slots__ = ("asked", "headers", "reached")

    def __init__(self, asked: Asked, headers: list[tuple[bytes, bytes]]) -> None:
        self.reached = False
        self.asked = asked
        self.headers = headers


class _Refused:
    __slots__ = ()


REFUSED = _Refused()


def _routers(app: Any, depth: int = 0) -> list[Any]:
    """The router of ``app`` and of the apps mounted in it, whose lists a walk read."""
    found = []
    router = _selection.router_of(app)
    if router is not None and depth < 16:
        found.append(router)
        for route in router.routes:
            inner = getattr(route, "app", None)
            if isinstance(route, (Mount, Host)) and inner is not None and inner is not app:
                found.extend(_routers(inner, depth + 1))
    return found


def _unchanged(lists: list[tuple[Any, Any, int]]) -> bool:
    return all(
        router.routes is routes and len(routes) == length for router, routes, length in lists
    )


def _installed_inside(mount: Any) -> bool:
    app = mount.app
    for _ in range(16):
        if app is None:
            return False
        if installation_of(app) is not None:
            return True
        app = getattr(app, "app", None)
    return False


def _with_router_entry(stack: ASGIApp, router: Any, entry: ASGIApp) -> ASGIApp:
    """``stack`` with ``entry`` between the innermost layer and the router.

    The layer objects were just built by the app's own ``build_middleware_stack``: they
    are this app's alone, so linking one to the entry changes nothing anyone shares.
    """
    if stack is router:
        return entry
    layer: Any = stack
    for _ in range(64):
        inner = getattr(layer, "app", None)
        if inner is None:
            break
        if inner is router:
            layer.app = entry
            break
        layer = inner
    return stack


def _layer(app: ASGIApp, installation: Installation) -> ASGIApp:
    """The ASGI layer ``install()`` puts around the app's middleware stack.

    A function, not an object with ``__call__`` (calling a function costs less), and not a
    coroutine function: for every request but a preflight it returns the app's own
    awaitable, with send wrapped, so the layer costs a call, not a coroutine."""

    def layer(scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        kind = scope["type"]
        if kind != "http":
            if kind == "websocket":
                handled.set(True)
                return _websocket_handshake(app, installation, scope, receive, send)
            if kind == "lifespan" and installation.lint_pending:
                return app(scope, receive, partial(_send_after_lint, installation, send))
            return app(scope, receive, send)
        # Tells a CORS route class to step aside, and which installation answers (an app
        # installed on its own inside this one overwrites it with its own).
        scope[INSTALLED] = installation
        # No reset: the request's task ends with it (a reset would cost a coroutine).
        handled.set(True)
        if installation.lint_pending:
            installation.run_lint()
        if scope["method"] == "OPTIONS":
            asked = preflight_asked(scope)
            if asked is not None:
                return _send_preflight_down(app, installation, scope, receive, send, asked)
        routed = _Routed()
        scope[ROUTED_KEY] = routed
        return app(scope, receive, partial(_send_with_cors, routed, scope, send, installation))

    layer.app = app  # type: ignore[attr-defined]  # for code walking the app's layers
    return layer


def _send_after_lint(installation: Installation, send: Send, message: Message) -> Awaitable[None]:
    # The app's own start-up has run and the server serves nothing until this message
    # reaches it: the lint's warnings come out before the first request, which pays none
    # of it. Without a lifespan (`--lifespan off`), the first request runs it instead.
    if message["type"] == "lifespan.startup.complete" and installation.lint_pending:
        installation.run_lint()
    return send(message)


async def _websocket_handshake(
    app: ASGIApp, installation: Installation, scope: Scope, receive: Receive, send: Send
) -> None:
    policy = installation.websocket_policy(scope)
    if policy is not None and not await _websocket.origin_allowed(policy, scope):
        await _websocket.refuse_handshake(scope, receive, send)
        return
    await app(scope, receive, send)


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
    if not method_is_token(asked[1]):
        await send_refusal(send)  # before any lookup: a hostile value costs nothing more
        return
    state = _Preflight(asked, list(scope["headers"]))
    scope[PREFLIGHT_KEY] = state
    asked_for = {**scope}  # the path the browser asked for, whatever a middleware does
    held: list[Message] = []

    def send_down(message: Message) -> Awaitable[None]:
        # Until the router's entry has seen the preflight, what comes up is a middleware's
        # own answer to it (an auth check, a redirect): held back, and the browser gets the
        # policy's answer instead.
        if state.reached:
            return send(message)
        held.append(message)
        return _HELD

    try:
        await app(scope, receive, send_down)
    except Exception:
        if not state.reached:
            await _answer_held(installation, asked_for, send, asked, held)
        raise
    if not state.reached:
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
        # (a proxy, an exporter). Its actual responses get the default policy (or its
        # path's), so its preflights do too, where refusing would block what
        # CORSMiddleware allowed.
        at = "" if installation.paths is None else get_route_path(scope)
        cors = installation.located_cors(at)
    if cors is not None or not held:
        await _send_preflight_answer(cors, scope, send, asked, installation)
        return
    for message in held:
        await send(message)


def _router_entry(router: ASGIApp, installation: Installation) -> ASGIApp:
    """Stands before the app's router, inside every middleware: where preflights are
    decided, with the path the router will route, and where the outer layer learns it."""

    async def preflight(scope: Scope, receive: Receive, send: Send, state: _Preflight) -> None:
        # Read again only if a middleware changed the header lines (a comparison in C,
        # element by element, where reading them is a loop in Python).
        asked = state.asked if scope["headers"] == state.headers else preflight_asked(scope)
        if asked is None:  # a middleware took its preflight headers away: route it
            state.reached = True
            await router(scope, receive, send)
            return
        cors = installation.preflight_cors(scope, asked[1].decode("latin-1"))
        if cors is None:
            state.reached = True
            await router(scope, receive, send)  # a route without CORS: as if absent
            return
        state.reached = True
        await _send_preflight_answer(cors, scope, send, asked, installation)

    def router_entry(scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        routed = scope.get(ROUTED_KEY)
        if routed is not None:
            routed.path = scope["path"]
            routed.root_path = scope.get("root_path", "")
        else:
            state = scope.get(PREFLIGHT_KEY)
            if state is not None and not state.reached:
                return preflight(scope, receive, send, state)
        return router(scope, receive, send)

    router_entry.app = router  # type: ignore[attr-defined]  # for code walking the layers
    return router_entry


async def _send_preflight_answer(
    cors: RouteCORS | _Refused | None,
    scope: Scope,
    send: Send,
    asked: Asked,
    installation: Installation,
) -> None:
    if not isinstance(cors, RouteCORS):
        # REFUSED: no route serves the method there. None: the route has no CORS, but a
        # middleware answered before the app could. Either way no policy grants it.
        if cors is not None and logger.isEnabledFor(logging.DEBUG):
            _log_no_route(scope, asked[1])
        await send_refusal(send)
        return
    # Not RouteCORS.answer_preflight: one coroutine fewer per preflight.
    answer = cors.answer(scope, asked)  # no coroutine for a grant seen before
    status, headers = answer if isinstance(answer, tuple) else await answer
    if status == 204 and _selection.more_methods_at(installation.router, scope, asked[1]):
        # The other methods this origin is granted at this URL: one preflight for all.
        cors_of = installation.served_cors
        if installation.paths is not None:  # which policy serves depends on the path too
            cors_of = partial(installation.served_cors, path=get_route_path(scope))
        listed = await allow_methods(installation.router, scope, asked, cors, cors_of)
        if listed is not None:
            cors.list_methods(headers, listed)
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
    routed: _Routed, scope: Scope, send: Send, installation: Installation, message: Message
) -> Awaitable[None]:
    if message["type"] != "http.response.start" or scope.get(INSTALLED) is not installation:
        # Not a start, or an app installed on its own inside this one answered for itself.
        return send(message)
    # The route that served, as the router wrote it into the scope: its answer is looked
    # up here, not in a method (one call fewer on every response).
    route = scope.get("route")
    remembered = installation.by_route.get(id(route))
    if remembered is not None and remembered[0] is route:
        cors = remembered[1]
    else:
        cors = installation.response_cors(scope, routed)
    if cors is None:
        return send(message)
    extra = cors.static
    if extra is None:
        origin: OriginValue | None = None
        for key, value in scope["headers"]:
            if key == ORIGIN:
                origin = SEVERAL_ORIGINS if origin is not None else value
        # An exact origin costs one dict lookup; anything else, the policy's mechanisms.
        extra = cors.by_origin.get(origin)
        if extra is None:
            found = cors.origin_headers(scope, origin)
            if not isinstance(found, list):
                return _send_after_predicate(cors, found, message, send)
            extra = found
    return send(cors.start_message(message, extra))


async def _send_after_predicate(
    cors: RouteCORS, pending: Awaitable[Extra], message: Message, send: Send
) -> None:
    await send(cors.start_message(message, await pending))


def _log_no_route(scope: Scope, method: bytes) -> None:
    from ._text import escape

    logger.debug(
        "CORS preflight refused: no route serves method %s on path %s",
        escape(method),
        escape(scope.get("path")),
    )
