"""Every route of an application, in routing order, with the CORS policy that applies to it.

This is what the diagnostics (``routes``, ``check``, ``explain`` and the start-up lint) see of
an app: one flat list that descends into included routers (their prefixes applied) and
mounted sub-apps, in the order the router tries them: the walk of ``_selection.walk``, with
each route's policy from ``_precedence.policy_of``, as the app applies them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from starlette.routing import BaseRoute, Host, Mount, WebSocketRoute, compile_path

from . import _selection
from ._installation import Installation, installation_of
from ._policy_names import PolicyName
from ._precedence import (
    OPTED_OUT_SOURCE,
    UnresolvedName,
    from_app,
    from_endpoint,
    honours_policies,
    named_source,
    own_policy,
    policy_of,
)
from ._served_methods import served_methods
from .decorators import marker
from .policy import CORS_MIDDLEWARE_METHODS, CORSPolicy

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
    """Where the policy comes from: "@cors", '@cors("name")', "route-class default",
    "path /prefix" (``install(paths=...)``), "install default", "no_cors", or "" (no CORS)."""
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

    hidden: bool = False
    """Middleware inside a mount it is in stands between the router and it."""
    policy_name: str | None = None
    """The name of ``@cors("name")`` on the endpoint, resolved by ``install(policies=...)``."""

    @property
    def is_cors_route(self) -> bool:
        return honours_policies(self.route)

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
        return CORS_MIDDLEWARE_METHODS if from_app(self.source) else None

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
    found = []
    try:
        for walked in _selection.walk(inner):
            inner_middleware = tuple(
                cls for mount in walked.mounts for cls in _mount_middleware(mount)
            )
            found.append(_info(walked, (*middleware, *inner_middleware), installation))
    except UnresolvedName:
        if installation is not None:
            installation.check_names()  # every unresolved name, as install() names them
        raise
    return found


def _mount_middleware(mount: Any) -> list[type]:
    if isinstance(mount, Host):
        return unwrap(mount.app)[0]
    found = unwrap(mount.app)[0]
    return found


def _info(
    walked: _selection.Walked, middleware: tuple[type, ...], installation: Installation | None
) -> RouteInfo:
    route = walked.route
    mounts = tuple(_mount_label(mount, walked) for mount in walked.mounts)
    if isinstance(route, (Mount, Host)):
        return _mount_info(route, walked, middleware, mounts, installation)
    kind = "websocket" if _is_websocket(route) else "http"
    found = marker(getattr(route, "endpoint", None))
    marked = found if isinstance(found, CORSPolicy) else None
    name = found.name if isinstance(found, PolicyName) else None
    # Under install() the declared route decides (install serves a rebuilt copy with it);
    # otherwise only the route that really serves can honour a policy.
    if kind == "websocket":
        # A WebSocket endpoint's @cors is its handshake's Origin check, under install().
        policy, source = None, ""
        if installation is not None and (marked is not None or name is not None):
            own = own_policy(route, installed=True, names=installation.names)
            if own is not None and from_endpoint(own[1]):
                policy, source = own
        ignored = marked is not None and installation is None
    elif installation is not None:
        policy, source = installation.policy_and_source(walked.declared, walked.path)
        ignored = False
    else:
        policy, source = policy_of(route, None, installed=False)
        ignored = marked is not None and policy is None
    if installation is None and name is not None:
        source = named_source(name)  # only install() resolves it: check says so
    return RouteInfo(
        path=walked.path,
        methods=_declared_methods(route),
        route=route,
        kind=kind,
        policy=policy,
        opted_out=source == OPTED_OUT_SOURCE,
        source=source,
        installed=installation is not None,
        ignored_policy=marked if ignored else None,
        middleware=middleware,
        redirect_slashes=walked.redirect_slashes,
        mount_paths=mounts,
        hidden=walked.hidden,
        regex=_compile(walked.path),
        policy_name=name,
    )


def _mount_label(mount: Any, walked: _selection.Walked) -> str:
    if isinstance(mount, Host):
        return f"host {mount.host}"
    return str(getattr(mount, "path", "")) or "/"


def _mount_info(
    mount: Mount | Host,
    walked: _selection.Walked,
    middleware: tuple[type, ...],
    mounts: tuple[str, ...],
    installation: Installation | None,
) -> RouteInfo:
    is_host = isinstance(mount, Host)
    prefix = "" if is_host else walked.path.rstrip("/")
    inner_middleware, inner = unwrap(mount.app)
    routable = bool(getattr(inner, "routes", None))
    # Under install(), what an opaque mounted app answers gets the policy of its path.
    policy, source = None, ""
    if installation is not None and not routable:
        policy, source = policy_of(
            mount,
            installation.default,
            installed=True,
            paths=installation.paths,
            path=prefix + "/{path:path}",
        )
    return RouteInfo(
        path=f"host {mount.host}" if isinstance(mount, Host) else prefix or "/",
        methods=None,
        route=mount,
        kind="mount",
        policy=policy,
        source=source,
        installed=installation is not None,
        middleware=middleware,
        mount_paths=mounts,
        hidden=walked.hidden or bool(inner_middleware and routable),
        regex=re.compile("(?!)") if is_host else _compile(prefix + "/{path:path}"),
    )


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


def _declared_methods(route: BaseRoute) -> frozenset[str] | None:
    methods = getattr(route, "methods", None)
    return None if methods is None else frozenset(methods)


def _is_websocket(route: BaseRoute) -> bool:
    if isinstance(route, WebSocketRoute):
        return True
    return type(route).__name__.endswith("WebSocketRoute")


def _compile(path: str) -> re.Pattern[str]:
    try:
        return compile_path(path)[0]
    except (AssertionError, ValueError):  # an unknown convertor: match nothing
        return re.compile("(?!)")
