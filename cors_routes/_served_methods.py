"""Which methods a route serves, as the framework dispatches them.

A preflight is granted only for a method the route serves. Most routes list theirs
(``route.methods``); a route whose endpoint is a class has none (``methods is None``), and
for Starlette's ``HTTPEndpoint`` the class's handler methods decide.
"""

from __future__ import annotations

from typing import Any

from starlette.endpoints import HTTPEndpoint

from ._framework import served_by_class_endpoint


def served_methods(route: Any) -> frozenset[str] | None:
    """The methods ``route`` serves; None for any method (an ASGI app as endpoint)."""
    methods = getattr(route, "methods", None)
    if methods is not None:
        return frozenset(methods)
    endpoint = getattr(route, "endpoint", None)
    if isinstance(endpoint, type) and issubclass(endpoint, HTTPEndpoint):
        return served_by_class_endpoint(endpoint)
    return None
