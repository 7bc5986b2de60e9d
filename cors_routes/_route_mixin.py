"""What a CORS route adds to a framework route class, shared by the FastAPI and Starlette ones.

Only two hooks of a route are used, both public: ``matches`` (a preflight must reach the
route that serves the method it asks for, although the route does not serve OPTIONS) and
``handle`` (preflights are answered there, and every response is sent through it).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, ClassVar

from starlette.routing import Match
from starlette.types import Receive, Scope, Send

from ._dispatch import RouteCORS, preflight_method
from .decorators import resolve_endpoint
from .exceptions import CORSConfigError
from .policy import CORSPolicy

# Module-level names: matches() runs for every route a request passes on its way, and a
# global is cheaper to load than an Enum member.
_NONE = Match.NONE
_PARTIAL = Match.PARTIAL
_FULL = Match.FULL


class CORSRouteMixin:
    """Mixed into a route class before the framework's route class."""

    cors_policy: ClassVar[CORSPolicy | None] = None
    """The policy of routes whose endpoint has no ``@cors``: a router-wide default."""

    cors: RouteCORS | None
    cors_opted_out: bool
    path: str
    methods: set[str] | None
    # The framework's own hooks, set by each concrete class.
    _route_handle: ClassVar[Callable[[Any, Scope, Receive, Send], Any]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        policy = cls.__dict__.get("cors_policy")
        if policy is not None and not isinstance(policy, CORSPolicy):
            raise CORSConfigError(
                f"{cls.__name__}.cors_policy must be a CORSPolicy or None, not {policy!r}: "
                "write cors_policy = CORSPolicy(allow_origins=[...])"
            )

    def _resolve_endpoint(
        self, endpoint: Callable[..., Any]
    ) -> tuple[Callable[..., Any], CORSPolicy | None]:
        endpoint, policy, opted_out = resolve_endpoint(endpoint, type(self).cors_policy)
        self.cors_opted_out = opted_out
        return endpoint, policy

    def _bind(self, policy: CORSPolicy | None) -> None:
        methods = self.methods
        name = f"{', '.join(sorted(methods)) if methods else 'any method'} {self.path}"
        self.cors = None if policy is None else RouteCORS(policy, methods, name, self._route_handle)

    def _preflight_match(self, scope: Scope, result: tuple[Match, Scope]) -> tuple[Match, Scope]:
        """The match for an OPTIONS request whose path this route matches."""
        method = preflight_method(scope)
        if method is None:
            return result
        # A preflight goes to the route that serves the method it asks for, as the actual
        # request will; others on the same path let it pass (even one that serves OPTIONS).
        # Routes without a policy take part too, so an opted-out route that serves the
        # method answers (405, as APIRoute would) instead of a later route granting it.
        methods = self.methods
        served = methods is None or method in methods
        return (_FULL if served else _PARTIAL), result[1]

    # Not a coroutine function: it returns the awaitable it delegates to, which saves a
    # coroutine per request on the hot path (the caller awaits it all the same).
    def handle(self, scope: Scope, receive: Receive, send: Send) -> Coroutine[Any, Any, None]:
        cors = self.cors
        if cors is None or scope["type"] != "http":
            return self._route_handle(scope, receive, send)  # type: ignore[no-any-return]
        return cors.handle(scope, receive, send)


def preflight_aware_matches(
    route_matches: Callable[[Any, Scope], tuple[Match, Scope]],
) -> Any:
    """A route class's ``matches``: the framework's, plus preflight dispatch.

    It runs for every route each request passes, so the common case (the path does not
    match, or the method is not OPTIONS) costs one call and two comparisons: the
    framework's method is called through a closure, not looked up on the instance.
    """

    def matches(self: CORSRouteMixin, scope: Scope) -> tuple[Match, Scope]:
        result = route_matches(self, scope)
        if result[0] is _NONE or scope["method"] != "OPTIONS":
            return result
        return self._preflight_match(scope, result)

    return matches
