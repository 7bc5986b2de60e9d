"""Which methods a route serves, as the framework dispatches them.

A preflight is granted only for a method the route serves. Most routes list theirs
(``route.methods``); a route whose endpoint is a class has none (``methods is None``), and
for Starlette's ``HTTPEndpoint`` the class's handler methods decide.
"""

from __future__ import annotations

from typing import Any

from starlette.endpoints import HTTPEndpoint

# The methods HTTPEndpoint dispatches to a handler of the same lower-case name (HEAD falls
# back to ``get``); any other method is answered 405 by the endpoint.
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
    """The methods an ``HTTPEndpoint`` class has handlers for."""
    has_get = getattr(endpoint, "get", None) is not None
    return frozenset(
        method
        for method in _ENDPOINT_METHODS
        if getattr(endpoint, method.lower(), None) is not None or (method == "HEAD" and has_get)
    )
