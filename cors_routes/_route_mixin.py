"""What a CORS route adds to a framework route class, shared by the FastAPI and Starlette ones.

Only one hook of a route is used, and it is public: ``handle``. The router sends an OPTIONS
request to the first route on its path (none serves OPTIONS, so the first partial match);
if that is a CORS route, it finds the route that serves the method the preflight asks for
(``_preflight_routing``) and that route's policy answers. Every other response of a route
with a policy is sent through it with its CORS headers. ``matches`` is the framework's own,
so routing costs exactly what it costs without cors_routes, and a route without a policy
answers exactly as the framework's route class would.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from types import MethodType
from typing import Any, ClassVar, Literal

from starlette.types import Receive, Scope, Send

from ._dispatch import RouteCORS, preflight_asked
from ._preflight_routing import resolve_preflight
from ._served_methods import served_methods
from .decorators import resolve_endpoint
from .exceptions import CORSConfigError
from .policy import CORSPolicy

XCors = bool | Literal["without-origins"]


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
    # The framework's own hook, set by each concrete class.
    _route_handle: ClassVar[Callable[[Any, Scope, Receive, Send], Any]]

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
        self.cors = RouteCORS(policy, methods, name, MethodType(route_handle, self))

    # Not a coroutine function: it returns the awaitable it delegates to, which saves a
    # coroutine per request on the hot path (the caller awaits it all the same).
    def handle(self, scope: Scope, receive: Receive, send: Send) -> Coroutine[Any, Any, None]:
        if scope["type"] != "http":
            return self._route_handle(scope, receive, send)  # type: ignore[no-any-return]
        if scope["method"] == "OPTIONS":
            asked = preflight_asked(scope)
            if asked is not None:
                # A preflight the router sent here: the route that serves the method it asks
                # for answers it, as the actual request will reach that route; without a
                # policy there, the framework's route answers as it would (a 405, or the
                # route's OPTIONS endpoint).
                method = asked[1].decode("latin-1")
                methods = self.methods
                if methods and method in methods:
                    # The router sends a preflight to the first route whose path matches
                    # (every route before it matches nothing there, or it would have been
                    # sent there): this one serves the method, so the request comes here.
                    preflight_cors = self.cors
                else:
                    preflight_cors = resolve_preflight(self, scope, method)
                if preflight_cors is None:
                    return self._route_handle(scope, receive, send)  # type: ignore[no-any-return]
                return preflight_cors.answer_preflight(scope, send, asked)
        cors = self.cors
        if cors is None:
            return self._route_handle(scope, receive, send)  # type: ignore[no-any-return]
        return cors.handle(scope, receive, send)
