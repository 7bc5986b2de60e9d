"""What a CORS contract probes: which requests (route and method, and the router's own
answers), from which origins, with which request headers.

The routes are the framework's own list (``_inventory.iter_routes``, the walk of
``_selection.walk``: included routers, mounts); which of them a probe reaches is asked of the
framework's matching (``_selection.select``), never guessed. Origins and header names are
read from the app's configuration only to choose what to probe: what each probe is granted is
the app's answer, judged as a browser judges it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from starlette.routing import compile_path

from . import _selection
from ._headers import TOKEN as _TOKEN
from ._inventory import RouteInfo, is_cors_middleware, iter_routes, unwrap
from ._origins import ANY, NULL, parse_configured_origin
from ._served_methods import served_methods
from .browser import FORBIDDEN_METHODS, is_safelisted_header

# Why an origin is probed, strongest first: an origin named for several reasons keeps the first.
LISTED = "named by the app"
GIVEN = "given with --origin"
OTHER_SITE = "another site"
NULL_ORIGIN = "the null origin (sandboxed frames, file: pages, redirects)"
FROM_CONTRACT = "probed by the contract"
_REASON_ORDER = (LISTED, GIVEN, OTHER_SITE, NULL_ORIGIN, FROM_CONTRACT)
LOOKALIKE = "look-alike of "

ANOTHER_SITE = "https://cors-probe.invalid"

# Request headers every contract probes: the ones scripts send most, and one nobody names
# (what any header no policy lists is granted).
BASE_HEADERS = ("authorization", "content-type", "x-requested-with", "x-cors-probe")
UNNAMED_HEADER = "x-cors-probe"
_HEADER_VALUES = {"content-type": "application/json", "authorization": "Bearer cors-probe"}

# The router's own answers: a path no route matches, and a method the path does not serve.
NOT_FOUND_PATH = "/cors-routes-probe/not-found"
_OTHER_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_UNSERVED_ORDER = ("DELETE", "PUT", "PATCH", "POST", "GET")

# Sample values for path parameters, tried in order until the convertor's regex takes one
# and the framework's matching sends the request to the route.
_SAMPLES = ("1", "1.5", "00000000-0000-4000-8000-000000000000", "cors-probe", "a", "0")
_PARAM = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)(?::[a-zA-Z_][a-zA-Z0-9_]*)?}")

ROUTE = "route"
NOT_ALLOWED = "405"
REDIRECT = "redirect"
NOT_FOUND = "404"
MOUNTED = "mounted app"


@dataclass(frozen=True)
class Target:
    """One request a contract describes: ``method`` on ``path`` (the template, the key)."""

    path: str
    method: str
    answer: str
    """Who answers: a route, the router's 405, its slash redirect, its 404, a mounted app."""
    url: str | None
    """The path probed; None when no sample value reaches the route (it is shadowed)."""


def header_value(name: str) -> str:
    """What a probe sends for a request header (a script's likely value)."""
    return _HEADER_VALUES.get(name, "1")


def targets(app: Any, routes: list[RouteInfo] | None = None) -> list[Target]:
    """Every route and method of ``app``, then the router's own answers, sorted."""
    routes = iter_routes(app) if routes is None else routes
    router = _selection.router_of(unwrap(app)[1])
    if router is None:
        return []
    found: dict[tuple[str, str], Target] = {}
    served_on: dict[str, set[str]] = {}
    reaching: dict[str, str] = {}  # a path that the route of this template is served at
    for info in routes:
        if info.kind == "websocket" or info.path.startswith("host "):
            continue
        if info.kind == "mount":
            if _routable(info):
                continue  # its routes are listed themselves
            path = info.path.rstrip("/") + "/{path}"
            url = _first_reaching(router, info, [info.path.rstrip("/") + "/cors-probe"], "GET")
            found.setdefault((path, "GET"), Target(path, "GET", MOUNTED, url))
            continue
        served = served_methods(info.route)
        methods = set(_OTHER_METHODS) if served is None else set(served)
        served_on.setdefault(info.path, set()).update(methods)
        urls = _sample_urls(info.path)
        for method in sorted(methods):
            if method.upper() in FORBIDDEN_METHODS or (info.path, method) in found:
                continue  # fetch() cannot send it; or an earlier route shadows this one
            url = _first_reaching(router, info, urls, method)
            found[(info.path, method)] = Target(info.path, method, ROUTE, url)
            if url is not None:
                reaching.setdefault(info.path, url)
    for path, methods in served_on.items():
        url = reaching.get(path)
        if url is None:
            continue
        unserved = next((m for m in _UNSERVED_ORDER if m not in methods), None)
        if unserved is not None and isinstance(_select(router, url, unserved), _selection.Partial):
            found.setdefault((path, unserved), Target(path, unserved, NOT_ALLOWED, url))
        redirected = next((m for m in _OTHER_METHODS if m in methods), None)
        toggled = path[:-1] if path.endswith("/") and path != "/" else path + "/"
        toggled_url = url[:-1] if url.endswith("/") and url != "/" else url + "/"
        if redirected is not None and isinstance(
            _select(router, toggled_url, redirected), _selection.Redirect
        ):
            found.setdefault(
                (toggled, redirected), Target(toggled, redirected, REDIRECT, toggled_url)
            )
    if isinstance(_select(router, NOT_FOUND_PATH, "GET"), _selection.NotFound):
        for method in _OTHER_METHODS:
            found[(NOT_FOUND_PATH, method)] = Target(
                NOT_FOUND_PATH, method, NOT_FOUND, NOT_FOUND_PATH
            )
    return [found[key] for key in sorted(found)]


def _routable(info: RouteInfo) -> bool:
    inner = unwrap(getattr(info.route, "app", None))[1]
    return bool(getattr(inner, "routes", None))


def _sample_urls(template: str) -> list[str]:
    """Paths that fill ``template``'s parameters with values their convertors accept."""
    try:
        _, _, convertors = compile_path(template)
    except (AssertionError, ValueError):  # an unknown convertor
        return []
    names = _PARAM.findall(template)
    if not names:
        return [template]
    urls = []
    for sample in _SAMPLES:
        url = template
        for name in names:
            convertor = convertors.get(name)
            regex = getattr(convertor, "regex", "[^/]+")
            value = next((s for s in (sample, *_SAMPLES) if re.fullmatch(regex, s)), sample)
            url = _fill(url, name, value)
        if url not in urls:
            urls.append(url)
    return urls


def _fill(template: str, name: str, value: str) -> str:
    def replace(match: re.Match[str]) -> str:
        return value if match[1] == name else match[0]

    return _PARAM.sub(replace, template)


def _select(router: Any, path: str, method: str) -> _selection.Selection:
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
    }
    return _selection.select(router, scope, method)


def _first_reaching(router: Any, info: RouteInfo, urls: list[str], method: str) -> str | None:
    """The first of ``urls`` that the framework's matching sends to ``info``'s route."""
    for url in urls:
        found = _select(router, url, method)
        if isinstance(found, _selection.Served) and info.route in (found.route, found.declared):
            return url
        if isinstance(found, (_selection.MountedApp, _selection.Hidden)) and (
            found.mount is info.route or info.hidden
        ):
            return url  # behind a mount's own middleware: the request goes there
    return None


# -- origins -----------------------------------------------------------------------------------


def listed_origins(app: Any, routes: list[RouteInfo]) -> list[str]:
    """The origins the app's configuration names: its CORS policies' and CORSMiddleware's."""
    named: list[Any] = []
    for info in routes:
        if info.policy is not None:
            named.extend(info.policy.allow_origins)
    for options in _cors_middleware_options(app):
        value = options.get("allow_origins", ())
        named.extend([value] if isinstance(value, str) else list(value or ()))
    origins = []
    for entry in named:
        origin = _probe_origin(entry)
        if origin is not None and origin not in origins:
            origins.append(origin)
    return origins


def _probe_origin(entry: Any) -> str | None:
    """The origin a browser sends that ``entry`` names (a sample subdomain for a pattern)."""
    if entry == ANY or entry == NULL:
        return None if entry == ANY else NULL
    parsed = parse_configured_origin(entry)
    if isinstance(parsed, str):
        text = str(entry).strip().rstrip("/")
        return text if re.fullmatch(r"[a-z][a-z0-9+.\-]*://[^/\s]+", text) else None
    if parsed.is_pattern:
        port = f":{parsed.port}" if parsed.port else ""
        return f"{parsed.scheme}://cors-probe.{parsed.host}{port}"
    return parsed.normalized


def _cors_middleware_options(app: Any) -> list[dict[str, Any]]:
    """The keyword arguments of each CORSMiddleware around ``app``'s routes."""
    found: list[dict[str, Any]] = []
    current = app
    for _ in range(32):
        if hasattr(current, "routes"):
            for entry in getattr(current, "user_middleware", ()) or ():
                cls = getattr(entry, "cls", None)
                if isinstance(cls, type) and is_cors_middleware(cls):
                    found.append(dict(getattr(entry, "kwargs", {}) or {}))
            break
        if isinstance(current, type) or not hasattr(current, "app"):
            break
        if is_cors_middleware(type(current)):
            found.append(
                {
                    "allow_origins": getattr(current, "allow_origins", ()),
                    "allow_headers": getattr(current, "allow_headers", ()),
                }
            )
        current = current.app
    return found


def lookalikes(origin: str) -> list[str]:
    """Origins that a careless comparison mistakes for ``origin``: the host as the start of
    another site's name, another site ending in it, a subdomain, and the other scheme."""
    match = re.fullmatch(r"(https?)://([^/:]+)(:\d+)?", origin)
    if match is None:
        return []
    scheme, host, port = match[1], match[2], match[3] or ""
    other = "http" if scheme == "https" else "https"
    return [
        f"{scheme}://{host}.cors-probe.invalid{port}",
        f"{scheme}://evil{host}{port}",
        f"{scheme}://cors-probe.{host}{port}",
        f"{other}://{host}{port}",
    ]


def probe_origins(
    listed: Iterable[str], given: Iterable[str], carried: Iterable[str] = ()
) -> dict[str, str]:
    """Every origin to probe, with why, in a stable order (sorted by origin)."""
    reasons: dict[str, str] = {}

    def add(origin: str, reason: str) -> None:
        known = reasons.get(origin)
        if known is None or _rank(reason) < _rank(known):
            reasons[origin] = reason

    listed = list(listed)
    given = list(given)
    for origin in listed:
        add(origin, LISTED)
    for origin in given:
        add(origin, GIVEN)
    add(ANOTHER_SITE, OTHER_SITE)
    add(NULL, NULL_ORIGIN)
    for origin in [*listed, *given]:
        for lookalike in lookalikes(origin):
            add(lookalike, LOOKALIKE + origin)
    for origin in carried:
        add(origin, FROM_CONTRACT)
    return {origin: reasons[origin] for origin in sorted(reasons)}


def _rank(reason: str) -> int:
    if reason.startswith(LOOKALIKE):
        return len(_REASON_ORDER) - 1  # before FROM_CONTRACT, after the named ones
    return _REASON_ORDER.index(reason) if reason in _REASON_ORDER else len(_REASON_ORDER)


def probe_headers(app: Any, routes: list[RouteInfo], carried: Iterable[str] = ()) -> list[str]:
    """The request header names probed: the common ones, those the app's configuration
    names (not ``*``), and those a contract probed before; lower case, sorted."""
    names = set(BASE_HEADERS) | {name.lower() for name in carried}
    for info in routes:
        if info.policy is not None:
            names.update(name.lower() for name in info.policy.allow_headers)
    for options in _cors_middleware_options(app):
        value = options.get("allow_headers", ())
        names.update(
            str(name).lower() for name in ([value] if isinstance(value, str) else value or ())
        )
    names.discard("*")
    return sorted(
        name
        for name in names
        if _TOKEN.fullmatch(name) and not is_safelisted_header(name, header_value(name))
    )
