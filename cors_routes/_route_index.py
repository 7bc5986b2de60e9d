"""A model of an application's routing table: which route the router would pick, found fast.

``install()`` answers a preflight before routing, so it must know which route would serve
the actual request (same path, the method the preflight asks for) exactly as the router
decides it, without walking every route: the router's walk costs about a microsecond per
route for each request, and a preflight is a request.

The model keeps the router's rules and only speeds up the search:

- each router level is a list of entries in routing order, with FastAPI's included
  routers flattened (their routes keep their place and their prefixed paths);
- routes are bucketed by the literal start of their path template, so a request only
  looks at the routes whose template can match its path (a superset: never fewer);
- a stock route (Starlette ``Route``, FastAPI ``APIRoute``) is matched by its own compiled
  regex and method set, as its ``matches()`` does; anything else (mounts, hosts, a route
  class of its own) is asked through its real ``matches()``;
- the first full match wins, else the first partial one (a 405), else the router's slash
  redirect, else FastAPI's low-priority routes, else 404, as in ``Router.app``.

Nothing here changes a route. ``_installation`` builds the model of an installed app;
``_preflight_routing`` one for the route classes, to find which route a preflight is for.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Host, Match, Mount, Route, WebSocketRoute
from starlette.types import Scope

_FULL = Match.FULL
_PARTIAL = Match.PARTIAL
_NONE = Match.NONE

ROUTE, MOUNT, HOST, OTHER = "route", "mount", "host", "other"
_MAX_DEPTH = 32  # nested mounts and hosts: far more than any real application has


def _stock_matches() -> frozenset[Any]:
    """The ``matches`` implementations that only compare the path regex and the methods."""
    stock: set[Any] = {Route.matches}
    try:
        from fastapi import routing as fastapi_routing
    except ImportError:  # a plain Starlette application
        return frozenset(stock)
    stock.add(fastapi_routing.APIRoute.matches)
    context = getattr(fastapi_routing, "_EffectiveRouteContext", None)
    if context is not None:  # FastAPI >= 0.163: routes of included routers
        stock.add(context.matches)
    return frozenset(stock)


@dataclass(eq=False)
class Entry:
    """One route of a router level, as the router tries it."""

    order: int
    kind: str
    matcher: Any
    """The object whose ``matches()`` the router calls (FastAPI's context for an included
    route, the route itself otherwise)."""
    route: Any
    """The route object that is served: its ``handle`` runs."""
    declared: Any
    """The route as the user declared it (it carries the route class and the endpoint)."""
    path: str
    regex: re.Pattern[str] | None = None
    methods: frozenset[str] | None = None
    child: Level | None = None
    """A mount's or host's routable app, modelled in turn; None for an opaque app."""
    decision: Any = None
    """What the model's user attaches: the route's CORS answer."""
    level: Level | None = None
    """The router level the entry belongs to."""

    def match(self, route_path: str, method: str, scope: Callable[[], dict[str, Any]]) -> Match:
        if self.kind == ROUTE:
            assert self.regex is not None
            if self.regex.match(route_path) is None:
                return _NONE
            methods = self.methods
            return _PARTIAL if methods and method not in methods else _FULL
        return self.real_match(scope())[0]

    def real_match(self, scope: dict[str, Any]) -> tuple[Match, dict[str, Any]]:
        result: tuple[Match, dict[str, Any]] = self.matcher.matches(scope)
        return result


@dataclass(eq=False)
class Level:
    """The routes one router tries, with what it does when none of them matches."""

    router: Any
    entries: list[Entry]
    redirect_slashes: bool
    root_path: str | None = None
    """A mounted FastAPI app's own root_path, which it sets on the scope."""
    path_only: bool = False
    """Whether what the router does depends only on the path and the method (no host
    routes, no route classes of their own, no low-priority routes, at any depth)."""
    remembered: dict[tuple[str, str, str], Result] = field(default_factory=dict)
    _static: dict[str, list[Entry]] = field(default_factory=dict)
    _dynamic: dict[str, list[Entry]] = field(default_factory=dict)
    _dynamic_lengths: tuple[int, ...] = ()
    _always: list[Entry] = field(default_factory=list)

    def __post_init__(self) -> None:
        for entry in self.entries:
            literal = _literal_start(entry)
            if literal is None:
                self._always.append(entry)
            elif entry.kind == ROUTE and "{" not in entry.path:
                self._static.setdefault(entry.path, []).append(entry)
            else:
                key = literal[: literal.rfind("/") + 1]
                self._dynamic.setdefault(key, []).append(entry)
        self._dynamic_lengths = tuple(sorted({len(key) for key in self._dynamic}))

    def candidates(self, route_path: str) -> list[Entry]:
        """Every entry that can match ``route_path`` (perhaps more), in routing order."""
        found = []
        static = self._static.get(route_path)
        if static is not None:
            found.append(static)
        if route_path.endswith("\n"):
            # A regex's "$" also matches before a final newline: so does the router.
            static = self._static.get(route_path[:-1])
            if static is not None:
                found.append(static)
        size = len(route_path)
        # One lookup per distinct key length, never per "/" of the request's path, so a
        # path of many slashes costs what a short one does.
        for length in self._dynamic_lengths:
            if length > size:
                break
            if route_path[length - 1] == "/":
                bucket = self._dynamic.get(route_path[:length])
                if bucket is not None:
                    found.append(bucket)
        if self._always:
            found.append(self._always)
        if len(found) == 1:
            return found[0]
        merged = [entry for bucket in found for entry in bucket]
        merged.sort(key=_order)
        return merged


def _order(entry: Entry) -> int:
    return entry.order


def _literal_start(entry: Entry) -> str | None:
    """The text every path the entry matches starts with; None if it can match any path."""
    if entry.kind == ROUTE:
        return entry.path.split("{", 1)[0]
    if entry.kind == MOUNT:
        return (entry.path + "/").split("{", 1)[0]
    return None


# -- results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """The router would run ``entry`` (a route, or a mounted app the model cannot see into)."""

    entry: Entry


@dataclass(frozen=True)
class Partial:
    """The path matches but no route serves the method: the router answers 405 from ``entry``."""

    entry: Entry


@dataclass(frozen=True)
class Redirect:
    """The router would redirect to the path with its trailing slash toggled."""

    path: str


@dataclass(frozen=True)
class LowPriority:
    """FastAPI's low-priority routes (``router.frontend()``) would answer."""


@dataclass(frozen=True)
class NotFound:
    """No route matches: the router's default answers (404)."""


Result = Found | Partial | Redirect | LowPriority | NotFound
_NOT_FOUND = NotFound()
_LOW_PRIORITY = LowPriority()


# Answers remembered per model, for tables whose answer depends on nothing but the path
# and the method; bounded, and emptied when full, so hostile variety costs only the bound.
_REMEMBERED = 512


def lookup(level: Level, scope: Scope, method: str) -> Result:
    """What the router of ``level`` does with ``scope`` if its method were ``method``."""
    path = scope["path"]
    root_path = scope.get("root_path", "")
    if not level.path_only:
        return _lookup(level, scope, method, path, root_path, 0)
    key = (path, root_path, method)
    remembered = level.remembered
    result = remembered.get(key)
    if result is None:
        result = _lookup(level, scope, method, path, root_path, 0)
        if len(remembered) >= _REMEMBERED:
            remembered.clear()
        remembered[key] = result
    return result


def _lookup(
    level: Level, scope: Scope, method: str, path: str, root_path: str, depth: int
) -> Result:
    if level.root_path:
        root_path = level.root_path
    route_path = get_route_path({"path": path, "root_path": root_path})
    synthetic: dict[str, Any] | None = None

    def real_scope() -> dict[str, Any]:
        # Only mounts, hosts and route classes of their own need a scope to ask.
        nonlocal synthetic
        if synthetic is None:
            synthetic = {**scope, "method": method, "path": path, "root_path": root_path}
        return synthetic

    partial = None
    for entry in level.candidates(route_path):
        if entry.kind == ROUTE:
            matched = entry.match(route_path, method, real_scope)
            if matched is _FULL:
                return Found(entry)
            if matched is _PARTIAL and partial is None:
                partial = entry
            continue
        matched, child_scope = entry.real_match(real_scope())
        if matched is _FULL:
            if entry.kind in (MOUNT, HOST) and entry.child is not None and depth < _MAX_DEPTH:
                child_root = child_scope.get("root_path", root_path)
                return _lookup(entry.child, scope, method, path, child_root, depth + 1)
            return Found(entry)
        if matched is _PARTIAL and partial is None:
            partial = entry
    if partial is not None:
        return Partial(partial)
    if level.redirect_slashes and route_path != "/":
        toggled = path.rstrip("/") if route_path.endswith("/") else path + "/"
        toggled_route_path = get_route_path({"path": toggled, "root_path": root_path})
        toggled_scope = {**real_scope(), "path": toggled}
        for entry in level.candidates(toggled_route_path):
            if entry.match(toggled_route_path, method, lambda: toggled_scope) is not _NONE:
                return Redirect(toggled)
    if _low_priority_matches(level.router, real_scope):
        return _LOW_PRIORITY
    return _NOT_FOUND


def _low_priority_matches(router: Any, scope: Callable[[], dict[str, Any]]) -> bool:
    # FastAPI >= 0.164 tries routes registered with router.frontend() after everything
    # else; only FastAPI can say whether one of them matches.
    low = getattr(router, "_low_priority_routes", None)
    match = getattr(router, "_match_low_priority", None)
    if match is None or not (low or _has_included_low_priority(router)):
        return False
    matched = match(scope())[0]
    return bool(matched is not _NONE)


def _has_included_low_priority(router: Any) -> bool:
    iterate = getattr(router, "_iter_low_priority_routes", None)
    if iterate is None:
        return False
    return any(True for _ in iterate())


# -- building the model ------------------------------------------------------------------------


def build(
    app: Any, on_entry: Callable[[Entry], None], watched: list[tuple[Any, Any, int]]
) -> Level:
    """The model of ``app``'s routing (an application or a router).

    ``on_entry`` sees every entry as it is made; ``watched`` receives (router, its route
    list, its length) for every router whose list the model depends on.
    """
    stock = _stock_matches()
    counter = iter(range(1 << 62))
    return _build_level(app, on_entry, watched, stock, counter, 0)


def _build_level(
    app: Any,
    on_entry: Callable[[Entry], None],
    watched: list[tuple[Any, Any, int]],
    stock: frozenset[Any],
    counter: Iterator[int],
    depth: int,
) -> Level:
    router = getattr(app, "router", app)
    routes = list(getattr(router, "routes", None) or [])
    _watch(router, watched)
    entries = []
    for matcher, served, declared in _flattened(routes, watched):
        entry = _entry(matcher, served, declared, next(counter), stock)
        if entry is None:
            continue
        if entry.kind in (MOUNT, HOST) and depth < _MAX_DEPTH:
            inner = _routable(getattr(matcher, "app", None))
            if inner is not None:
                entry.child = _build_level(inner, on_entry, watched, stock, counter, depth + 1)
        on_entry(entry)
        entries.append(entry)
    root_path = getattr(app, "root_path", None) if app is not router else None
    level = Level(
        router=router,
        entries=entries,
        redirect_slashes=bool(getattr(router, "redirect_slashes", True)),
        root_path=root_path if isinstance(root_path, str) and root_path else None,
    )
    for entry in entries:
        entry.level = level
    level.path_only = not _low_priority_possible(router) and all(
        entry.kind == ROUTE
        or (entry.kind == MOUNT and (entry.child is None or entry.child.path_only))
        for entry in entries
    )
    return level


def _low_priority_possible(router: Any) -> bool:
    return bool(getattr(router, "_low_priority_routes", None)) or _has_included_low_priority(router)


def _watch(router: Any, watched: list[tuple[Any, Any, int]]) -> None:
    routes = getattr(router, "routes", None)
    if isinstance(routes, list):
        watched.append((router, routes, len(routes)))


def is_current(watched: list[tuple[Any, Any, int]]) -> bool:
    """Whether no router the model was built from has gained, lost or swapped routes."""
    for router, routes, length in watched:
        current: Any = getattr(router, "routes", None)
        if current is not routes or len(current) != length:
            return False
    return True


def _flattened(
    routes: list[Any], watched: list[tuple[Any, Any, int]]
) -> Iterator[tuple[Any, Any, Any]]:
    """(matcher, served route, declared route) in routing order, included routers opened."""
    for route in routes:
        original_router = getattr(route, "original_router", None)
        if original_router is not None:
            _watch_included(original_router, watched)
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # no FastAPI, or a line that copies included routes into the app
        for route in routes:
            yield route, route, route
        return
    for context in iter_route_contexts(routes):
        declared = context.original_route
        effective = getattr(context, "_effective_route", declared)
        # A Starlette route of an included router is served by a rebuilt copy; an
        # APIRoute is served by itself, matched through FastAPI's context for it.
        served = effective if isinstance(effective, BaseRoute) else declared
        yield effective, served, declared


def _watch_included(router: Any, watched: list[tuple[Any, Any, int]]) -> None:
    _watch(router, watched)
    for route in getattr(router, "routes", None) or []:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            _watch_included(inner, watched)


def _entry(
    matcher: Any, served: Any, declared: Any, order: int, stock: frozenset[Any]
) -> Entry | None:
    if isinstance(matcher, WebSocketRoute) or type(matcher).__name__.endswith("WebSocketRoute"):
        return None  # never matches an HTTP request, not even for the slash redirect
    if isinstance(matcher, Mount):
        return Entry(order, MOUNT, matcher, served, declared, matcher.path)
    if isinstance(matcher, Host):
        return Entry(order, HOST, matcher, served, declared, f"host {matcher.host}")
    regex = getattr(matcher, "path_regex", None)
    path = getattr(matcher, "path", None)
    if (
        matcher is not declared
        and not isinstance(matcher, BaseRoute)
        and not _is_stock(declared, stock)
    ):
        # An included APIRoute whose class matches in its own way.
        return Entry(order, OTHER, _IncludedMatcher(declared, matcher), served, declared, "")
    if _is_stock(matcher, stock) and isinstance(regex, re.Pattern) and isinstance(path, str):
        methods = getattr(matcher, "methods", None)
        return Entry(
            order,
            ROUTE,
            matcher,
            served,
            declared,
            path,
            regex=regex,
            methods=None if methods is None else frozenset(methods),
        )
    return Entry(order, OTHER, matcher, served, declared, str(path or type(matcher).__name__))


def _is_stock(route: Any, stock: frozenset[Any]) -> bool:
    return type(route).matches in stock and "matches" not in getattr(route, "__dict__", {})


def _routable(app: Any) -> Any:
    """The application or router inside ``app`` whose routes the model can read, if any.

    ASGI middleware around it (``.app`` chains) is looked through.
    """
    for _ in range(_MAX_DEPTH):
        if app is None:
            return None
        if isinstance(getattr(app, "routes", None), list):
            return app
        app = getattr(app, "app", None)
    return None


class _IncludedMatcher:
    """Asks an included route of a class of its own, as FastAPI's included router does:
    the route's own ``matches()``, with FastAPI's context for the inclusion in the scope."""

    def __init__(self, declared: Any, context: Any) -> None:
        self.declared = declared
        self.context = context
        self.path = getattr(context, "path", "")

    def matches(self, scope: dict[str, Any]) -> tuple[Match, dict[str, Any]]:
        from fastapi import routing

        fastapi_scope = scope.setdefault("fastapi", {})
        key = getattr(routing, "_FASTAPI_EFFECTIVE_ROUTE_CONTEXT_KEY", "effective_route_context")
        previous = fastapi_scope.get(key, _MISSING)
        fastapi_scope[key] = self.context
        try:
            result: tuple[Match, dict[str, Any]] = self.declared.matches(scope)
        finally:
            if previous is _MISSING:
                fastapi_scope.pop(key, None)
            else:
                fastapi_scope[key] = previous
        return result


_MISSING = object()
