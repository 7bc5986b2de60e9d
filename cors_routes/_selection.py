"""Which route would serve a request: the one answer every part of cors_routes asks for.

A preflight asks about a request that has not been sent (same path, the method in
``Access-Control-Request-Method``), so the route that will serve it must be found without
sending it. :func:`select` finds it the way the router will: it asks each route's own
``matches()`` with the asked-for method, in the router's own order, goes into mounts and
hosts as the router does, and falls back as ``Router.app`` does (the first partial match
answers 405, then the trailing-slash redirect, then FastAPI's low-priority routes, then 404).

Only the choice of which routes to ask is ours: routes are bucketed by the literal start
of their path template, so a request asks the few routes that can match its path (never
fewer), and the cost does not grow with the number of routes. A bucket never decides a
match. The buckets of a router are rebuilt when its route list (or an included router's)
is another list or another length, when FastAPI counts a change, or when a route asked is
no longer at its place (a reorder, a replacement): checks that cost O(routers) and
O(candidates), never O(routes).

Where every route of a level matches by path and method alone, the framework's verdict is
replayed for the same path and method, after the same checks on every level and route it
asked (see ``_REMEMBERED``).

Nothing is stored on routes or routers; the buckets live in a table keyed by router, whose
entries go with their router (a weak reference).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette._utils import get_route_path
from starlette.routing import Host, Match, Mount, WebSocketRoute

from . import _framework

_FULL = Match.FULL
_PARTIAL = Match.PARTIAL
_NONE = Match.NONE
_MAX_DEPTH = 16  # nested mounts and hosts: far more than any real application has


# -- what a selection finds ----------------------------------------------------------------


@dataclass(frozen=True)
class Served:
    """The router would run ``route`` (``declared`` is how the user declared it: a route of
    an included router may be served by a rebuilt copy)."""

    route: Any
    declared: Any


@dataclass(frozen=True)
class MountedApp:
    """A mounted ASGI app with no routes of its own (``StaticFiles``, a WSGI app) serves."""

    mount: Any


@dataclass(frozen=True)
class Hidden:
    """A mount whose own middleware stands between the router and the routes inside: which
    route serves cannot be known without running that middleware (it may rewrite the path)."""

    mount: Any
    app: Any
    """The routable app behind the middleware."""


@dataclass(frozen=True)
class Partial:
    """The path matches but no route serves the method: the router answers 405."""

    route: Any
    declared: Any


@dataclass(frozen=True)
class Redirect:
    """The router redirects to ``path`` (its trailing slash toggled)."""

    path: str


@dataclass(frozen=True)
class NotFound:
    """No route matches: the router's default answers (404)."""


Selection = Served | MountedApp | Hidden | Partial | Redirect | NotFound
NOT_FOUND = NotFound()


# -- one router's routes, in order, bucketed by literal path start -----------------------------


@dataclass(eq=False)
class _Entry:
    order: int
    matcher: Any
    route: Any
    declared: Any
    source: list[Any] | None = None
    """The route list the entry's route was read from, and its place there: a request
    checks that its candidates are still where they were (a reorder or a replacement)."""
    index: int = -1
    item: Any = None

    def in_place(self) -> bool:
        source = self.source
        index = self.index
        return source is None or (index < len(source) and source[index] is self.item)


@dataclass(eq=False)
class _Level:
    watched: list[tuple[Any, list[Any], int, Any]]
    """(router, its route list, the list's length, FastAPI's count of route changes) for
    the router and every router included in it."""
    entries: list[_Entry]
    static: dict[str, list[_Entry]] = field(default_factory=dict)
    dynamic: dict[str, list[_Entry]] = field(default_factory=dict)
    dynamic_lengths: tuple[int, ...] = ()
    always: list[_Entry] = field(default_factory=list)
    path_only: bool = False
    """Whether every route's verdict depends only on the path and the method (stock route
    and mount classes, no host routes, no FastAPI low-priority routes)."""
    remembered: dict[tuple[str, str | None, str], tuple[Selection, _Trace]] = field(
        default_factory=dict
    )
    methods_remembered: dict[str, tuple[frozenset[str], _Trace]] = field(default_factory=dict)

    def current(self) -> bool:
        for router, routes, length, version in self.watched:
            if (
                router.routes is not routes
                or len(routes) != length
                or getattr(router, "_routes_version", None) != version
            ):
                return False
        return True

    def candidates(self, route_path: str) -> list[_Entry]:
        """Every entry that can match ``route_path`` (perhaps more), in routing order."""
        found = []
        bucket = self.static.get(route_path)
        if bucket is not None:
            found.append(bucket)
        if route_path.endswith("\n"):
            # A regex's "$" also matches before a final newline: so does the router's.
            bucket = self.static.get(route_path[:-1])
            if bucket is not None:
                found.append(bucket)
        size = len(route_path)
        # One lookup per distinct key length, never per "/" of the path: a path of many
        # slashes costs what a short one does.
        for length in self.dynamic_lengths:
            if length > size:
                break
            if route_path[length - 1] == "/":
                bucket = self.dynamic.get(route_path[:length])
                if bucket is not None:
                    found.append(bucket)
        if self.always:
            found.append(self.always)
        if len(found) == 1:
            return found[0]
        merged = [entry for bucket in found for entry in bucket]
        merged.sort(key=_order)
        return merged


def _order(entry: _Entry) -> int:
    return entry.order


# By id of the router (FastAPI's routers are unhashable), with a weak reference that
# removes the entry when the router goes.
_levels: dict[int, tuple[weakref.ref[Any], _Level]] = {}


def _level(router: Any, rebuild: bool = False) -> _Level:
    """The buckets of ``router``, rebuilt if a route list it was built from changed length
    or identity, or FastAPI counted a change (O(routers), not O(routes): a request also
    checks that its candidate routes are still in place, see ``_Entry.in_place``)."""
    found = _levels.get(id(router))
    level = found[1] if found is not None and found[0]() is router else None
    if level is None or rebuild or not level.current():
        level = _build(router)
        key = id(router)

        def forget(_: Any, key: int = key) -> None:
            _levels.pop(key, None)

        try:
            reference = weakref.ref(router, forget)
        except TypeError:  # a router that cannot be weakly referenced: built each time
            return level
        _levels[key] = (reference, level)
    return level


def _build(router: Any) -> _Level:
    routes = router.routes
    watched = [(router, routes, len(routes), getattr(router, "_routes_version", None))]
    places: dict[int, tuple[list[Any], int]] = {
        id(route): (routes, i) for i, route in enumerate(routes)
    }
    for included in _framework.included_routers(routes):
        inner = included.routes
        watched.append((included, inner, len(inner), getattr(included, "_routes_version", None)))
        for i, route in enumerate(inner):
            places.setdefault(id(route), (inner, i))
    entries = []
    for order, (matcher, route, declared) in enumerate(_framework.lazy_route_entries(routes)):
        entry = _Entry(order, matcher, route, declared)
        for item in (declared, route):
            place = places.get(id(item))
            if place is not None:
                entry.source, entry.index, entry.item = place[0], place[1], item
                break
        entries.append(entry)
    level = _Level(watched, entries)
    stock = _stock_matches()
    for entry in entries:
        literal = _literal_start(entry.matcher, stock)
        if literal is None:
            level.always.append(entry)
        elif (
            "{" not in literal
            and not isinstance(entry.matcher, (Mount, Host))
            and (getattr(entry.matcher, "path", None) == literal)
        ):
            level.static.setdefault(literal, []).append(entry)
        else:
            key = literal[: literal.rfind("/") + 1]
            level.dynamic.setdefault(key, []).append(entry)
    level.dynamic_lengths = tuple(sorted({len(key) for key in level.dynamic}))
    level.path_only = not level.always and not _framework.has_low_priority_routes(router)
    return level


def _literal_start(matcher: Any, stock: set[Any]) -> str | None:
    """The text every path ``matcher`` matches starts with; None where that is unknown.

    Only Starlette's and FastAPI's own route and mount classes are bucketed: a class of its
    own may match in its own way, so it is asked for every path.
    """
    path = getattr(matcher, "path", None)
    if not isinstance(path, str) or type(matcher).matches not in stock:
        return None
    if "matches" in getattr(matcher, "__dict__", {}):
        return None
    if isinstance(matcher, Mount):
        path += "/"
    return path.split("{", 1)[0]


def _stock_matches() -> set[Any]:
    from starlette.routing import Route

    stock: set[Any] = {Route.matches, Mount.matches, WebSocketRoute.matches}
    fastapi_routing = _framework._fastapi_routing()
    if fastapi_routing is not None:
        stock.add(fastapi_routing.APIRoute.matches)
        stock.add(fastapi_routing.APIWebSocketRoute.matches)
        stock.add(_framework._IncludedAPIRoute.matches)
    return stock


# -- selecting --------------------------------------------------------------------------------


def router_of(app: Any) -> Any:
    """The router of an app (or the router itself); None for an app without routes."""
    router = getattr(app, "router", app)
    return router if isinstance(getattr(router, "routes", None), list) else None


@dataclass(eq=False)
class _Trace:
    """What a selection asked: the levels and the routes whose ``matches()`` decided it."""

    levels: list[_Level] = field(default_factory=list)
    entries: list[_Entry] = field(default_factory=list)
    path_only: bool = True
    more_methods: bool | None = None
    """The answer of :func:`more_methods_at` for this selection's path and method, once
    asked, when this trace vouches for it too."""

    def still_holds(self) -> bool:
        # Loops, not all() over generators: this runs for every remembered answer.
        for level in self.levels:
            if not level.current():
                return False
        for entry in self.entries:
            if not entry.in_place():
                return False
        return True


# The framework's verdicts, replayed for the same path and method where nothing else can
# change them (``_Level.path_only``), as long as every level and route asked is unchanged.
# It saves matching the candidates again: about 20,000 instructions of a 150,000-instruction
# preflight under install() (benchmarks: preflight-1, preflight-scaling). Bounded in count
# and in the size of every key part; emptied when full.
_REMEMBERED = 512
_REMEMBERED_PATH = 1024
_REMEMBERED_METHOD = 64


def select(router: Any, scope: Mapping[str, Any], method: str | None) -> Selection:
    """What ``router`` does with ``scope`` were its method ``method``.

    ``method`` is None for a WebSocket handshake. Nothing in ``scope`` is changed.
    """
    level = _level(router)
    key = None
    if level.path_only:
        route_path = get_route_path(scope)  # type: ignore[arg-type]
        if len(route_path) <= _REMEMBERED_PATH and (
            method is None or len(method) <= _REMEMBERED_METHOD
        ):
            key = (route_path, method, scope["type"])
            found = level.remembered.get(key)
            if found is not None and found[1].still_holds():
                return found[0]
    probe = dict(scope)
    if method is not None:
        probe["method"] = method
    if "fastapi" in probe:
        # FastAPI keeps per-request state in this dict; the probe gets its own.
        probe["fastapi"] = dict(probe["fastapi"])
    trace = _Trace()
    selection = _select(router, probe, 0, trace)
    if key is not None and trace.path_only:
        remembered = trace.levels[0].remembered
        if len(remembered) >= _REMEMBERED:
            remembered.clear()
        remembered[key] = (selection, trace)
    return selection


def selected(router: Any, scope: Mapping[str, Any], method: str) -> tuple[Selection, _Trace | None]:
    """:func:`select`, and what it asked when only the path and method decided (an answer
    built on it holds while ``trace.still_holds()``); None otherwise."""
    selection = select(router, scope, method)
    level = _level(router)
    found = level.remembered.get((get_route_path(scope), method, scope["type"]))  # type: ignore[arg-type]
    if found is not None and found[0] is selection:
        return selection, found[1]
    return selection, None


def _select(router: Any, probe: dict[str, Any], depth: int, trace: _Trace) -> Selection:
    level = _level(router)
    route_path = get_route_path(probe)
    candidates = level.candidates(route_path)
    for entry in candidates:
        if not entry.in_place():  # a route moved or was replaced in its list
            level = _level(router, rebuild=True)
            candidates = level.candidates(route_path)
            break
    trace.levels.append(level)
    trace.entries.extend(candidates)
    trace.path_only = trace.path_only and level.path_only
    partial: _Entry | None = None
    for entry in candidates:
        matched, child_scope = _framework.matches(entry.matcher, probe)
        if matched is _FULL:
            if isinstance(entry.matcher, (Mount, Host)):
                return _enter(entry.matcher, probe, child_scope, depth, trace)
            return Served(entry.route, entry.declared)
        if matched is _PARTIAL and partial is None:
            partial = entry
    if partial is not None:
        return Partial(partial.route, partial.declared)
    if probe["type"] == "http" and getattr(router, "redirect_slashes", False) and route_path != "/":
        toggled = dict(probe)
        path = probe["path"]
        toggled["path"] = path.rstrip("/") if route_path.endswith("/") else path + "/"
        toggled_route_path = get_route_path(toggled)
        toggled_candidates = level.candidates(toggled_route_path)
        trace.entries.extend(toggled_candidates)
        for entry in toggled_candidates:
            if _framework.matches(entry.matcher, toggled)[0] is not _NONE:
                return Redirect(toggled["path"])
    found, route = _framework.low_priority_route(router, probe)
    if found:
        return Served(route, route) if route is not None else NOT_FOUND
    return NOT_FOUND


def _enter(
    mount: Any, probe: dict[str, Any], child_scope: dict[str, Any], depth: int, trace: _Trace
) -> Selection:
    if isinstance(mount, Mount):
        app, wrapped = _framework.mount_layers(mount)
    else:
        app, wrapped = mount.app, False
    inner, hidden = _routable(app)
    if inner is None:
        return MountedApp(mount)
    if wrapped or hidden or depth >= _MAX_DEPTH:
        return Hidden(mount, inner)
    inner_scope = {**probe, **child_scope}
    root_path = getattr(app, "root_path", None)
    if isinstance(root_path, str) and root_path and app is not inner:
        inner_scope["root_path"] = root_path  # a mounted FastAPI app sets its own
    return _select(router_of(inner), inner_scope, depth + 1, trace)


def _routable(app: Any) -> tuple[Any, bool]:
    """(the app or router with routes inside ``app``, whether middleware hides it)."""
    if isinstance(getattr(app, "routes", None), list):
        # A Starlette app routes through its own middleware first, and through whatever
        # wraps its stack (a stack builder set on the instance, as install() sets one).
        hidden = bool(getattr(app, "user_middleware", None)) or "build_middleware_stack" in getattr(
            app, "__dict__", {}
        )
        return app, hidden
    depth = 0
    inner = getattr(app, "app", None)
    while inner is not None and depth < _MAX_DEPTH:
        if isinstance(getattr(inner, "routes", None), list):
            return inner, True
        inner = getattr(inner, "app", None)
        depth += 1
    return None, False


def methods_at(router: Any, scope: Mapping[str, Any]) -> tuple[frozenset[str], _Trace | None]:
    """Every method listed by a route whose path matches ``scope``'s path, as each route's
    own ``matches()`` says (inside mounts too): the methods a request to that URL may ask.
    Which of them a route serves there is still for :func:`select` to say. The trace is
    as :func:`selected`'s."""
    route_path = get_route_path(scope)  # type: ignore[arg-type]
    known = _levels.get(id(router))
    if known is not None and known[0]() is router:
        # The trace checks the level is current: no rebuild check of its own first.
        found = known[1].methods_remembered.get(route_path)
        if found is not None and found[1].still_holds():
            return found
    level = _level(router)
    memo = level.path_only and len(route_path) <= _REMEMBERED_PATH
    probe = dict(scope)
    probe["method"] = "OPTIONS"
    if "fastapi" in probe:
        probe["fastapi"] = dict(probe["fastapi"])
    trace = _Trace()
    methods: set[str] = set()
    _methods_at(router, probe, 0, trace, methods)
    listed = frozenset(methods)
    if not trace.path_only:
        return listed, None
    if memo:
        remembered = level.methods_remembered
        if len(remembered) >= _REMEMBERED:
            remembered.clear()
        remembered[route_path] = (listed, trace)
    return listed, trace


def _methods_at(
    router: Any, probe: dict[str, Any], depth: int, trace: _Trace, methods: set[str]
) -> None:
    level = _level(router)
    candidates = level.candidates(get_route_path(probe))
    trace.levels.append(level)
    trace.entries.extend(candidates)
    trace.path_only = trace.path_only and level.path_only
    for entry in candidates:
        if not entry.in_place():
            trace.path_only = False  # a route moved: this answer is not to be replayed
        matched, child_scope = _framework.matches(entry.matcher, probe)
        if matched is _NONE:
            continue
        if isinstance(entry.matcher, (Mount, Host)):
            app, wrapped = (
                _framework.mount_layers(entry.matcher)
                if isinstance(entry.matcher, Mount)
                else (entry.matcher.app, False)
            )
            inner, hidden = _routable(app)
            if inner is not None and not (wrapped or hidden) and depth < _MAX_DEPTH:
                _methods_at(router_of(inner), {**probe, **child_scope}, depth + 1, trace, methods)
            return  # the router goes no further than a mount that takes the path
        listed = getattr(entry.declared, "methods", None)
        if listed:
            methods.update(listed)


# Methods a browser never preflights for the method's sake (CORS-safelisted methods).
_SAFELISTED = frozenset({"GET", "HEAD", "POST"})


def more_methods_at(router: Any, scope: Mapping[str, Any], method: bytes) -> bool:
    """Whether a route whose path matches ``scope``'s lists a method a browser preflights
    (not GET, HEAD or POST) other than ``method``.

    Called on every granted preflight, right after :func:`select` answered ``method`` for
    the same router and scope: the trace it replayed (checked then) holds the answer once
    known, when it asked every level this question asks, so asking costs a look-up."""
    # No check that the entry is this router's: it goes with its router (a weak
    # reference's callback), so another router never finds it under the same id.
    known = _levels.get(id(router))
    if known is not None:
        path = scope["path"] if not scope.get("root_path") else get_route_path(scope)  # type: ignore[arg-type]
        found = known[1].remembered.get((path, method.decode("latin-1"), scope["type"]))
        if found is not None:
            more = found[1].more_methods
            if more is not None:
                return more
    return _more_methods_at(router, scope, method)


def _more_methods_at(router: Any, scope: Mapping[str, Any], method: bytes) -> bool:
    listed, trace = methods_at(router, scope)
    asked = method.decode("latin-1")
    preflighted = listed - _SAFELISTED
    more = bool(preflighted) and not (len(preflighted) == 1 and asked in preflighted)
    level = _level(router)
    found = level.remembered.get((get_route_path(scope), asked, scope["type"]))  # type: ignore[arg-type]
    if (
        found is not None
        and trace is not None
        and trace.levels == found[1].levels
        and found[1].still_holds()
    ):
        found[1].more_methods = more
    return more


# -- walking: every route of an app, as the router tries them -----------------------------------


@dataclass(frozen=True)
class Walked:
    """One route of an app as :func:`walk` finds it."""

    route: Any
    """What the router runs (a rebuilt copy for a Starlette route of an included router)."""
    declared: Any
    """The route as declared: its class and its endpoint."""
    path: str
    """The full path template, mount prefixes included."""
    mounts: tuple[Any, ...]
    """The mounts (and hosts) it is inside, outermost first."""
    hidden: bool
    """Middleware inside one of those mounts stands before it."""
    redirect_slashes: bool
    matcher: Any = None
    """What the router asks (FastAPI's context for a route of an included router)."""


def walk(app: Any) -> Iterator[Walked]:
    """Every route and mount of ``app``, in the order its routers try them, through
    included routers, mounts and hosts. Mounts are listed before the routes inside them."""
    router = router_of(app)
    if router is not None:
        yield from _walk(router, "", (), False, 0)


def _walk(
    router: Any, prefix: str, mounts: tuple[Any, ...], hidden: bool, depth: int
) -> Iterator[Walked]:
    redirect = bool(getattr(router, "redirect_slashes", False))
    for matcher, route, declared in _framework.declared_entries(list(router.routes)):
        path = getattr(matcher, "path", None)
        if not isinstance(path, str):
            path = getattr(route, "path", "") or ""
        full = prefix + path if not isinstance(matcher, Host) else prefix
        yield Walked(route, declared, full, mounts, hidden, redirect, matcher)
        if isinstance(matcher, (Mount, Host)) and depth < _MAX_DEPTH:
            if isinstance(matcher, Mount):
                app, wrapped = _framework.mount_layers(matcher)
            else:
                app, wrapped = matcher.app, False
            inner, behind = _routable(app)
            inner_router = router_of(inner) if inner is not None else None
            if inner_router is not None:
                yield from _walk(
                    inner_router,
                    full.rstrip("/"),
                    (*mounts, matcher),
                    hidden or wrapped or behind,
                    depth + 1,
                )
