"""``@cors`` and ``@no_cors``: attaching a policy to a path operation function.

The policy is a marker on the function, never a wrapper that something must unwrap. Every
decorator written with ``functools.wraps`` copies the marker onto its own wrapper, so the
route serves the outermost function (the user's decorators all run) and still finds the
policy, whichever order the decorators are written in. Only a WebSocket endpoint gets a
wrapper from ``@cors``: browsers apply no CORS to WebSockets, so the wrapper checks the
handshake's ``Origin`` itself (see ``_websocket``).
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from typing import Any, TypeVar, overload

from . import _websocket
from .exceptions import CORSConfigError
from .policy import CORSPolicy, unknown_option_error

F = TypeVar("F", bound=Callable[..., Any])

_POLICY_ATTR = "__cors_routes_policy__"


class _OptedOut:
    __slots__ = ()

    def __repr__(self) -> str:
        return "@no_cors"


OPTED_OUT = _OptedOut()
Marker = CORSPolicy | _OptedOut

# Endpoints already served by a route that read their marker: decorating one afterwards
# cannot take effect.
_registered: weakref.WeakSet[Callable[..., Any]] = weakref.WeakSet()


@overload
def cors(policy: CORSPolicy, /) -> Callable[[F], F]: ...
@overload
def cors(policy: None = None, /, **kwargs: Any) -> Callable[[F], F]: ...


def cors(policy: CORSPolicy | None = None, /, **kwargs: Any) -> Callable[[F], F]:
    """Give a path operation its CORS policy; write it under ``@router.get(...)``.

    ``@cors(allow_origins=[...], ...)`` takes CORSPolicy's keyword arguments;
    ``@cors(SHARED_POLICY)`` reuses a named policy. Other decorators (auth, rate limits,
    caches) may go above or below it.
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
    """Opt one path operation out of the default policy (of its route class or of install)."""
    _check_not_registered(endpoint, "@no_cors")
    _mark(endpoint, OPTED_OUT)
    return endpoint


def _attach(policy: CORSPolicy, endpoint: F) -> F:
    _check_not_registered(endpoint, "@cors")
    _mark(endpoint, policy)
    guarded = _websocket.guard(endpoint, policy)
    if guarded is not endpoint:
        _mark(guarded, policy)
    return guarded  # type: ignore[no-any-return]


def _mark(endpoint: Callable[..., Any], value: Marker) -> None:
    existing = marker(endpoint)
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


def marker(endpoint: object) -> Marker | None:
    """What ``@cors``/``@no_cors`` put on ``endpoint`` (or on what it wraps), if anything.

    A class's marker is its own, never one inherited from a decorated base class.
    """
    for _ in range(8):  # a partial of a partial...: bounded
        if isinstance(endpoint, type):
            value = vars(endpoint).get(_POLICY_ATTR)
        else:
            value = getattr(endpoint, _POLICY_ATTR, None)
        if isinstance(value, (CORSPolicy, _OptedOut)):
            return value
        if not isinstance(endpoint, functools.partial):
            return None
        endpoint = endpoint.func
    return None


def endpoint_policy(endpoint: object) -> CORSPolicy | None:
    """The policy ``@cors`` put on ``endpoint``, if any."""
    found = marker(endpoint)
    return found if isinstance(found, CORSPolicy) else None


def register(endpoint: Callable[..., Any]) -> None:
    """Note that a route read ``endpoint``'s marker: a later ``@cors`` on it is an error."""
    try:
        _registered.add(endpoint)
    except TypeError:
        pass  # not weak-referenceable (a callable object): nothing to check later


def _check_not_registered(endpoint: Callable[..., Any], decorator: str) -> None:
    try:
        late = endpoint in _registered
    except TypeError:
        late = False
    if late:
        raise CORSConfigError(
            f"{decorator} on {getattr(endpoint, '__qualname__', endpoint)!r} comes too late: "
            "its route already exists. Write it under the route decorator: "
            f"@router.get(...) on top, then {decorator}"
        )


def resolve_endpoint(
    endpoint: Callable[..., Any], default: CORSPolicy | None, *, http: bool = True
) -> tuple[Callable[..., Any], CORSPolicy | None, bool]:
    """(the function to serve, its effective policy, whether it opted out), for a CORS route.

    An HTTP route serves a WebSocket guard's endpoint directly (the guard passes HTTP
    requests through unchanged), but only the guard itself, never a user's wrapper of it.
    """
    found = marker(endpoint)
    if http:
        endpoint = _websocket.unguarded(endpoint)
    register(endpoint)
    if found is OPTED_OUT:
        return endpoint, None, True
    if isinstance(found, CORSPolicy):
        return endpoint, found, False
    return endpoint, default, False
