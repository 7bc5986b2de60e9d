"""Which policy a route has: the one statement of the precedence rule.

1. the endpoint's own ``@cors(POLICY)``, ``@cors("name")`` (resolved by
   ``install(policies=...)``) or ``@no_cors``;
2. the route class's ``cors_policy``;
3. under ``install()``, the policy of the longest ``paths`` prefix covering the path;
4. the ``install()`` default.

Route classes, ``install()``, ``routes``, ``check``, ``explain`` and the lint all ask
:func:`policy_of` (or its two halves, :func:`own_policy` and :func:`located_policy`, which
``install()`` asks apart: a route's own policy is decided once, its path's per request).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from . import _selection
from ._path_policies import PathPolicies
from ._policy_names import PolicyName, unresolved
from .decorators import OPTED_OUT, marker
from .exceptions import CORSConfigError
from .policy import CORSPolicy

FROM_DECORATOR = "@cors"
FROM_ROUTE_CLASS = "route-class default"
FROM_INSTALL = "install default"
OPTED_OUT_SOURCE = "no_cors"
NO_POLICY = ""
_PATH_SOURCE = "path "

Found = tuple[CORSPolicy | None, str]
_NO_NAMES: Mapping[str, CORSPolicy | None] = {}


def named_source(name: str) -> str:
    """The source of a policy ``@cors(name)`` resolved: ``@cors("account")``."""
    return f'@cors("{name}")'


def path_source(prefix: str) -> str:
    """The source of a policy ``install(paths=...)`` gave: ``path /auth``."""
    return _PATH_SOURCE + prefix


def from_endpoint(source: str) -> bool:
    """Whether the endpoint's own ``@cors`` (a policy or a name) decided."""
    return source.startswith(FROM_DECORATOR)


def from_app(source: str) -> bool:
    """Whether ``install()``'s default or one of its ``paths`` decided: app-level settings,
    in which an unset ``allow_methods`` means CORSMiddleware's ``GET``."""
    return source == FROM_INSTALL or source.startswith(_PATH_SOURCE)


def honours_policies(route: Any) -> bool:
    """Whether ``route`` applies a policy by itself, without ``install()``: a CORS route
    class (every such class has a ``cors_policy`` attribute, None or a policy)."""
    cls = type(route)
    return hasattr(cls, "cors_policy") and hasattr(cls, "x_cors")


class UnresolvedName(CORSConfigError):
    """``@cors("name")`` under an ``install()`` that was not given the name."""


def own_policy(
    route: Any, *, installed: bool, names: Mapping[str, CORSPolicy | None] = _NO_NAMES
) -> Found | None:
    """(policy, source) from the endpoint or the route class (levels 1 and 2); None when
    neither decides, and the path or the default does.

    Without ``install()`` a name cannot be resolved: (None, its source) is returned, and the
    route refuses to serve it (``_route_mixin``), as the lint says.
    """
    found = marker(getattr(route, "endpoint", None))
    if not installed and not honours_policies(route):
        return None, OPTED_OUT_SOURCE if found is OPTED_OUT else NO_POLICY
    if found is OPTED_OUT:
        return None, OPTED_OUT_SOURCE
    if isinstance(found, CORSPolicy):
        return found, FROM_DECORATOR
    if isinstance(found, PolicyName):
        if not installed:
            return None, named_source(found.name)
        if found.name not in names:
            where = f"path {getattr(route, 'path', '?')}"
            raise UnresolvedName(unresolved(found.name, route.endpoint, where, names))
        return names[found.name], named_source(found.name)
    class_default = getattr(type(route), "cors_policy", None)
    if isinstance(class_default, CORSPolicy):
        return class_default, FROM_ROUTE_CLASS
    if not installed:
        return None, NO_POLICY
    return None


def located_policy(default: CORSPolicy | None, paths: PathPolicies | None, path: str) -> Found:
    """(policy, source) for what stands at ``path`` without a policy of its own (levels 3
    and 4): a route, a 404, a mounted app. ``path`` is relative to the app's root path."""
    if paths is not None:
        found = paths.lookup(path)
        if found is not None:
            return found[1], path_source(found[0])
    return (default, FROM_INSTALL) if default is not None else (None, NO_POLICY)


def policy_of(
    route: Any,
    default: CORSPolicy | None,
    *,
    installed: bool,
    names: Mapping[str, CORSPolicy | None] = _NO_NAMES,
    paths: PathPolicies | None = None,
    path: str | None = None,
) -> Found:
    """(the policy ``route`` answers with, where it comes from).

    ``installed``: the app's CORS comes from ``install(app, default=default, policies=names,
    paths=paths)``; otherwise only a CORS route class applies a policy, and the rest is
    ignored. ``path``: the route's full path template (prefixes of mounts and included
    routers applied), matched against ``paths`` by its literal start; None: ``paths`` is
    not asked.
    """
    found = own_policy(route, installed=installed, names=names)
    if found is not None:
        return found
    if paths is not None and path is not None:
        covering = paths.covering_template(path)
        if covering is not None:
            return covering[1], path_source(covering[0])
    return (default, FROM_INSTALL) if default is not None else (None, NO_POLICY)


def unresolved_names(app: Any, names: Mapping[str, CORSPolicy | None]) -> list[str]:
    """A message for every ``@cors("name")`` endpoint of ``app`` whose name ``names`` lacks."""
    problems = []
    for walked, name in named_routes(app):
        if name not in names:
            methods = getattr(walked.declared, "methods", None)
            where = f"{', '.join(sorted(methods))} {walked.path}" if methods else walked.path
            endpoint = getattr(walked.declared, "endpoint", None)
            problems.append(unresolved(name, endpoint, where, names))
    return list(dict.fromkeys(problems))


def named_routes(app: Any) -> Iterator[tuple[_selection.Walked, str]]:
    """Every route of ``app`` whose endpoint names its policy, with the name."""
    for walked in _selection.walk(app):
        found = marker(getattr(walked.declared, "endpoint", None))
        if isinstance(found, PolicyName):
            yield walked, found.name
