"""``@cors`` and ``@no_cors``: attaching a policy to a path operation function."""

from __future__ import annotations

import functools
import inspect
import weakref
from collections.abc import Callable
from typing import Any, TypeVar, overload

from . import _websocket
from .exceptions import CORSConfigError
from .policy import CORSPolicy, unknown_option_error

F = TypeVar("F", bound=Callable[..., Any])

# Kept on the endpoint function itself (not only on a wrapper) so that a framework that
# re-creates routes from ``route.endpoint`` (FastAPI < 0.116's include_router) keeps it.
_POLICY_ATTR = "__cors_routes_policy__"
_OPT_OUT = "opted out"
_ORIGINAL_ATTR = "__cors_routes_endpoint__"

# Endpoints already turned into CORS routes: decorating one afterwards cannot take effect.
_registered: weakref.WeakSet[Callable[..., Any]] = weakref.WeakSet()


@overload
def cors(policy: CORSPolicy, /) -> Callable[[F], F]: ...
@overload
def cors(policy: None = None, /, **kwargs: Any) -> Callable[[F], F]: ...


def cors(policy: CORSPolicy | None = None, /, **kwargs: Any) -> Callable[[F], F]:
    """Give a path operation its CORS policy; write it under ``@router.get(...)``.

    ``@cors(allow_origins=[...], ...)`` takes CORSPolicy's keyword arguments;
    ``@cors(SHARED_POLICY)`` reuses a named policy.
    """
    if policy is not None and not isinstance(policy, CORSPolicy):
        if callable(policy):
            raise CORSConfigError(
                "@cors needs parentheses: write @cors(allow_origins=[...]) or @cors(POLICY)"
            )
        raise CORSConfigError(f"@cors takes a CORSPolicy or keyword arguments, not {policy!r}")
    if policy is not None and kwargs:
        raise CORSConfigError(
            "@cors got both a policy and keyword arguments: pass one, e.g. @cors(POLICY) "
            "or @cors(allow_origins=[...])"
        )
    if policy is None:
        unknown = unknown_option_error(kwargs)
        if unknown is not None:
            raise unknown
        policy = CORSPolicy(**kwargs)
    return functools.partial(_attach, policy)


def no_cors(endpoint: F) -> F:
    """Opt one path operation out of its route class's default policy."""
    _check_not_registered(endpoint, "@no_cors")
    _mark(endpoint, _OPT_OUT)
    return endpoint


def _attach(policy: CORSPolicy, endpoint: F) -> F:
    _check_not_registered(endpoint, "@cors")
    _mark(endpoint, policy)
    name = getattr(endpoint, "__qualname__", repr(endpoint))

    # Only CORS route classes unwrap this; any other route would call it and must not serve
    # the endpoint without its CORS headers.
    def refuse() -> CORSConfigError:
        return CORSConfigError(
            f"{name} has a @cors policy but is served by a route class that ignores it, so "
            "it would answer without CORS headers. Serve it with a CORS route: "
            "APIRouter(route_class=CORSRoute), app.router.route_class = CORSRoute before "
            "declaring routes, or cors_routes.starlette.CORSRoute for Starlette"
        )

    if inspect.iscoroutinefunction(endpoint):
        # A WebSocket endpoint has no CORS route to serve it (issue 6): the guard itself
        # checks the handshake's Origin, before the endpoint's dependencies under FastAPI.
        @functools.wraps(endpoint)
        async def guard_async(*args: Any, **kwargs: Any) -> Any:
            if kwargs.pop(_websocket.GATE_PARAMETER, False):
                return await endpoint(*args, **kwargs)
            websocket = _websocket.find_websocket(args, kwargs)
            if websocket is None:
                raise refuse()
            if await _websocket.check_in_guard(policy, websocket, name):
                return await endpoint(*args, **kwargs)

        _websocket.install_gate(guard_async, endpoint, policy, refuse)
        guard: Callable[..., Any] = guard_async
    else:

        @functools.wraps(endpoint)
        def guard_sync(*args: Any, **kwargs: Any) -> Any:
            raise refuse()

        guard = guard_sync
    setattr(guard, _ORIGINAL_ATTR, endpoint)
    setattr(guard, _POLICY_ATTR, policy)
    return guard  # type: ignore[return-value]


def _mark(endpoint: Callable[..., Any], value: object) -> None:
    existing = getattr(endpoint, _POLICY_ATTR, None)
    if existing is not None and existing != value:
        raise CORSConfigError(
            f"{getattr(endpoint, '__qualname__', endpoint)!r} already has a CORS policy "
            f"({existing!r}): apply @cors or @no_cors once per endpoint"
        )
    try:
        setattr(endpoint, _POLICY_ATTR, value)
    except (AttributeError, TypeError):
        raise CORSConfigError(
            f"cannot attach a CORS policy to {endpoint!r}: decorate a function"
        ) from None


def _check_not_registered(endpoint: Callable[..., Any], decorator: str) -> None:
    if endpoint in _registered:
        raise CORSConfigError(
            f"{decorator} on {getattr(endpoint, '__qualname__', endpoint)!r} comes too late: "
            "its route already exists. Write it under the route decorator: "
            f"@router.get(...) on top, then {decorator}"
        )


def resolve_endpoint(
    endpoint: Callable[..., Any], default: CORSPolicy | None
) -> tuple[Callable[..., Any], CORSPolicy | None, bool]:
    """(the function to serve, its effective policy, whether it opted out), for a CORS route."""
    endpoint = getattr(endpoint, _ORIGINAL_ATTR, endpoint)
    marked = getattr(endpoint, _POLICY_ATTR, None)
    try:
        _registered.add(endpoint)
    except TypeError:
        pass  # not weak-referenceable (a partial, a callable object): nothing to check later
    if marked == _OPT_OUT:
        return endpoint, None, True
    if isinstance(marked, CORSPolicy):
        return endpoint, marked, False
    return endpoint, default, False


def endpoint_policy(endpoint: Callable[..., Any]) -> CORSPolicy | None:
    """The policy ``@cors`` put on ``endpoint``, if any (whatever route serves it)."""
    marked = getattr(getattr(endpoint, _ORIGINAL_ATTR, endpoint), _POLICY_ATTR, None)
    return marked if isinstance(marked, CORSPolicy) else None


def refusing_stand_in(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """A copy of ``endpoint`` that raises instead of running, for ``route.endpoint``.

    FastAPI's include_router rebuilds a Starlette route as a plain ``Route`` from
    ``route.endpoint``, dropping its class: that copy must fail loudly, never serve
    without the CORS headers its policy promises.
    """
    name = getattr(endpoint, "__qualname__", repr(endpoint))
    message = (
        f"{name} has a CORS policy but is served by a copy of its route that ignores it "
        "(FastAPI's include_router rebuilds Starlette routes as plain Route): serve it with "
        "cors_routes.CORSRoute in an APIRouter, or mount the Starlette routes instead"
    )

    if inspect.iscoroutinefunction(endpoint):

        @functools.wraps(endpoint)
        async def refuse_async(*args: Any, **kwargs: Any) -> Any:
            raise CORSConfigError(message)

        return refuse_async

    @functools.wraps(endpoint)
    def refuse_sync(*args: Any, **kwargs: Any) -> Any:
        raise CORSConfigError(message)

    return refuse_sync
