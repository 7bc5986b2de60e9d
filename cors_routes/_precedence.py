"""Which policy a route has: the one statement of the precedence rule.

The endpoint's own ``@cors`` (or ``@no_cors``), then the route class's ``cors_policy``, then
the ``install()`` default. Route classes, ``install()``, ``routes``, ``check``, ``explain``
and the lint all ask :func:`policy_of`.
"""

from __future__ import annotations

from typing import Any

from .decorators import OPTED_OUT, marker
from .policy import CORSPolicy

FROM_DECORATOR = "@cors"
FROM_ROUTE_CLASS = "route-class default"
FROM_INSTALL = "install default"
OPTED_OUT_SOURCE = "no_cors"
NO_POLICY = ""


def honours_policies(route: Any) -> bool:
    """Whether ``route`` applies a policy by itself, without ``install()``: a CORS route
    class (every such class has a ``cors_policy`` attribute, None or a policy)."""
    cls = type(route)
    return hasattr(cls, "cors_policy") and hasattr(cls, "x_cors")


def policy_of(
    route: Any, default: CORSPolicy | None, *, installed: bool
) -> tuple[CORSPolicy | None, str]:
    """(the policy ``route`` answers with, where it comes from).

    ``installed``: the app's CORS comes from ``install(app, default=default)``; otherwise
    only a CORS route class applies a policy, and ``default`` is ignored.
    """
    found = marker(getattr(route, "endpoint", None))
    if not installed and not honours_policies(route):
        return None, OPTED_OUT_SOURCE if found is OPTED_OUT else NO_POLICY
    if found is OPTED_OUT:
        return None, OPTED_OUT_SOURCE
    if isinstance(found, CORSPolicy):
        return found, FROM_DECORATOR
    class_default = getattr(type(route), "cors_policy", None)
    if isinstance(class_default, CORSPolicy):
        return class_default, FROM_ROUTE_CLASS
    if installed and default is not None:
        return default, FROM_INSTALL
    return None, NO_POLICY
