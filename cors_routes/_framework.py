"""Every private or version-specific name of Starlette and FastAPI that cors_routes reads.

The rest of the package asks these functions, never the frameworks' internals, so a change
in a framework release breaks one module, and ``tests/test_framework_names.py`` (run on the
oldest and the newest supported lines) says which name moved.

FastAPI is never imported from here: when the app uses FastAPI it is already in
``sys.modules``, and when it is not, no route of the app can be a FastAPI one.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterator, Mapping
from typing import Any

from starlette.endpoints import HTTPEndpoint
from starlette.routing import BaseRoute, Mount

# FastAPI >= 0.163 keeps the route context of an included route under this key of
# ``scope["fastapi"]`` while the route's own ``matches()`` runs.
_CONTEXT_KEY_NAME = "_FASTAPI_EFFECTIVE_ROUTE_CONTEXT_KEY"
_CONTEXT_KEY_DEFAULT = "effective_route_context"
_MISSING = object()


def _fastapi_routing() -> Any:
    return sys.modules.get("fastapi.routing")


def route_entries(routes: list[Any]) -> Iterator[tuple[Any, Any, Any]]:
    """(matcher, served route, declared route) for each route a router tries, in order.

    FastAPI >= 0.163 keeps an included router behind one wrapper whose ``matches()`` tries
    the included routes in order; this opens it with FastAPI's own public
    ``iter_route_contexts`` so that each included route is asked as FastAPI asks it
    (see :func:`matches`). Older lines copy included routes into the app's list.
    """
    fastapi_routing = _fastapi_routing()
    iterate = getattr(fastapi_routing, "iter_route_contexts", None)
    if iterate is None or not any(hasattr(route, "original_router") for route in routes):
        for route in routes:
            yield route, route, route
        return
    for context in iterate(routes):
        declared = context.original_route
        effective = getattr(context, "_effective_route", declared)
        if effective is declared:
            yield declared, declared, declared
        elif isinstance(effective, BaseRoute):
            # A Starlette route (or mount) of an included router is served by a rebuilt copy.
            yield effective, effective, declared
        else:
            # An APIRoute: served by itself, matched with FastAPI's context for it.
            yield _IncludedAPIRoute(declared, effective), declared, declared


def lazy_route_entries(routes: list[Any]) -> Iterator[tuple[Any, Any, Any]]:
    """:func:`route_entries` for matching, leaving FastAPI's per-route set-up deferred.

    A route of an included router that holds only FastAPI routes (and routers) is matched
    through FastAPI's context for it, which FastAPI builds for a whole included router the
    first time a request reaches it; here it is looked up (and so built) only when the
    route is first asked to match, router by router as FastAPI's own matching does, so a
    first preflight sets up the routers on its path, not the app's every route.
    """
    fastapi_routing = _fastapi_routing()
    api_route = getattr(fastapi_routing, "APIRoute", None)
    for route in routes:
        inner = getattr(route, "original_router", None)
        prefix = getattr(getattr(route, "include_context", None), "prefix", None)
        if (
            api_route is None
            or inner is None
            or not isinstance(prefix, str)
            or not hasattr(route, "effective_candidates")
            or not _only_api_routes(inner, api_route)
        ):
            yield from route_entries([route])
            continue
        branches = _Branches(route)
        for path, declared, steps in _api_routes(inner, prefix, ()):
            matcher = _IncludedAPIRoute(declared, None, path, (branches, steps))
            yield matcher, declared, declared


def _api_routes(
    router: Any, prefix: str, steps: tuple[int, ...]
) -> Iterator[tuple[str, Any, tuple[int, ...]]]:
    """(full path, route, its place: the index at each router level) of every route."""
    for index, route in enumerate(router.routes):
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _api_routes(inner, prefix + route.include_context.prefix, (*steps, index))
        else:
            yield prefix + route.path, route, (*steps, index)


class _Branches:
    """The candidates of an included router and of the routers included in it, each asked
    of FastAPI once (asking costs a walk of the router's routes), by place."""

    __slots__ = ("candidates", "wrapper")

    def __init__(self, wrapper: Any) -> None:
        self.wrapper = wrapper
        self.candidates: dict[tuple[int, ...], list[Any]] = {}

    def at(self, steps: tuple[int, ...]) -> list[Any]:
        found = self.candidates.get(steps)
        if found is None:
            branch = self.wrapper if not steps else self.at(steps[:-1])[steps[-1]]
            found = self.candidates[steps] = list(branch.effective_candidates())
        return found


def _context_at(branches: _Branches, steps: tuple[int, ...], declared: Any) -> Any:
    """FastAPI's context for ``declared``, found as FastAPI's matching finds it: through
    each included router's own candidates (each built when first asked, as FastAPI does)."""
    try:
        found = branches.at(steps[:-1])[steps[-1]]
        if getattr(found, "original_route", None) is declared:
            return found
    except (AttributeError, IndexError, TypeError):
        pass
    wrapper = branches.wrapper
    for context in route_entries([wrapper]):  # another line's shape: every route at once
        matcher = context[0]
        if isinstance(matcher, _IncludedAPIRoute) and matcher.route is declared:
            return matcher.context
    raise LookupError(f"FastAPI has no context for {declared!r}")


def declared_entries(routes: list[Any]) -> Iterator[tuple[Any, Any, Any]]:
    """:func:`route_entries` for a walk that reads routes without matching them.

    FastAPI >= 0.163 sets up an included router's routes (their dependencies, body and
    response models, handlers) when a request first reaches that router; asking it for
    its route contexts sets up every route of every included router at once (about 90 %
    of a 500-route app's first request). Where an included router holds only FastAPI
    routes (and routers), each route is served by itself at the inclusion's prefix plus
    its own path, which is read here without that set-up; any other route (a Starlette
    route or mount, served by a copy FastAPI builds) has its router asked as usual.
    """
    fastapi_routing = _fastapi_routing()
    api_route = getattr(fastapi_routing, "APIRoute", None)
    for route in routes:
        context = getattr(route, "include_context", None)
        inner = getattr(route, "original_router", None)
        prefix = getattr(context, "prefix", None)
        if (
            api_route is None
            or inner is None
            or not isinstance(prefix, str)
            or not _only_api_routes(inner, api_route)
        ):
            yield from route_entries([route])
            continue
        yield from _prefixed(inner, prefix)


def _only_api_routes(router: Any, api_route: type) -> bool:
    for route in getattr(router, "routes", None) or ():
        inner = getattr(route, "original_router", None)
        if inner is not None:
            if not isinstance(
                getattr(getattr(route, "include_context", None), "prefix", None), str
            ):
                return False
            if not _only_api_routes(inner, api_route):
                return False
        elif not isinstance(route, api_route):
            return False
    return True


def _prefixed(router: Any, prefix: str) -> Iterator[tuple[Any, Any, Any]]:
    for route in router.routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _prefixed(inner, prefix + route.include_context.prefix)
        else:
            yield _Declared(prefix + route.path), route, route


class _Declared:
    """Where a walk finds an included FastAPI route: its full path in its router."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path


def matches(matcher: Any, scope: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """``matcher.matches(scope)``: the framework's own verdict."""
    result: tuple[Any, dict[str, Any]] = matcher.matches(scope)
    return result


class _IncludedAPIRoute:
    """An APIRoute of an included router, asked as FastAPI's included router asks it: its
    own ``matches()``, with FastAPI's context for the inclusion in ``scope["fastapi"]``
    (looked up when first needed, when built with ``path`` and ``place``)."""

    __slots__ = ("_context", "_path", "_place", "route")

    def __init__(
        self,
        route: Any,
        context: Any,
        path: str | None = None,
        place: tuple[_Branches, tuple[int, ...]] | None = None,
    ) -> None:
        self.route = route
        self._context = context
        self._path = path
        self._place = place

    @property
    def context(self) -> Any:
        context = self._context
        if context is None and self._place is not None:
            context = self._context = _context_at(*self._place, self.route)
        return context

    @property
    def path(self) -> str:
        if self._path is not None:
            return self._path
        return str(getattr(self.context, "path", "") or "")

    def matches(self, scope: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        fastapi_routing = _fastapi_routing()
        key = getattr(fastapi_routing, _CONTEXT_KEY_NAME, _CONTEXT_KEY_DEFAULT)
        fastapi_scope = scope.setdefault("fastapi", {})
        previous = fastapi_scope.get(key, _MISSING)
        fastapi_scope[key] = self.context  # set up by FastAPI when first asked
        try:
            result: tuple[Any, dict[str, Any]] = self.route.matches(scope)
        finally:
            if previous is _MISSING:
                fastapi_scope.pop(key, None)
            else:
                fastapi_scope[key] = previous
        return result


def schema_holders(matcher: Any) -> list[Any]:
    """What FastAPI's OpenAPI schema reads an included route's ``openapi_extra`` from besides
    the route: FastAPI >= 0.163 copies it into the inclusion's context when it builds it."""
    context = getattr(matcher, "context", None) if isinstance(matcher, _IncludedAPIRoute) else None
    return [context] if context is not None and hasattr(context, "openapi_extra") else []


def included_routers(routes: list[Any]) -> Iterator[Any]:
    """The routers FastAPI >= 0.163 keeps behind its included-router wrappers, nested too."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield inner
            yield from included_routers(list(getattr(inner, "routes", None) or ()))


def routes_version(router: Any) -> Any:
    """What changes when FastAPI's included routes change (FastAPI >= 0.164 counts
    ``include_router`` and ``add_api_route`` calls); None where there is no such count."""
    version = getattr(router, "_get_routes_version", None)
    if version is None:
        return None
    try:
        return version()
    except Exception:  # a signature of another line: fall back to the list comparison
        return None


def low_priority_route(router: Any, scope: dict[str, Any]) -> tuple[bool, Any]:
    """(whether FastAPI's low-priority routes, ``router.frontend()``, would answer, the
    route that would); FastAPI >= 0.164 tries them after every other route."""
    match = getattr(router, "_match_low_priority", None)
    if match is None or not has_low_priority_routes(router):
        return False, None
    found = match(scope)
    matched, route = found[0], found[2] if len(found) > 2 else None
    return getattr(matched, "name", "NONE") != "NONE", route


def has_low_priority_routes(router: Any) -> bool:
    if getattr(router, "_low_priority_routes", None):
        return True
    iterate = getattr(router, "_iter_low_priority_routes", None)
    if iterate is None:
        return False
    return any(True for _ in iterate())


def mount_layers(mount: Mount) -> tuple[Any, bool]:
    """(the app a mount serves, whether middleware of the mount's own wraps it)."""
    base = getattr(mount, "_base_app", None)
    app = mount.app
    if base is None:  # a line without Mount(middleware=...): nothing can wrap it
        return app, False
    return base, app is not base


def app_root_path(scope: Mapping[str, Any]) -> str:
    """The ``root_path`` the outermost router saw (mounts append to ``root_path``)."""
    root: str = scope.get("app_root_path", scope.get("root_path", ""))
    return root


def served_by_class_endpoint(endpoint: type[HTTPEndpoint]) -> frozenset[str]:
    """The methods an ``HTTPEndpoint`` class dispatches to a handler of its own.

    Where Starlette dispatches only the methods of a list it computes per instance
    (``_allowed_methods``, 1.x), that list is asked, by running only the base class's
    ``__init__`` on a bare instance. Where it dispatches any method whose lower-case name is
    a handler (older lines; HEAD falls back to ``get``), the class's handlers are.
    """
    if not _dispatches_any_handler():
        probe = endpoint.__new__(endpoint)
        HTTPEndpoint.__init__(probe, {"type": "http"}, _never, _never)
        allowed = getattr(probe, "_allowed_methods", ())
        return frozenset(str(method) for method in allowed)
    base = set(dir(HTTPEndpoint))
    served = {
        name.upper()
        for name in dir(endpoint)
        if name.islower()
        and not name.startswith("_")
        and name not in base
        and callable(getattr(endpoint, name, None))
    }
    if "GET" in served:
        served.add("HEAD")
    return frozenset(served)


class _Dispatched(Exception):
    pass


class _Probe(HTTPEndpoint):
    async def purge(self, request: Any) -> Any:
        raise _Dispatched


@functools.cache
def _dispatches_any_handler() -> bool:
    """Whether this Starlette's ``HTTPEndpoint.dispatch`` runs a handler for any method that
    names one: asked of ``dispatch`` itself, with a method no list has (PURGE)."""
    scope = {"type": "http", "method": "PURGE", "path": "/", "headers": [], "query_string": b""}
    coroutine = _Probe(scope, _never, _never).dispatch()
    try:
        coroutine.send(None)
    except _Dispatched:
        return True
    except BaseException:  # the 405 path: a fixed list
        return False
    finally:
        coroutine.close()
    return False


async def _never(*args: Any) -> Any:  # pragma: no cover - the probe never receives or sends
    raise RuntimeError("not a request")


# Set by Starlette's ExceptionMiddleware (stable since Starlette 0.27): its handler tables.
EXCEPTION_HANDLERS_KEY = "starlette.exception_handlers"
