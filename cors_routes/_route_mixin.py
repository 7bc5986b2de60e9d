"""What a CORS route adds to a framework route class, shared by the FastAPI and Starlette ones.

Only two hooks of a route are used, both public: ``matches`` (a preflight must reach the
route that serves the method it asks for, although the route does not serve OPTIONS) and
``handle`` (preflights are answered there, and every response is sent through it). A route
without a policy keeps the framework's own hooks untouched, so it answers exactly as the
framework's route class would.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, ClassVar, Literal

from starlette.routing import Match
from starlette.types import Receive, Scope, Send

from ._dispatch import RouteCORS, preflight_method
from ._served_methods import served_methods
from .decorators import resolve_endpoint
from .exceptions import CORSConfigError
from .policy import CORSPolicy

XCors = bool | Literal["without-origins"]

# Module-level names: matches() runs for every route a request passes on its way, and a
# global is cheaper to load than an Enum member.
_NONE = Match.NONE
_PARTIAL = Match.PARTIAL
_FULL = Match.FULL


class CORSRouteMixin:
    """Mixed into a route class before the framework's route class."""

    cors_policy: ClassVar[CORSPolicy | None] = None
    """The policy of routes whose endpoint has no ``@cors``: a router-wide default."""
    x_cors: ClassVar[XCors] = True
    """The ``x-cors`` OpenAPI extension: True, ``"without-origins"``, or False (none)."""

    cors: RouteCORS | None
    cors_opted_out: bool
    path: str
    methods: set[str] | None
    # The framework's own hooks, set by each concrete class.
    _route_handle: ClassVar[Callable[[Any, Scope, Receive, Send], Any]]
    _route_matches: ClassVar[Callable[[Any, Scope], tuple[Match, Scope]]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        policy = cls.__dict__.get("cors_policy")
        if policy is not None and not isinstance(policy, CORSPolicy):
            raise CORSConfigError(
                f"{cls.__name__}.cors_policy must be a CORSPolicy or None, not {policy!r}: "
                "write cors_policy = CORSPolicy(allow_origins=[...])"
            )
        x_cors = cls.__dict__.get("x_cors", True)
        if x_cors not in (True, False, "without-origins"):
            raise CORSConfigError(
                f"{cls.__name__}.x_cors must be True, False or 'without-origins', not {x_cors!r}"
            )

    def _resolve_endpoint(
        self, endpoint: Callable[..., Any]
    ) -> tuple[Callable[..., Any], CORSPolicy | None]:
        endpoint, policy, opted_out = resolve_endpoint(endpoint, type(self).cors_policy)
        self.cors_opted_out = opted_out
        return endpoint, policy

    def _bind(self, policy: CORSPolicy | None) -> None:
        if policy is None:
            self.cors = None
            return
        methods = served_methods(self)
        name = f"{', '.join(sorted(methods)) if methods else 'any method'} {self.path}"
        route_handle = type(self)._route_handle
        self.cors = RouteCORS(policy, methods, name, _bound(route_handle, self))
        # Only a route with a policy takes part in preflight routing, through a matches()
        # of its own instance: every other route keeps the framework's, at no cost.
        vars(self)["matches"] = _preflight_aware(type(self)._route_matches, self, methods)

    # Not a coroutine function: it returns the awaitable it delegates to, which saves a
    # coroutine per request on the hot path (the caller awaits it all the same).
    def handle(self, scope: Scope, receive: Receive, send: Send) -> Coroutine[Any, Any, None]:
        cors = self.cors
        if cors is None or scope["type"] != "http":
            return self._route_handle(scope, receive, send)  # type: ignore[no-any-return]
        return cors.handle(scope, receive, send)  # type: ignore[return-value]


def _bound(function: Callable[..., Any], route: Any) -> Callable[[Scope, Receive, Send], Any]:
    def call(scope: Scope, receive: Receive, send: Send, _f: Any = function, _r: Any = route) -> Any:
        return _f(_r, scope, receive, send)

    return call


def _preflight_aware(
    route_matches: Callable[[Any, Scope], tuple[Match, Scope]],
    route: Any,
    methods: frozenset[str] | None,
) -> Callable[[Scope], tuple[Match, Scope]]:
    """The route's ``matches``: the framework's, plus preflight dispatch.

    It runs for every request that passes the route, so the common case (the method is not
    OPTIONS, or the path does not match) costs one call and two comparisons; the route and
    the framework's method are default arguments, the cheapest names to load.
    """

    def matches(
        scope: Scope, _matches: Any = route_matches, _route: Any = route
    ) -> tuple[Match, Scope]:
        result: tuple[Match, Scope] = _matches(_route, scope)
        if result[0] is _NONE or scope["method"] != "OPTIONS":
            return result
        # A preflight goes to the route that serves the method it asks for, as the actual
        # request will; others on the same path let it pass (even one that serves OPTIONS).
        method = preflight_method(scope)
        if method is None:
            return result
        served = methods is None or method in methods
        return (_FULL if served else _PARTIAL), result[1]

    matches.__cors_routes_preflight__ = True  # type: ignore[attr-defined]
    return matches
