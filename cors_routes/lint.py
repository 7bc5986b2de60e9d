"""The CORS lint: configurations that load fine but fail in a browser, or are risky.

``check_app(app)`` returns the findings; ``cors-routes check APP`` prints them, and the first
request a CORS route handles reports them once per app as warnings (see ``_startup``).
Everything here reads the app's routes and policies; nothing sends a request.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from starlette.convertors import CONVERTOR_TYPES

from . import _origin_probes, _selection
from ._installation import installation_of
from ._inventory import RouteInfo, is_cors_middleware, iter_routes, unwrap
from ._origin_request import probe_request
from ._precedence import FROM_INSTALL, from_app, honours_policies, own_policy
from ._selection import Partial, Served
from .policy import CORSPolicy

__all__ = ["CORSLintWarning", "Finding", "check_app"]

_ERROR = "error"
_WARNING = "warning"

# Values a path parameter can take that more than one convertor accepts (str takes all but
# the ones with a slash, path all of them, int "1", float "1" and "1.5", uuid the UUID): a
# concrete path two templates share is a combination of these.
_PARAMETER_VALUES = ("1", "1.5", "00000000-0000-4000-8000-000000000000", "x", "x/y", "")
_MAX_SAMPLES = 64
_PARAM = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)(?::([a-zA-Z_][a-zA-Z0-9_]*))?}")


class CORSLintWarning(UserWarning):
    """A finding of the CORS lint, reported when an app starts serving CORS routes."""


@dataclass(frozen=True)
class Finding:
    severity: str  # "error" or "warning"
    code: str
    where: str
    """The first (or only) place the finding applies to: a route's label, or "app"."""
    message: str
    routes: tuple[str, ...] = ()
    """Every place it applies to, ``where`` first (empty: ``where`` alone)."""
    shared_policy: str = ""
    """When the finding is about a policy its routes share rather than about the routes,
    which one: ``"install() default"``; else empty."""

    @property
    def places(self) -> tuple[str, ...]:
        return self.routes or (self.where,)

    def summary(self) -> str:
        """``GET /a; GET /b and 3 more``: the places, shortened (labels may hold commas); for
        a shared policy, ``the install() default policy (42 routes)``."""
        if not self.shared_policy:
            return _shorten(self.places)
        count = len(self.places)
        routes = _shorten(self.places) if count <= 3 else f"{count} routes"
        return f"the {self.shared_policy} policy ({routes})"

    def __str__(self) -> str:
        return f"{self.severity} [{self.code}] {self.summary()}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "code": self.code,
            "where": self.where,
            "routes": list(self.places),
            "policy": self.shared_policy or None,
            "message": self.message,
        }


def _shorten(places: Iterable[str], shown: int = 3) -> str:
    """``A``, ``A and B``, ``A; B and C``, ``A; B; C and 2 more``."""
    places = list(places)
    if len(places) <= shown:
        return "; ".join(places[:-1]) + " and " + places[-1] if len(places) > 1 else "".join(places)
    return "; ".join(places[:shown]) + f" and {len(places) - shown} more"


def _group(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per (severity, code, message), naming every place it applies to, in the
    order they first appear."""
    merged: dict[tuple[str, str, str], list[Finding]] = {}
    for finding in findings:
        merged.setdefault((finding.severity, finding.code, finding.message), []).append(finding)
    grouped = []
    for same in merged.values():
        places = list(dict.fromkeys(place for finding in same for place in finding.places))
        first = same[0]
        grouped.append(
            Finding(
                first.severity,
                first.code,
                places[0],
                first.message,
                tuple(places) if len(places) > 1 else (),
                first.shared_policy,
            )
        )
    return grouped


def check_app(app: Any, *, call_async_predicates: bool = True) -> list[Finding]:
    """Every finding of the lint for ``app``, errors first; identical findings about several
    routes are one finding naming them all (``Finding.routes``).

    ``call_async_predicates=False`` skips probing async ``allow_origin_func`` predicates
    (they need an event loop of their own).
    """
    routes = iter_routes(app)
    findings = _group(
        [
            *_cors_middleware(app, routes),
            *_ignored_policies(routes),
            *_uncovered_routes(app, routes),
            *_hidden_routes(routes),
            *_shadowed_preflights(app, routes),
            *_slash_redirects(routes),
            *_suspicious_policies(routes, call_async_predicates),
            *_named_and_path_policies(app, routes),
        ]
    )
    return sorted(findings, key=lambda finding: finding.severity != _ERROR)


# -- Starlette's CORSMiddleware together with CORS routes --------------------------------------


def _cors_middleware(app: Any, routes: list[RouteInfo]) -> Iterator[Finding]:
    cors_routes = [info for info in routes if info.policy is not None and info.kind == "http"]
    if not cors_routes:
        return
    layers = {cls for info in cors_routes for cls in info.middleware if is_cors_middleware(cls)}
    layers |= {cls for cls in unwrap(app)[0] if is_cors_middleware(cls)}
    if not layers:
        return
    affected = [info for info in cors_routes if any(cls in layers for cls in info.middleware)]
    shown = ", ".join(info.label() for info in affected[:3])
    more = f" and {len(affected) - 3} more" if len(affected) > 3 else ""
    yield Finding(
        _ERROR,
        "cors-middleware",
        "app",
        f"Starlette's CORSMiddleware is installed on an app with CORS routes ({shown}{more}): "
        "it answers every preflight before routing, so their policies never decide one, and "
        "it adds a second set of CORS headers to their responses. Remove the middleware and "
        "pass its arguments to install(app, default=CORSPolicy(...)), which gives every "
        "other route that policy",
    )


# -- @cors on a route class that ignores it ----------------------------------------------------


def _ignored_policies(routes: list[RouteInfo]) -> Iterator[Finding]:
    for info in routes:
        if info.ignored_policy is None:
            continue
        fix = (
            "call install(app, default=...) once for the whole app, or serve it with a CORS "
            "route class: APIRouter(route_class=CORSRoute), or cors_routes.starlette.CORSRoute "
            "in a plain Starlette app (a Starlette route inside a FastAPI include_router is "
            "rebuilt as a plain Route: declare it on the app itself)"
        )
        yield Finding(
            _ERROR,
            "ignored-policy",
            info.label(),
            f"{info.name} has a @cors policy but its route class {info.route_class} does not "
            f"honour it, so it answers without CORS headers: {fix}",
        )


# -- routes behind a mount's own middleware ------------------------------------------------------


def _hidden_routes(routes: list[RouteInfo]) -> Iterator[Finding]:
    """Under install(), a mount whose own middleware stands before its routes (which may
    rewrite the path) hides which route serves: its preflights are granted only by a policy
    every route in there shares, so a route whose policy differs cannot be reached."""
    mounts = [info for info in routes if info.kind == "mount" and info.installed]
    for mount in mounts:
        inside = [
            info
            for info in routes
            if info.kind == "http" and info.hidden and mount.path in info.mount_paths
        ]
        policies = {id(info.policy): info.policy for info in inside}
        if len(policies) <= 1:
            continue
        for info in inside:
            if from_app(info.source):  # the default or a path's: what the mount answers with
                continue
            yield Finding(
                _ERROR,
                "hidden-route",
                info.label(),
                f"middleware inside {mount.label()} stands before this route and may rewrite "
                "the path, so install() cannot tell which route a preflight there is for: "
                "preflights into the mount are refused and its responses get no CORS, because "
                "its routes have different policies. Call install() on the mounted app itself, "
                "or move the middleware out of the mount",
            )


# -- routes without CORS in an app that has CORS routes ------------------------------------------


def _uncovered_routes(app: Any, routes: list[RouteInfo]) -> Iterator[Finding]:
    """Without install(), every HTTP route that has no policy (and did not opt out) in an
    app where others have one: typically the routers a migration from CORSMiddleware missed
    (other modules' APIRouter()s, a library's router). FastAPI's own docs and OpenAPI
    routes are a warning: nothing can decorate them, and few apps read them cross-origin."""
    http = [info for info in routes if info.kind == "http"]
    if any(info.installed for info in http) or not any(info.policy for info in http):
        return
    docs = _docs_paths(unwrap(app)[1])
    for info in http:
        if info.policy is not None or info.opted_out or info.ignored_policy is not None:
            continue
        if info.policy_name is not None:
            continue  # named-policy-without-install says it
        if info.methods is not None and not info.methods - {"OPTIONS"}:
            continue  # an OPTIONS handler: browsers send OPTIONS only as preflights
        if info.path in docs:
            yield Finding(
                _WARNING,
                "uncovered-route",
                info.label(),
                "FastAPI's docs and OpenAPI routes have no CORS policy, so a page on another "
                "origin cannot read them: install(app, default=CORSPolicy(...)) covers them",
            )
            continue
        yield Finding(
            _ERROR,
            "uncovered-route",
            info.label(),
            f"has no CORS policy ({info.route_class}) in an app whose other routes have one, "
            "so browsers on other origins are refused there (routes declared on another "
            "APIRouter, a library's router): give the whole app a default with "
            "install(app, default=CORSPolicy(...)), serve it with a CORS route class, or mark "
            "it @no_cors if it must have none",
        )


def _docs_paths(app: Any) -> frozenset[str]:
    names = ("openapi_url", "docs_url", "redoc_url", "swagger_ui_oauth2_redirect_url")
    return frozenset(
        value for value in (getattr(app, name, None) for name in names) if isinstance(value, str)
    )


# -- preflights that never reach their CORS route ----------------------------------------------


def _sample_path(path: str) -> str:
    """A concrete path the template ``path`` matches (the first of :func:`_sample_paths`)."""
    samples = _sample_paths(path)
    return samples[0] if samples else _PARAM.sub("x", path)


@functools.lru_cache(maxsize=4096)
def _sample_paths(path: str, extra_values: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Concrete paths the template ``path`` matches, convertor by convertor: each parameter
    takes the values of ``_PARAMETER_VALUES`` and ``extra_values`` its convertor accepts (a
    custom convertor is asked through its regex), combined, at most ``_MAX_SAMPLES``."""
    pieces = _PARAM.split(path)  # literal, name, convertor, literal, name, convertor, ...
    literals = pieces[::3]
    choices = []
    for convertor_name in pieces[2::3]:
        convertor = CONVERTOR_TYPES.get(convertor_name or "str")
        if convertor is None:  # not registered: the route cannot be built either
            return ()
        accepts = re.compile(convertor.regex)
        candidates = dict.fromkeys((*_PARAMETER_VALUES, *extra_values))
        values = [value for value in candidates if accepts.fullmatch(value)]
        if not values:
            return ()
        choices.append(values)
    samples = []
    for combination in itertools.islice(itertools.product(*choices), _MAX_SAMPLES):
        parts = [literals[0]]
        for value, literal in zip(combination, literals[1:], strict=True):
            parts += [value, literal]
        samples.append("".join(parts))
    return tuple(samples)


_ONE_SEGMENT_CONVERTORS = frozenset({"str", "int", "float", "uuid"})


@functools.lru_cache(maxsize=4096)
def _shape(path: str) -> tuple[str | None, ...] | None:
    """The template's segments (None for one with a parameter), or None when a parameter
    may span segments (``path``, custom convertors)."""
    if any((name or "str") not in _ONE_SEGMENT_CONVERTORS for _, name in _PARAM.findall(path)):
        return None
    return tuple(None if "{" in segment else segment for segment in path.split("/"))


def _may_overlap(first: str, second: str) -> bool:
    """A cheap test that rules out most pairs of templates that share no path."""
    one, two = _shape(first), _shape(second)
    if one is None or two is None:
        head, other = first.split("{", 1)[0], second.split("{", 1)[0]
        return head.startswith(other) or other.startswith(head)
    if len(one) != len(two):
        return False
    return all(a is None or b is None or a == b for a, b in zip(one, two, strict=True))


def _segments(path: str) -> tuple[str, ...]:
    """The literal path segments of a template: values a parameter elsewhere may take."""
    literal = _PARAM.sub("/", path)
    return tuple(dict.fromkeys(segment for segment in literal.split("/") if segment))


def _samples_against(later: RouteInfo, earlier: RouteInfo) -> tuple[str, ...]:
    """Sample paths of ``later``, trying the literal segments of ``earlier`` as values too."""
    return _sample_paths(later.path, _segments(earlier.path))


def _common_path(earlier: RouteInfo, later: RouteInfo) -> str | None:
    """A concrete path both routes match, or None if none is found."""
    if earlier.regex.pattern == later.regex.pattern:
        return _sample_path(later.path)
    if not _may_overlap(earlier.path, later.path):
        return None
    for sample in (*_samples_against(later, earlier), *_samples_against(earlier, later)):
        if earlier.regex.match(sample) and later.regex.match(sample):
            return sample
    return None


def _covers(earlier: RouteInfo, later: RouteInfo) -> bool:
    """Whether ``earlier`` matches every sample path of ``later``."""
    return earlier.regex.pattern == later.regex.pattern or all(
        earlier.regex.match(sample) for sample in _sample_paths(later.path)
    )


def _shadowed_preflights(app: Any, routes: list[RouteInfo]) -> Iterator[Finding]:
    """Route classes only (install() answers preflights before routing): a preflight goes
    where the router sends an OPTIONS request, and only a CORS route there finds the
    route whose policy answers it."""
    if not any(
        info.policy is not None and info.kind == "http" and not info.installed for info in routes
    ):
        return  # no route-class route to check: no index of every route
    router = _selection.router_of(unwrap(app)[1])
    by_route = {id(info.route): info for info in routes}
    neighbours = _Neighbours(routes)
    for index, info in enumerate(routes):
        if info.policy is None or info.kind != "http" or info.installed:
            continue
        near = neighbours.of(info)
        earlier = [entry for entry in near if entry.order < index]
        mount = _earlier_mount(earlier, info)
        if mount is not None:
            yield Finding(
                _ERROR,
                "shadowed-route",
                info.label(),
                f"{mount.label()} is declared before it and takes every request under "
                f"{mount.path}, preflights included, so this route is never reached: "
                "declare the route before the mount",
            )
            continue
        taken = list(_taken_by_earlier_route(earlier, info))
        yield from taken
        finding = None if taken or router is None else _preflight_taken(router, by_route, info)
        if finding is not None:
            yield finding


def _earlier_mount(earlier: list[_Ordered], info: RouteInfo) -> _Ordered | None:
    for entry in earlier:
        if entry.kind != "mount" or entry.path in info.mount_paths:
            continue
        if any(entry.regex.match(sample) for sample in _samples_against(info, entry.info)):
            return entry
    return None


class _Neighbours:
    """The routes of the same router level that may share a path with a route, in order.

    Indexed by their leading literal segments (a trie): two paths whose literal segments
    differ at some position, with only literal segments before it, match no common URL, so
    a route is compared only with the routes at the nodes above its own and below it. An
    app whose routes all live under ``/api/v1/`` is not compared pair by pair.
    """

    def __init__(self, routes: list[RouteInfo]) -> None:
        self._roots: dict[tuple[str, ...], _Node] = {}
        for order, info in enumerate(routes):
            if info.kind not in ("http", "mount"):
                continue
            node = self._roots.setdefault(info.mount_paths, _Node())
            for segment in _literal_segments(info.path):
                node = node.children.setdefault(segment, _Node())
            node.here.append(_Ordered(order, info))

    def of(self, info: RouteInfo) -> list[_Ordered]:
        node = self._roots.get(info.mount_paths)
        found: list[_Ordered] = []
        for segment in _literal_segments(info.path):
            if node is None:
                break
            found += node.here
            node = node.children.get(segment)
        stack = [node] if node is not None else []
        while stack:
            below = stack.pop()
            found += below.here
            stack += below.children.values()
        return sorted(found, key=_by_order)


class _Node:
    __slots__ = ("children", "here")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.here: list[_Ordered] = []


def _literal_segments(path: str) -> list[str]:
    """The path's segments up to the first one holding a parameter (which may match
    anything there, or, for a ``:path`` parameter, several segments)."""
    segments = []
    for segment in path.split("/")[1:]:
        if "{" in segment:
            break
        segments.append(segment)
    return segments


def _by_order(entry: _Ordered) -> int:
    return entry.order


@dataclass(frozen=True)
class _Ordered:
    order: int
    info: RouteInfo

    def __getattr__(self, name: str) -> Any:
        return getattr(self.info, name)


def _request(path: str, method: str) -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}


def _preflight_taken(
    router: Any, by_route: dict[int, RouteInfo], info: RouteInfo
) -> Finding | None:
    """The route the router sends this route's preflights to, when it is not a CORS route.

    Both questions are asked of ``_selection.select``, the router's own matching: where the
    actual request goes (this route, for the paths checked) and where an OPTIONS request
    goes (the first route that serves OPTIONS, a mount, a catch-all, else the first partial
    match); only a CORS route there finds the route whose policy answers.
    """
    methods = sorted((info.methods or frozenset({"GET"})) - {"HEAD", "OPTIONS"}) or ["GET"]
    elsewhere: Any = None
    reached = False
    for sample in _sample_paths(info.path)[:16]:
        served_here = False
        for method in methods:
            served = _selection.select(router, _request(sample, method), method)
            if isinstance(served, Served) and served.route is info.route:
                served_here = True
                break
            if isinstance(served, Served) and elsewhere is None:
                elsewhere = (served.route, method, sample)
        if not served_here:
            continue  # this route does not serve the request there: nothing to answer
        reached = True
        options = _selection.select(router, _request(sample, "OPTIONS"), "OPTIONS")
        if isinstance(options, (Served, Partial)):
            if honours_policies(options.route):
                continue
            pick = by_route.get(id(options.route))
            name = f"{pick.label()} ({pick.name})" if pick is not None else repr(options.route)
            catches = pick is not None and (pick.methods is None or "OPTIONS" in pick.methods)
            if catches:
                what = (
                    f"{name} serves "
                    + ("every method" if pick is not None and pick.methods is None else "OPTIONS")
                    + " there, and the router prefers it for an OPTIONS request wherever it is "
                    "declared"
                )
                fix = "drop that route (preflights are answered automatically) or use install()"
            else:
                what = (
                    f"{name}, a route without CORS, is the first route on that path, where "
                    "the router sends an OPTIONS request"
                )
                fix = (
                    "serve it with the same CORS route class (a route without a policy "
                    "answers as APIRoute does), or use install(app, default=...), which "
                    "answers preflights before routing"
                )
        else:
            mount = getattr(options, "mount", None)
            where = (
                f"Mount {getattr(mount, 'path', '')} takes every request under it"
                if mount is not None
                else "an earlier mount takes the OPTIONS request and its app answers 404"
                if isinstance(options, _selection.NotFound)
                else "the router redirects it"
            )
            what = where
            fix = "declare the route before the mount, or use install(app, default=...)"
        covering = by_route.get(id(getattr(options, "route", None)))
        paths = (
            ""
            if covering is not None and _covers(covering, info)
            else f" for paths such as {sample}"
        )
        return Finding(
            _ERROR,
            "shadowed-preflight",
            info.label(),
            f"its preflights{paths} never reach cors_routes: {what}, so it answers them "
            f"itself and this route's policy is never asked: {fix}",
        )
    if not reached and elsewhere is not None:
        other, method, sample = elsewhere
        pick = by_route.get(id(other))
        name = f"{pick.label()} ({pick.name})" if pick is not None else repr(other)
        return Finding(
            _ERROR,
            "shadowed-route",
            info.label(),
            f"{name} serves {method} {sample} before it, preflights included, so this "
            "route is never reached: declare it first, or drop the other route",
        )
    return None


def _taken_by_earlier_route(earlier: list[_Ordered], info: RouteInfo) -> Iterator[Finding]:
    """A route without a policy (any class, @no_cors included), earlier on a path this one
    matches too, serving one of its methods: the actual request goes there (no CORS
    headers), and so does its preflight; this route's policy answers neither."""
    served = info.methods or frozenset()
    for entry in earlier:
        other = entry.info
        if other.kind != "http" or other.policy is not None or other.methods is None:
            continue
        common = (other.methods & served) - {"HEAD", "OPTIONS"}
        if not common:
            continue
        shared = _common_path(other, info)
        if shared is None:
            continue
        if other.regex.pattern == info.regex.pattern:
            where = "on the same path"
        elif _covers(other, info):
            where = f"on every path this route matches ({shared}, ...)"
        else:
            where = f"on a path this route matches too ({shared})"
        yield Finding(
            _ERROR,
            "shadowed-route",
            info.label(),
            f"{other.label()} ({other.name}) is declared before it {where} and serves "
            f"{', '.join(sorted(common))}, so those requests (and their preflights) reach it, "
            "without CORS, and this route's policy never answers them: remove the duplicate "
            "or give it the policy",
        )
        return


# -- trailing-slash redirects ------------------------------------------------------------------


def _has_slash_redirect_middleware(info: RouteInfo) -> bool:
    try:
        from .redirects import CORSSlashRedirects
    except ImportError:  # pragma: no cover - shipped with the package
        return False
    return any(issubclass(cls, CORSSlashRedirects) for cls in info.middleware)


def _slash_redirects(routes: list[RouteInfo]) -> Iterator[Finding]:
    for info in routes:
        if info.policy is None or info.kind != "http" or not info.redirect_slashes:
            continue
        if info.installed:
            continue  # install() gives the redirect its target's answer
        if _has_slash_redirect_middleware(info):
            continue
        if info.path == "/" or not info.path.endswith("/"):
            continue
        served = [other for other in routes if other.kind == "http"]
        bare = _sample_paths(info.path.rstrip("/"))
        if all(any(other.regex.match(path) for other in served) for path in bare):
            continue
        yield Finding(
            _WARNING,
            "slash-redirect",
            info.label(),
            f"{info.path} ends with a slash: a browser calling {info.path.rstrip('/')} gets "
            "the router's 307 redirect, which carries no CORS headers (and a preflight "
            "answered with a redirect fails), so it is blocked. Declare the path without the "
            'trailing slash (with a prefix, @router.get("") instead of "/"), or add '
            "app.add_middleware(cors_routes.redirects.CORSSlashRedirects), which gives the "
            "redirect its target's CORS answer",
        )


# -- named policies and policies by path ------------------------------------------------------


def _named_and_path_policies(app: Any, routes: list[RouteInfo]) -> Iterator[Finding]:
    """``@cors("name")`` where no install() resolves names; ``install(policies=...)`` and
    ``install(paths=...)`` entries that cover nothing, or only some paths of a route."""
    for info in routes:
        if info.policy_name is not None and not info.installed:
            yield Finding(
                _ERROR,
                "named-policy-without-install",
                info.label(),
                f'{info.name} has @cors("{info.policy_name}"), a policy name, and only '
                "install() resolves names, so the route refuses every request (a "
                f"CORSConfigError): call install(app, policies={{'{info.policy_name}': "
                "CORSPolicy(...)}), or write the policy itself, @cors(POLICY)",
            )
    installation = installation_of(unwrap(app)[1])
    if installation is None:
        return
    used = {info.policy_name for info in routes if info.policy_name is not None}
    for name in installation.names:
        if name not in used:
            yield Finding(
                _WARNING,
                "unused-policy",
                "app",
                f"install(policies=...) names {name!r}, which no endpoint uses: write "
                f"@cors({name!r}) on the endpoints it is for, or remove the entry",
            )
    paths = installation.paths
    if paths is None:
        return
    located = [info for info in routes if info.kind in ("http", "mount")]
    for prefix in paths.prefixes:
        covered = [info for info in located if info.source == f"path {prefix}"]
        partial = [
            info
            for info in located
            if _falls_to_path(info, installation)
            and prefix in paths.within_template(_template(info))
        ]
        for info in partial:
            yield Finding(
                _WARNING,
                "partial-path",
                info.label(),
                f"install(paths=...) prefix {prefix!r} covers only some paths this route "
                f"serves: requests under {prefix} get its policy, the others "
                f"{info.source or 'no CORS'}; give the route its own @cors, or a prefix "
                "that covers all of it",
            )
        if not covered and not partial:
            yield Finding(
                _WARNING,
                "unused-path",
                "app",
                f"install(paths=...) prefix {prefix!r} covers no route or mount (only 404s): "
                "prefixes are paths as `cors-routes routes` shows them (include and mount "
                "prefixes applied, the root path left out); correct it, or remove the entry",
            )


def _template(info: RouteInfo) -> str:
    return info.path.rstrip("/") + "/{path:path}" if info.kind == "mount" else info.path


def _falls_to_path(info: RouteInfo, installation: Any) -> bool:
    """The route has no policy of its own (endpoint, route class): the path decides."""
    if info.kind == "mount":
        return not getattr(info.route, "routes", None)
    return own_policy(info.route, installed=True, names=installation.names) is None


# -- legal but suspicious policies -------------------------------------------------------------


def _suspicious_policies(routes: list[RouteInfo], call_async: bool) -> Iterator[Finding]:
    seen: dict[int, list[RouteInfo]] = {}
    policies: dict[int, CORSPolicy] = {}
    for info in routes:
        if info.policy is not None and info.kind == "http":
            seen.setdefault(id(info.policy), []).append(info)
            policies[id(info.policy)] = info.policy
    for key, users in seen.items():
        labels = tuple(user.label() for user in users)
        # Policies the app gives (its default, its paths) are settings: a finding is said once,
        # about the setting, not about each route it covers.
        given = sorted({u.source for u in users if from_app(u.source)})
        shared = "" if not given else "install() default" if FROM_INSTALL in given else given[0]
        for finding in _policy_findings(policies[key], labels[0], call_async):
            yield Finding(
                finding.severity,
                finding.code,
                finding.where,
                finding.message,
                labels if len(labels) > 1 else (),
                shared,
            )


def _lint_policy(policy: CORSPolicy, where: str = "policy") -> list[Finding]:
    """The lint's findings about one policy on its own."""
    return list(_policy_findings(policy, where, True))


def _policy_findings(policy: CORSPolicy, where: str, call_async: bool) -> Iterator[Finding]:
    regex = policy.allow_origin_regex
    if not policy.allow_origins and regex is None and policy.allow_origin_func is None:
        # A warning, not an error: an empty policy is also how "same-origin only" is written.
        yield Finding(
            _WARNING,
            "allows-no-origin",
            where,
            "allows no origin: every cross-origin request is refused; set allow_origins (is "
            "an environment variable unset?)",
        )
    if regex is not None:
        position = _unescaped_dot(regex)
        if position is not None:
            yield Finding(
                _WARNING,
                "regex-unescaped-dot",
                where,
                f"allow_origin_regex {regex!r} has an unescaped '.' (before "
                f"{regex[position + 1 : position + 12]!r}), which matches any character, so "
                "look-alike domains pass too: write '\\.'",
            )
        if re.fullmatch(regex, "null"):
            yield Finding(
                _WARNING,
                "regex-allows-null",
                where,
                f"allow_origin_regex {regex!r} matches the origin 'null', which every "
                "sandboxed iframe, file: page and data: URL sends: tighten the pattern (e.g. "
                "require a scheme: 'https://...')",
            )
        if not policy.allow_credentials:  # with credentials, CORSPolicy refuses these
            yield from _open_regex(regex, where)
    if policy.allow_credentials:
        finding = _any_origin(policy, where, call_async)
        if finding is not None:
            yield finding


def _open_regex(regex: str, where: str) -> Iterator[Finding]:
    """A regex (without credentials) that accepts any site of a scheme, or names anyone can
    register under a public suffix: legal for public data, rarely what was meant."""
    compiled = re.compile(regex)

    def accepts(origin: str) -> bool:
        return compiled.fullmatch(origin) is not None

    anywhere = _origin_probes.any_host(accepts)
    if anywhere is not None:
        first, second = anywhere.accepted
        yield Finding(
            _WARNING,
            "regex-any-origin",
            where,
            f"allow_origin_regex {regex!r} accepts {anywhere.which()} (it accepts {first} "
            f"and {second}): every site can read these responses, as with "
            "allow_origins=['*'] (which says so, and lets caches share one response). Fine "
            "for a public API; otherwise match only your own origins. With "
            "allow_credentials=True it is refused",
        )
        return
    found = _origin_probes.public_suffix_origin(regex, accepts)
    if found is not None:
        origin, suffix = found
        yield Finding(
            _WARNING,
            "regex-public-suffix",
            where,
            f"allow_origin_regex {regex!r} accepts {origin}, a made-up name under {suffix!r}, "
            "a public suffix (Public Suffix List): anyone can register a site there that "
            "reads these responses. Fine for public data; otherwise match only your own "
            "names. With allow_credentials=True it is refused",
        )


def _any_origin(policy: CORSPolicy, where: str, call_async: bool) -> Finding | None:
    """credentials-any-origin: the policy accepts two unrelated made-up hosts on one scheme
    (and port), so it accepts any site of that scheme."""
    anywhere = _origin_probes.any_host(lambda origin: _allows(policy, origin, call_async))
    if anywhere is None:
        return None
    first, second = anywhere.accepted
    mechanism = (
        "allow_origin_func"
        if policy.allow_origin_func is not None and policy.origin_value(first.encode()) is None
        else "allow_origin_regex"
    )
    return Finding(
        _ERROR,
        "credentials-any-origin",
        where,
        f"allow_credentials=True with an {mechanism} that accepts {anywhere.which()} (it "
        f"accepts {first} and {second}): every such site on the web can make credentialed "
        "requests as your users. Accept only your own origins",
    )


def _unescaped_dot(pattern: str) -> int | None:
    """Where ``pattern`` has a '.' meant literally but unescaped ('.' not before a quantifier,
    outside a character class), or None."""
    in_class = escaped = False
    for index, char in enumerate(pattern):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "." and pattern[index + 1 : index + 2] not in ("*", "+", "?", "{"):
            return index
    return None


def _allows(policy: CORSPolicy, origin: str, call_async: bool) -> bool:
    if policy.origin_value(origin.encode()) is not None:
        return True
    func = policy.allow_origin_func
    if func is None:
        return False
    try:
        # A request-aware predicate is asked with a made-up request to a host no tenant has:
        # only one that ignores the request is seen accepting made-up origins.
        result = (
            func(origin, probe_request(origin))  # type: ignore[call-arg]
            if policy.origin_func_takes_request
            else func(origin)  # type: ignore[call-arg]
        )
        if inspect.isawaitable(result):
            if not call_async or _loop_running():
                if inspect.iscoroutine(result):
                    result.close()
                return False
            result = asyncio.run(_await(result))
    except Exception:
        return False
    return result is True


async def _await(awaitable: Any) -> Any:
    return await awaitable


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
