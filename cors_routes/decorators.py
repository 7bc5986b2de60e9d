"""``@cors`` and ``@no_cors``: attaching a policy to a path operation function.

The policy is a marker on the function. The route serves the outermost function, so every
decorator the user wrote runs, in whichever order they are written: ``functools.wraps``
copies the marker onto a wrapper, and a wrapper that only sets ``__wrapped__`` is followed.

Which route serves the function decides what the marker does: under ``install()`` or a
CORS route class the policy answers; a route that cannot honour it must not serve the
endpoint as if it had no CORS. So ``@cors`` also wraps a function in a thin call-through
that raises ``CORSConfigError`` (naming the fix) when the endpoint runs for a request that
no part of cors_routes saw. The wrapper is the same kind of callable as the function
(coroutine function, generator, ...), keeps its signature through ``__wrapped__`` and its
module globals (frameworks resolve string annotations there), and never skips the function.
"""

from __future__ import annotations

import functools
import inspect
import sys
import types
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, overload

from ._dispatch import handled as _handled
from ._options import CORSOptions
from ._policy_names import PolicyName, checked_name, needs_install
from .exceptions import CORSConfigError
from .policy import CORSPolicy

if TYPE_CHECKING:
    # Only type checkers read Unpack here: on Python 3.10 typing_extensions (which they
    # always have) may be missing at run time in a plain Starlette app.
    if sys.version_info >= (3, 11):
        from typing import Unpack
    else:
        from typing_extensions import Unpack

__all__ = ["cors", "no_cors"]

_F = TypeVar("_F", bound=Callable[..., Any])

_POLICY_ATTR = "__cors_routes_policy__"


class _OptedOut:
    __slots__ = ()

    def __repr__(self) -> str:
        return "@no_cors"


OPTED_OUT = _OptedOut()
_Marker = CORSPolicy | _OptedOut | PolicyName

# Endpoints already served by a route that read their marker: decorating one afterwards
# cannot take effect.
_registered: weakref.WeakSet[Callable[..., Any]] = weakref.WeakSet()


@overload
def cors(policy: CORSPolicy, /) -> Callable[[_F], _F]: ...
@overload
def cors(name: str, /) -> Callable[[_F], _F]: ...
@overload
def cors(**options: Unpack[CORSOptions]) -> Callable[[_F], _F]: ...


def cors(policy: CORSPolicy | str | None = None, /, **kwargs: Any) -> Callable[[_F], _F]:
    """Give a path operation its CORS policy; write it under ``@router.get(...)``.

    ``@cors(allow_origins=[...], ...)`` takes CORSPolicy's keyword arguments;
    ``@cors(SHARED_POLICY)`` reuses a policy; ``@cors("account")`` names a policy that
    ``install(app, policies={"account": CORSPolicy(...)})`` gives (from the app's settings).
    Other decorators (auth, rate limits, caches) may go above or below it.
    """
    if isinstance(policy, str):
        if kwargs:
            raise CORSConfigError(
                f"@cors({policy!r}, ...) got both a policy name and keyword arguments: "
                f"write @cors({policy!r}) and give the options in install(app, "
                f"policies={{{policy!r}: CORSPolicy(...)}})"
            )
        return functools.partial(_attach, checked_name(policy))
    if policy is not None and not isinstance(policy, CORSPolicy):
        if callable(policy):
            raise CORSConfigError(
                "@cors needs parentheses: write @cors(allow_origins=[...]) or @cors(POLICY)"
            )
        raise CORSConfigError(
            f"@cors takes a CORSPolicy, a policy name or keyword arguments, not {policy!r}"
        )
    if policy is not None and kwargs:
        raise CORSConfigError(
            "@cors got both a policy and keyword arguments: pass one, e.g. @cors(POLICY) "
            "or @cors(allow_origins=[...])"
        )
    if policy is None:
        policy = CORSPolicy(**kwargs)  # a misspelt option is among the problems it lists
    return functools.partial(_attach, policy)


def no_cors(endpoint: _F) -> _F:
    """Opt one path operation out of the default policy (of its route class or of install)."""
    _check_not_registered(endpoint, "@no_cors")
    _mark(endpoint, OPTED_OUT)
    return endpoint


def _attach(policy: CORSPolicy | PolicyName, endpoint: _F) -> _F:
    _check_not_registered(endpoint, "@cors")
    _mark(endpoint, policy)
    checked = _checked(endpoint)
    if checked is not endpoint:
        _mark(checked, policy)
    return checked  # type: ignore[no-any-return]


def _unhonoured(endpoint: Any) -> CORSConfigError:
    found = marker(endpoint)
    if isinstance(found, PolicyName):
        return CORSConfigError(needs_install(found.name, endpoint))
    name = getattr(endpoint, "__qualname__", repr(endpoint))
    return CORSConfigError(
        f"{name} has @cors, but the route serving it applies no CORS policy, so it would "
        "answer without its CORS headers: call install(app, default=...) on the app, or "
        "declare the route on APIRouter(route_class=CORSRoute) (Starlette: "
        "cors_routes.starlette.CORSRoute)"
    )


def _checked(endpoint: Any) -> Any:
    """``endpoint`` behind a call-through that refuses to run unhandled (see the module
    docstring); a class or a callable object is returned as it is."""
    if not isinstance(endpoint, types.FunctionType):
        return endpoint
    # Everything the call-through uses is a closure variable: it runs with the endpoint's
    # globals, where none of these names exist.
    handled, unhonoured = _handled, _unhonoured
    if inspect.isasyncgenfunction(endpoint):

        async def call(*args: Any, **kwargs: Any) -> Any:
            if not handled.get():
                raise unhonoured(endpoint)
            async for item in endpoint(*args, **kwargs):
                yield item

    elif inspect.iscoroutinefunction(endpoint):

        async def call(*args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]
            if not handled.get():
                raise unhonoured(endpoint)
            return await endpoint(*args, **kwargs)

    elif inspect.isgeneratorfunction(endpoint):

        def call(*args: Any, **kwargs: Any) -> Any:
            if not handled.get():
                raise unhonoured(endpoint)
            return (yield from endpoint(*args, **kwargs))

    else:

        def call(*args: Any, **kwargs: Any) -> Any:
            if not handled.get():
                raise unhonoured(endpoint)
            return endpoint(*args, **kwargs)

    # The endpoint's own globals: frameworks that resolve string annotations (FastAPI
    # 0.115 does not unwrap first) look them up in the function's __globals__.
    rebuilt = types.FunctionType(
        call.__code__, endpoint.__globals__, call.__name__, None, call.__closure__
    )
    return functools.wraps(endpoint)(rebuilt)


def _mark(endpoint: Callable[..., Any], value: _Marker) -> None:
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


def marker(endpoint: object) -> _Marker | None:
    """What ``@cors``/``@no_cors`` put on ``endpoint`` (or on what it wraps), if anything:
    a policy, ``OPTED_OUT``, or the ``PolicyName`` of ``@cors("name")``.

    Partials and wrappers that set ``__wrapped__`` without copying ``__dict__``
    (``functools.wraps(f, updated=())``, some class-based decorators) are looked through. A
    class's marker is its own, never one inherited from a decorated base class.
    """
    for _ in range(16):  # a partial of a wrapper of a partial...: bounded
        if isinstance(endpoint, type):
            value = vars(endpoint).get(_POLICY_ATTR)
        else:
            value = getattr(endpoint, _POLICY_ATTR, None)
        if isinstance(value, (CORSPolicy, _OptedOut, PolicyName)):
            return value
        if isinstance(endpoint, functools.partial):
            endpoint = endpoint.func
            continue
        if isinstance(endpoint, type):
            return None
        wrapped = getattr(endpoint, "__wrapped__", None)
        if wrapped is None or wrapped is endpoint:
            return None
        endpoint = wrapped
    return None


def _endpoint_policy(endpoint: object) -> CORSPolicy | None:
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
