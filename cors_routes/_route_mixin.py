"""What a CORS route class adds to a framework route class, shared by the FastAPI and
Starlette ones.

Only one hook of a route is used, and it is public: ``handle``. Every response of a route
with a policy is sent through that policy with its CORS headers. A preflight reaches
whichever route the router sends an OPTIONS request to (the first full match for OPTIONS,
else the first partial one), which need not be the route that will serve the actual
request: the route asks :func:`_selection.select` which route the router would run for the
method the preflight asks for, and that route's policy answers. ``matches`` is the
framework's own, and a route without a policy answers exactly as the framework's route
class would. Under ``install()`` the installation decides everything and the route steps
aside.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from types import MethodType
from typing import Any, ClassVar, Literal

from starlette.types import Receive, Scope, Send

from . import _selection
from ._dispatch import (
    EMPTY_BODY,
    INSTALLED,
    Asked,
    RouteCORS,
    method_is_token,
    preflight_asked,
    send_refusal,
)
from ._framework import app_root_path
from ._listed_methods import allow_methods
from ._policy_names import PolicyName, needs_install
from ._precedence import from_endpoint, honours_policies, policy_of
from ._served_methods import served_methods
from .decorators import marker, register
from .exceptions import CORSConfigError
from .policy import CORSPolicy

XCors = bool | Literal["without-origins"]

# Apps whose first request a CORS route has seen (ids: a lookup per request must be cheap;
# a reused id only skips an advisory lint).
_seen_apps: set[int] = set()


class CORSRouteMixin:
    """Mixed into a route class before the framework's route class."""

    cors_policy: ClassVar[CORSPolicy | None] = None
    """The policy of routes whose endpoint has no ``@cors``: a router-wide default."""
    x_cors: ClassVar[XCors] = True
    """The ``x-cors`` OpenAPI extension: True, ``"without-origins"``, or False (none)."""

    cors: RouteCORS | _NeedsInstall | None
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

    def _bind(self) -> CORSPolicy | None:
        """Compute this route's CORS answer once, when it is built (its own state)."""
        endpoint = getattr(self, "endpoint", None)
        if endpoint is not None:
            register(endpoint)
        policy, source = policy_of(self, None, installed=False)
        if policy is None:
            # @cors("name"): only install() resolves it; without it the route refuses.
            self.cors = _NeedsInstall(endpoint) if from_endpoint(source) else None
            return None
        methods = served_methods(self)
        name = f"{', '.join(sorted(methods)) if methods else 'any method'} {self.path}"
        self.cors = RouteCORS(policy, methods, name, MethodType(type(self)._route_handle, self))
        return policy

    # Not a coroutine function: it returns the awaitable it delegates to, which saves a
    # coroutine per request on the hot path (the caller awaits it all the same).
    def handle(self, scope: Scope, receive: Receive, send: Send) -> Coroutine[Any, Any, None]:
        if scope["type"] != "http" or INSTALLED in scope:
            return self._route_handle(scope, receive, send)  # type: ignore[no-any-return]
        app = scope.get("app")
        if app is not None and id(app) not in _seen_apps:
            _first_request(app)
        if scope["method"] == "OPTIONS":
            asked = preflight_asked(scope)
            if asked is not None:
                if not method_is_token(asked[1]):
                    return send_refusal(send)
                cors = _preflight_cors(self, scope, asked[1].decode("latin-1"))
                if cors is None:
                    if self.cors is not None:
                        # Another route, without CORS, serves the request: nothing here
                        # may grant it, and this route's endpoint is not what it asks for.
                        return send_refusal(send)
                    return self._route_handle(scope, receive, send)  # type: ignore[no-any-return]
                if isinstance(cors, _NeedsInstall):
                    return cors.answer_preflight(scope, send, asked)
                return _answer_preflight(cors, scope, send, asked)
        cors = self.cors
        if cors is None:
            return self._route_handle(scope, receive, send)  # type: ignore[no-any-return]
        return cors.handle(scope, receive, send)


class _NeedsInstall:
    """The answer of a CORS route whose endpoint names its policy (``@cors("account")``)
    when no ``install()`` resolves the name: every request, preflights included, raises
    ``CORSConfigError`` naming the fix, rather than answering without CORS."""

    __slots__ = ("endpoint",)

    def __init__(self, endpoint: Any) -> None:
        self.endpoint = endpoint

    def _error(self) -> CORSConfigError:
        found = marker(self.endpoint)
        name = found.name if isinstance(found, PolicyName) else "?"
        return CORSConfigError(needs_install(name, self.endpoint))

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise self._error()

    async def answer_preflight(self, scope: Scope, send: Send, asked: Any) -> None:
        raise self._error()


def _first_request(app: Any) -> None:
    from . import _startup  # the diagnostics load only when an app first serves

    if _startup.enabled():  # else asked again at the next request: the switch may change
        _seen_apps.add(id(app))
        _startup.lint_once(app)


async def _answer_preflight(cors: RouteCORS, scope: Scope, send: Send, asked: Asked) -> None:
    answer = cors.answer(scope, asked)  # no coroutine for a grant seen before
    status, headers = answer if isinstance(answer, tuple) else await answer
    router = scope.get("router")
    if status != 204 or router is None:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send(EMPTY_BODY)
        return
    # As _preflight_cors asked the outermost router: with the root path it saw.
    top = scope if "app_root_path" not in scope else {**scope, "root_path": app_root_path(scope)}
    if _selection.more_methods_at(router, top, asked[1]):
        # The other methods this origin is granted at this URL: one preflight for all.
        listed = await allow_methods(router, top, asked, cors, _served_cors)
        if listed is not None:
            cors.list_methods(headers, listed)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send(EMPTY_BODY)


def _served_cors(selection: _selection.Selection) -> RouteCORS | None:
    if isinstance(selection, _selection.Served) and honours_policies(selection.route):
        found = getattr(selection.route, "cors", None)
        return found if isinstance(found, RouteCORS) else None  # not one needing install()
    return None


def _preflight_cors(
    route: CORSRouteMixin, scope: Scope, method: str
) -> RouteCORS | _NeedsInstall | None:
    """The CORS that answers a preflight for ``method`` the router sent to ``route``: the
    policy of the route the router will run for the actual request. None when that route
    applies no CORS: the framework answers as it would without cors_routes."""
    router = scope.get("router")
    if router is None:  # the route is used on its own, as an ASGI app
        return route.cors
    # Selected from the outermost router, with the path and root path it saw (Starlette
    # keeps ``path`` whole and appends mounts to ``root_path``).
    top = scope if "app_root_path" not in scope else {**scope, "root_path": app_root_path(scope)}
    selection = _selection.select(router, top, method)
    if isinstance(selection, _selection.Hidden):
        # Middleware inside a mount stands before the route: the preflight came through it
        # to this app, so the actual request will; select again where it arrived.
        inner = _selection.router_of(scope.get("app"))
        if inner is None or inner is router:
            return route.cors
        selection = _selection.select(inner, scope, method)
    if isinstance(selection, _selection.Served):
        target = selection.route
        if target is route or not honours_policies(target):
            return route.cors if target is route else None
        found: RouteCORS | _NeedsInstall | None = getattr(target, "cors", None)
        return found
    if isinstance(selection, _selection.MountedApp):
        return None
    # No route serves the method here: this route's policy refuses it.
    return route.cors
