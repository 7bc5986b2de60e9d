"""Every route of an application, in routing order, with the CORS policy that applies to it.

This is what the diagnostics (``routes``, ``check``, ``explain`` and the start-up lint) see of
an app: one flat list that descends into included routers (their prefixes applied) and
mounted sub-apps, in the order the router tries them. It only reads public attributes of the
routes, plus FastAPI's ``iter_route_contexts`` where it exists (FastAPI >= 0.163 keeps
included routers behind a private wrapper; older lines copy the routes with their prefix).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.routing import BaseRoute, Host, Mount, WebSocketRoute, compile_path

from ._installation import Installation, installation_of
from ._route_mixin import CORSRouteMixin
from ._served_methods import served_methods
from .decorators import OPTED_OUT, marker
from .policy import CORS_MIDDLEWARE_METHODS, CORSPolicy

# Where a route's policy comes from (the ``source`` of a RouteInfo).
FROM_DECORATOR = "@cors"
FROM_ROUTE_CLASS = "route-class default"
FROM_INSTALL = "install default"
OPTED_OUT_SOURCE = "no_cors"

_MAX_DEPTH = 32  # wrapped apps and nested mounts: enough for any real application


@dataclass(frozen=True)
class RouteInfo:
    """One route as the router sees it."""

    path: str
    """The full path template, prefixes of included routers and mounts applied."""
    methods: frozenset[str] | None
    """The methods it serves; None for any method (a mount, a class endpoint)."""
    route: BaseRoute
    """The route object that serves requests."""
    kind: str
    """"http", "websocket" or "mount" (a mounted app whose routes cannot be listed)."""
    policy: CORSPolicy | None = None
    """The effective CORS policy; None for no CORS."""
    opted_out: bool = False
    """``@no_cors`` on the endpoint (of a CORS route, or of any route under install())."""
    source: str = ""
    """Where the policy comes from: "@cors", "route-class default", "install default",
    "no_cors", or "" (no CORS)."""
    installed: bool = False
    """The app's CORS comes from ``install()``."""
    ignored_policy: CORSPolicy | None = None
    """A ``@cors`` policy on an endpoint whose route class does not honour it."""
    middleware: tuple[type, ...] = ()
    """The middleware classes every request to this route passes through."""
    redirect_slashes: bool = True
    """Whether the router that owns the route redirects a path missing its trailing slash."""
    mount_paths: tuple[str, ...] = ()
    """Full paths of the mounts this route is inside (outermost first)."""
    regex: re.Pattern[str] = field(default=re.compile(""), compare=False)

    @property
    def route_class(self) -> str:
        return type(self.route).__name__

    @property
    def name(self) -> str:
        endpoint = getattr(self.route, "endpoint", None)
        name = getattr(endpoint, "__name__", None) or getattr(self.route, "name", None)
        return str(name or self.route_class)

    @property
    def is_cors_route(self) -> bool:
        return isinstance(self.route, CORSRouteMixin)

    @property
    def method_list(self) -> str:
        if self.methods is None:
            return "*"
        return ", ".join(sorted(self.methods))

    def label(self) -> str:
        """``GET, POST /orders``: how diagnostics name a route."""
        if self.kind == "mount":
            return f"Mount {self.path}"
        if self.kind == "websocket":
            return f"WebSocket {self.path}"
        methods = "any method" if self.methods is None else self.method_list
        return f"{methods} {self.path}"

    @property
    def unset_methods(self) -> tuple[str, ...] | None:
        """What an unset ``allow_methods`` means here: CORSMiddleware's ``GET`` under
        ``install()``'s default, which replaces the middleware; else None, the route's own."""
        return CORS_MIDDLEWARE_METHODS if self.source == FROM_INSTALL else None

    def allowed_methods(self) -> frozenset[str] | None:
        """The methods a preflight can be granted for (None: any), with the policy's limits."""
        if self.policy is None:
            return frozenset()
        # A class endpoint receives every method, but only its handlers' are served.
        return self.policy.allowed_methods_for(served_methods(self.route), unset=self.unset_methods)

    def serves(self, method: str) -> bool:
        return self.kind != "websocket" and (self.methods is None or method in self.methods)


def iter_routes(app: Any) -> list[RouteInfo]:
    """Every route of ``app`` (a Starlette or FastAPI app, a router, or an app wrapped in
    ASGI middleware), in the order the router tries them."""
    middleware, inner = unwrap(app)
    installation = installation_of(inner)
    if installation is not None:
        installation.level()  # routers included since: taken over before they are listed
    return list(_walk(inner, "", tuple(middleware), (), 0, installation))


def unwrap(app: Any) -> tuple[list[type], Any]:
    """(the middleware classes around the routes, outermost first; the object holding them).

    Middleware comes from a Starlette app's ``user_middleware`` (declared with
    ``add_middleware``) and from ASGI wrappers around it (``app = SomeMiddleware(app)``).
    """
    found: list[type] = []
    for _ in range(_MAX_DEPTH):
        if hasattr(app, "routes"):
            for entry in getattr(app, "user_middleware", ()) or ():
                cls = getattr(entry, "cls", None)
                if isinstance(cls, type) and cls not in found:
                    found.append(cls)
            return found, app
        inner = getattr(app, "app", None)
        if inner is None or inner is app:
            break
        found.append(type(app))
        app = inner
    return found, app


def is_cors_middleware(cls: type) -> bool:
    """Starlette's CORSMiddleware (or a subclass)."""
    from starlette.middleware.cors import CORSMiddleware

    return issubclass(cls, CORSMiddleware)


def _route_contexts(routes: Sequence[BaseRoute]) -> Iterator[tuple[BaseRoute, BaseRoute, str]]:
    """(the route that serves requests, the route as declared, its full path at this level)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # no FastAPI, or a line that copies included routes with their prefix
        for route in routes:
            yield route, route, str(getattr(route, "path", ""))
        return
    for context in iter_route_contexts(routes):
        # An included plain Starlette route is served by a rebuilt copy (of its base class):
        # that copy, not the declared object, decides what the app does.
        served = getattr(context, "_effective_route", context.route)
        route = served if isinstance(served, BaseRoute) else context.route
        yield route, context.original_route, str(context.path or getattr(route, "path", ""))


def _walk(
    app: Any,
    prefix: str,
    middleware: tuple[type, ...],
    mounts: tuple[str, ...],
    depth: int,
    installation: Installation | None,
) -> Iterator[RouteInfo]:
    routes = getattr(app, "routes", None) or []
    router = getattr(app, "router", app)
    redirect = bool(getattr(router, "redirect_slashes", True))
    for route, declared, path in _route_contexts(routes):
        full = prefix + path
        if isinstance(route, Mount) or isinstance(route, Host):
            yield from _walk_mount(route, full, middleware, mounts, depth, installation)
            continue
        kind = "websocket" if _is_websocket(route) else "http"
        found = marker(getattr(route, "endpoint", None))
        marked = found if isinstance(found, CORSPolicy) else None
        # Under install() the declared route decides (install serves a rebuilt copy with
        # it); otherwise only the route that really serves can honour a policy.
        policy, source, ignored = _policy(
            declared if installation is not None else route, kind, found, installation
        )
        yield RouteInfo(
            path=full,
            methods=_declared_methods(route),
            route=route,
            kind=kind,
            policy=policy,
            opted_out=source == OPTED_OUT_SOURCE,
            source=source,
            installed=installation is not None,
            ignored_policy=marked if ignored else None,
            middleware=middleware,
            redirect_slashes=redirect,
            mount_paths=mounts,
            regex=_compile(full),
        )


def _declared_methods(route: BaseRoute) -> frozenset[str] | None:
    methods = getattr(route, "methods", None)
    return None if methods is None else frozenset(methods)


def _policy(
    route: BaseRoute, kind: str, found: Any, installation: Installation | None
) -> tuple[CORSPolicy | None, str, bool]:
    """(the route's effective policy, where it comes from, whether a @cors is ignored)."""
    if kind == "websocket":
        # A WebSocket endpoint's @cors is enforced by the endpoint itself (an Origin check on
        # the handshake), whatever the route class or the installation.
        return (
            (found, FROM_DECORATOR, False) if isinstance(found, CORSPolicy) else (None, "", False)
        )
    if installation is not None:
        policy = installation.policy_of(route)
        if policy is None:
            return None, OPTED_OUT_SOURCE if _opted_out(route, found) else "", False
        if isinstance(found, CORSPolicy) and policy is found:
            return policy, FROM_DECORATOR, False
        # By where it comes from, not by identity: a route class may name the default's
        # very policy object, and it is then the route class's (the route's own methods).
        if isinstance(route, CORSRouteMixin) and route.cors is not None:
            return policy, FROM_ROUTE_CLASS, False
        return policy, FROM_INSTALL, False
    if isinstance(route, CORSRouteMixin):
        cors = route.cors
        if cors is not None:
            source = FROM_DECORATOR if cors.policy is found else FROM_ROUTE_CLASS
            return cors.policy, source, False
        return None, OPTED_OUT_SOURCE if route.cors_opted_out else "", False
    if found is OPTED_OUT:
        return None, OPTED_OUT_SOURCE, False
    return None, "", isinstance(found, CORSPolicy)


def _opted_out(route: BaseRoute, found: Any) -> bool:
    return found is OPTED_OUT or bool(getattr(route, "cors_opted_out", False))


def _walk_mount(
    mount: Mount | Host,
    full: str,
    middleware: tuple[type, ...],
    mounts: tuple[str, ...],
    depth: int,
    installation: Installation | None,
) -> Iterator[RouteInfo]:
    is_host = isinstance(mount, Host)
    prefix = "" if is_host else full.rstrip("/")
    inner_middleware, inner = unwrap(mount.app)
    routable = bool(getattr(inner, "routes", None))
    # Under install(), what an opaque mounted app answers gets the default policy.
    default = installation.default if installation is not None and not routable else None
    yield RouteInfo(
        path=f"host {mount.host}" if isinstance(mount, Host) else prefix or "/",
        methods=None,
        route=mount,
        kind="mount",
        policy=default,
        source=FROM_INSTALL if default is not None else "",
        installed=installation is not None,
        middleware=middleware,
        mount_paths=mounts,
        regex=re.compile("(?!)") if is_host else _compile(prefix + "/{path:path}"),
    )
    if depth < _MAX_DEPTH and routable:
        yield from _walk(
            inner,
            prefix,
            (*middleware, *inner_middleware),
            (*mounts, prefix or "/"),
            depth + 1,
            installation,
        )


def _is_websocket(route: BaseRoute) -> bool:
    if isinstance(route, WebSocketRoute):
        return True
    return type(route).__name__.endswith("WebSocketRoute")


def _compile(path: str) -> re.Pattern[str]:
    try:
        return compile_path(path)[0]
    except (AssertionError, ValueError):  # an unknown convertor: match nothing
        return re.compile("(?!)")
