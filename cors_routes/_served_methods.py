"""Which methods a route serves, as the framework dispatches them.

A preflight is granted only for a method the route serves. Most routes list theirs
(``route.methods``); a route whose endpoint is a class has none (``methods is None``), and
for Starlette's ``HTTPEndpoint`` the class's handler methods decide.
"""

from __future__ import annotations

import functools
from typing import Any

from starlette.endpoints import HTTPEndpoint

# Starlette 1.x dispatches these methods to a handler of the same lower-case name (HEAD falls
# back to ``get``); older lines dispatch any method that names a handler.
_ENDPOINT_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "QUERY")


def served_methods(route: Any) -> frozenset[str] | None:
    """The methods ``route`` serves; None for any method (an ASGI app as endpoint)."""
    methods = getattr(route, "methods", None)
    if methods is not None:
        return frozenset(methods)
    endpoint = getattr(route, "endpoint", None)
    if isinstance(endpoint, type) and issubclass(endpoint, HTTPEndpoint):
        return endpoint_methods(endpoint)
    return None


def endpoint_methods(endpoint: type[HTTPEndpoint]) -> frozenset[str]:
    """The methods an ``HTTPEndpoint`` class has handlers for, as this Starlette dispatches."""
    has_get = getattr(endpoint, "get", None) is not None
    if _dispatches_a_fixed_list():
        candidates: tuple[str, ...] = _ENDPOINT_METHODS
    else:
        base = set(dir(HTTPEndpoint))
        candidates = tuple(
            name.upper()
            for name in dir(endpoint)
            if name.islower() and not name.startswith("_") and name not in base
        )
    served = {method for method in candidates if callable(getattr(endpoint, method.lower(), None))}
    if has_get:
        served.add("HEAD")
    return frozenset(served)


@functools.cache
def _dispatches_a_fixed_list() -> bool:
    # Starlette 1.x dispatches only the methods of its list (dispatch() checks
    # self._allowed_methods); older lines look a handler up by any request method.
    return "_allowed_methods" in HTTPEndpoint.dispatch.__code__.co_names
