"""``explain``: what a browser concludes about one cross-origin request to an app, and why.

The request runs in-process the way a browser sends it (a preflight first when the browser
would send one, then the actual request; redirects followed); :mod:`cors_routes.browser`
judges the responses. When the browser blocks, the app's own routes and policies are read
to say *why* in the terms of the configuration ("the policy on POST /orders lists ...").
"""

from __future__ import annotations

import asyncio
import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from . import _selection, browser
from ._asgi import Exchange, lifespan, request
from ._inventory import RouteInfo, is_cors_middleware, iter_routes, unwrap
from ._origin_request import probe_request
from ._origins import parse_configured_origin, parse_request_origin
from .policy import CORSPolicy

__all__ = ["Explanation", "explain"]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_MAX_REDIRECTS = 20  # Fetch "HTTP-redirect fetch" step 5


@dataclass(frozen=True)
class Step:
    """One request the browser sent, the response, and the browser's check of it."""

    kind: str  # "preflight" or "request"
    exchange: Exchange
    check: browser.Check


@dataclass
class Explanation:
    request: browser.Request
    allowed: bool
    steps: list[Step]
    reason: str = ""
    """The precise reason the browser blocks ("" when allowed)."""
    browser_reason: str = ""
    """The browser's own failed check, as a browser would report it."""
    route: RouteInfo | None = None
    """The route that serves the request's method and path, if any."""
    readable: list[str] = field(default_factory=list)
    """Response headers the script can read, when allowed."""
    notes: list[str] = field(default_factory=list)

    @property
    def preflighted(self) -> bool:
        return any(step.kind == "preflight" for step in self.steps)


def explain(
    app: Any,
    *,
    origin: str,
    method: str,
    path: str,
    headers: Iterable[tuple[str, str | None]] = (),
    credentials: bool = False,
    body: str | bytes | None = None,
) -> Explanation:
    """Run the request against ``app`` the way a browser would and explain the verdict.

    Raises :class:`cors_routes.browser.FetchError` for what ``fetch()`` itself refuses (a
    header value beyond U+00FF, for one) and for an origin no request can carry.
    The endpoint runs (as it would for the browser); use it on a test or staging app.
    """
    _check_origin(origin)
    fetch = browser.make_request(origin, method, path, headers, credentials)
    content = body.encode() if isinstance(body, str) else body or b""
    return asyncio.run(_explain(app, fetch, content))


def _check_origin(origin: str) -> None:
    """Refuse an origin no request can carry (a header value is bytes: nothing above U+00FF).

    Other values that are not origins (a trailing slash, a Latin-1 host) are sent as given,
    so the explanation can say what is wrong with them.
    """
    if all(ord(char) <= 0xFF for char in origin):
        return
    configured = parse_configured_origin(origin)
    hint = (
        f": a browser sends {configured.normalized} (the host in punycode)"
        if not isinstance(configured, str)
        else ": write it as a browser sends it, scheme://host[:port] with the host in punycode"
    )
    raise browser.FetchError(
        f"origin {origin!r} has characters beyond U+00FF, which no Origin header carries{hint}"
    )


async def _explain(app: Any, fetch: browser.Request, body: bytes) -> Explanation:
    routes = iter_routes(app)
    result = Explanation(fetch, False, [])
    if fetch.dropped:
        result.notes.append(
            f"the browser drops {', '.join(fetch.dropped)}: a script may not set "
            "forbidden request headers"
        )
    url, method = fetch.url, fetch.method
    async with lifespan(app):
        for _ in range(_MAX_REDIRECTS + 1):
            current = browser.Request(
                fetch.origin, method, url, fetch.headers, fetch.credentials, fetch.dropped
            )
            result.route = _find_route(app, routes, method, urlsplit(url).path)
            if current.needs_preflight:
                sent = await request(app, "OPTIONS", url, current.preflight_headers())
                check = browser.preflight_check(current, sent.status, sent.headers)
                result.steps.append(Step("preflight", sent, check))
                if not check.ok:
                    return await _blocked(result, routes, current, sent, check)
            sent = await request(app, method, url, current.actual_headers(), body)
            check = browser.cors_check(current, sent.headers)
            result.steps.append(Step("request", sent, check))
            if not check.ok:
                if not current.needs_preflight:
                    result.notes.append(
                        "no preflight was needed, so the request reached the server and the "
                        "endpoint ran; the browser only hides the response from the script"
                    )
                return await _blocked(result, routes, current, sent, check)
            location = dict(sent.headers).get("location")
            if sent.status not in _REDIRECTS or location is None:
                result.allowed = True
                result.readable = browser.readable_headers(current, sent.headers)
                return result
            target = urlsplit(location)
            if target.netloc not in ("", "testserver"):
                result.reason = result.browser_reason = (
                    f"the response redirects to another site ({location}); explain follows "
                    "redirects within the app only"
                )
                return result
            result.notes.append(f"{sent.status} redirect to {location} followed")
            url = target.path + (f"?{target.query}" if target.query else "")
            if (sent.status == 303 and method != "HEAD") or (
                sent.status in (301, 302) and method == "POST"
            ):
                method, body = "GET", b""
    result.reason = result.browser_reason = "too many redirects"
    return result


def _find_route(app: Any, routes: list[RouteInfo], method: str, path: str) -> RouteInfo | None:
    """What the app's router runs for ``method`` on ``path``: the route, or the mounted app
    (``_selection.select``, the same answer install() and the route classes use)."""
    router = _selection.router_of(unwrap(app)[1])
    if router is None:
        return None
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
    }
    selection = _selection.select(router, scope, method)
    if isinstance(selection, _selection.Served):
        found = selection.route, selection.declared
    elif isinstance(selection, (_selection.MountedApp, _selection.Hidden)):
        found = selection.mount, selection.mount
    else:
        return None
    return next((info for info in routes if info.route in found), None)


async def _blocked(
    result: Explanation,
    routes: list[RouteInfo],
    fetch: browser.Request,
    sent: Exchange,
    check: browser.Check,
) -> Explanation:
    result.browser_reason = check.reason
    result.reason = await _why(routes, result.route, fetch, sent, check) or check.reason
    return result


async def _why(
    routes: list[RouteInfo],
    target: RouteInfo | None,
    fetch: browser.Request,
    sent: Exchange,
    check: browser.Check,
) -> str | None:
    """The cause in the app's terms, or None to keep the browser's own reason."""
    path = urlsplit(fetch.url).path
    if sent.status in _REDIRECTS:
        # A redirect is the router's (or the endpoint's) answer whatever route the path
        # nearly matches: say so first, with what fixes it.
        location = dict(sent.headers).get("location", "?")
        what = "preflight" if sent.method == "OPTIONS" else "response"
        fix = f"call {location} directly (mind the trailing slash)"
        if not any(info.installed for info in routes):
            fix += (
                ", or let the redirect carry its target's CORS answer: install(app, "
                "default=...) does, as does app.add_middleware(CORSSlashRedirects)"
            )
        return (
            f"the {what} is a {sent.status} redirect to {location}, which carries no CORS "
            f"headers{' (a preflight must never be redirected)' if what == 'preflight' else ''}"
            f": {fix}"
        )
    if target is None:
        return _no_route(routes, fetch.method, path)
    if sent.route is None and any(is_cors_middleware(cls) for cls in target.middleware):
        return (
            f"Starlette's CORSMiddleware answered before routing, so the policy of "
            f"{target.label()} ({target.name}) was never asked: remove the middleware "
            "(cors-routes check reports it)"
        )
    policy = target.policy
    if target.kind == "mount":
        return await _mounted_app_reason(target, fetch, sent)
    if policy is None:
        # Before any reasoning about which route answered: a route without a policy
        # answers no cross-origin request, whoever else is on its path.
        if target.opted_out:
            why, fix = "it opted out with @no_cors", "remove @no_cors"
        elif target.source.startswith("path "):
            prefix = target.source[len("path ") :]
            why = f"install(paths=...) gives {prefix} None"
            fix = "give that prefix a policy, or the endpoint its own @cors(...)"
        elif target.policy_name is not None and target.installed:
            why = f"install(policies=...) gives {target.policy_name!r} None"
            fix = "give that name a policy"
        elif target.policy_name is not None:
            why = f'its @cors("{target.policy_name}") names a policy, which only install() resolves'
            fix = f"call install(app, policies={{{target.policy_name!r}: CORSPolicy(...)}})"
        elif target.installed:
            why, fix = "install() was given no default", "give it one with @cors(...)"
        elif target.ignored_policy is not None:
            why = f"its @cors is ignored by its route class {target.route_class}"
            fix = "serve it with a CORS route class, or use install(app, default=...)"
        else:
            why = "it has no @cors and its route class has no default"
            fix = "give it one with @cors(...), or install(app, default=...) for the whole app"
        return (
            f"this route has no CORS policy ({target.route_class}): {target.label()} "
            f"({target.name}) answers no cross-origin request, because {why}: {fix}"
        )
    responder = next((info for info in routes if info.route is sent.route), None)
    if (
        sent.method == "OPTIONS"
        and responder is not None
        and responder is not target
        and responder.route is not target.route
    ):
        return (
            f"the preflight was answered by {responder.label()} ({responder.name}), "
            f"so the policy of {target.name} ({target.label()}) is never asked: drop that "
            "route (cors-routes check names it), or use install(app, default=...), which "
            "answers preflights before routing"
        )
    if sent.status >= 500 and check.step in ("origin", "status"):
        return None
    return await policy_reason(policy, target, fetch)


async def _mounted_app_reason(
    target: RouteInfo, fetch: browser.Request, sent: Exchange
) -> str | None:
    """A mounted app (static files, a sub-application) answered: the policy that covers
    everything it answers decides, the install() default."""
    what = f"{target.label()}, a mounted app that answered {sent.status}"
    if target.hidden and target.installed:
        return (
            f"middleware inside {target.label()} stands before its routes and may rewrite the "
            "path, so install() cannot tell which route serves it, and its routes have "
            "different policies: nothing there is granted (cors-routes check: hidden-route). "
            "Call install() on the mounted app itself, or move the middleware out of the mount"
        )
    if target.policy is None:
        return (
            f"{what}, has no CORS policy: give the app a default with "
            "install(app, default=CORSPolicy(...)), which covers mounted apps"
        )
    given = (
        f"the install(paths=...) policy of {target.source[len('path ') :]}"
        if target.source.startswith("path ")
        else "the install() default"
    )
    where = f"{given}, which covers {what},"
    return await policy_reason(target.policy, target, fetch, where=where)


def _no_route(routes: list[RouteInfo], method: str, path: str) -> str:
    on_path = [info for info in routes if info.kind == "http" and info.regex.match(path)]
    if not on_path:
        return f"no route matches {path} (the app answers 404)"
    served = sorted({m for info in on_path for m in (info.methods or ())})
    text = f"no route serves {method} on {path} (it serves {', '.join(served) or 'nothing'})"
    if method.upper() in served and method != method.upper():
        text += (
            f": fetch() sends {method!r} as written (it upper-cases only DELETE, GET, HEAD, "
            f"OPTIONS, POST and PUT) and methods are case-sensitive: write {method.upper()!r}"
        )
    return text


async def policy_reason(
    policy: CORSPolicy, route: RouteInfo, fetch: browser.Request, *, where: str | None = None
) -> str | None:
    """Why ``policy`` on ``route`` refuses ``fetch``, or None if it grants it."""
    where = where or f"the policy on {fetch.method} {route.path}"
    if not await _origin_allowed(policy, fetch.origin, urlsplit(fetch.url).path):
        return origin_reason(policy, fetch.origin, where)
    if fetch.needs_preflight:
        allowed = route.allowed_methods()
        if allowed is not None and fetch.method not in allowed:
            listed = ", ".join(sorted(allowed)) or "no method"
            reason = (
                f"method {fetch.method} is not allowed: {where} allows {listed} (allow_methods)"
            )
            if policy.allow_methods is None and route.unset_methods is not None:
                given = (
                    f"the install(paths=...) policy of {route.source[len('path ') :]}"
                    if route.source.startswith("path ")
                    else "install()'s default"
                )
                reason += (
                    f"; allow_methods is unset in {given}, which means "
                    f"{', '.join(route.unset_methods)} as in CORSMiddleware: list the methods, "
                    "e.g. allow_methods=['*'] for every method a route serves"
                )
            return reason
        for name in fetch.unsafe_header_names:
            if not policy.allowed_request_headers([name]):
                listed = ", ".join(policy.allow_headers) or "no other header"
                return (
                    f"header {name} is not allowed: {where} allows {listed} (plus the "
                    f"CORS-safelisted accept, accept-language, content-language, content-type): "
                    f"add {name!r} to allow_headers"
                )
    if fetch.credentials:
        if policy.allows_any_origin:
            return (
                f"credentials forbid '*': {where} allows any origin ('*'), which a browser "
                "never accepts for a request with credentials: list the origins and set "
                "allow_credentials=True, or fetch without credentials"
            )
        if not policy.allow_credentials:
            return (
                f"the request has credentials (credentials: 'include') but {where} has "
                "allow_credentials=False, so the response has no "
                "Access-Control-Allow-Credentials: true: set allow_credentials=True, or "
                "fetch without credentials"
            )
    return None


async def _origin_allowed(policy: CORSPolicy, origin: str, path: str) -> bool:
    raw = origin.encode("latin-1", "replace")
    if policy.origin_value(raw) is not None:
        return True
    if not policy.has_origin_func:
        return False
    # The host explain's requests carry (_asgi.request), so the reason agrees with the answer.
    request = probe_request(origin, path, host="testserver")
    return await policy.ask_origin_func(raw, request) is not None


def origin_reason(policy: CORSPolicy, origin: str, where: str) -> str:
    """``origin X is not allowed: the policy on POST /orders lists ...; <the likely mistake>``."""
    mechanisms = []
    listed = list(policy.allow_origins)
    if listed:
        if len(listed) <= 3:
            mechanisms.append(f"lists {', '.join(listed)}")
        else:
            close = difflib.get_close_matches(origin, listed, n=2, cutoff=0.0)
            mechanisms.append(f"lists {len(listed)} origins (the closest: {', '.join(close)})")
    if policy.allow_origin_regex is not None:
        mechanisms.append(f"has allow_origin_regex {policy.allow_origin_regex!r} (a full match)")
    if policy.allow_origin_func is not None:
        name = getattr(policy.allow_origin_func, "__name__", "allow_origin_func")
        mechanisms.append(f"has allow_origin_func {name}, which did not accept it")
    text = f"origin {origin} is not allowed: {where} " + (
        " and ".join(mechanisms) if mechanisms else "allows no origin"
    )
    hint = _origin_hint(origin, listed)
    return f"{text}; {hint}" if hint else text


def _origin_hint(origin: str, listed: list[str]) -> str | None:
    """The likely mistake behind an origin that is not allowed."""
    if parse_request_origin(origin) is None and origin != "null":
        configured = parse_configured_origin(origin)
        if isinstance(configured, str):
            if "ends with a slash" in configured:
                return "origins never end with a slash"
            if "has a path" in configured:
                return "origins never have a path"
            if "default port" in configured:
                return "browsers never send the default port"
            if "no scheme" in configured:
                return "an origin is scheme://host[:port]"
        elif origin != configured.normalized:
            return f"browsers send it as {configured.normalized}"
        return "a browser never sends this value as an Origin"
    parsed = parse_request_origin(origin)
    if parsed is None:
        return None
    scheme, host, port = parsed
    for entry in listed:
        other = parse_configured_origin(entry)
        if isinstance(other, str) or other.is_pattern or other.host != host:
            continue
        if other.scheme != scheme:
            return f"{entry} differs in the scheme ({other.scheme}, not {scheme})"
        if other.port != port:
            return (
                f"{entry} differs in the port ({other.port or 'default'}, not "
                f"{port or 'default'}): an origin includes its port"
            )
    for entry in listed:
        other = parse_configured_origin(entry)
        if (
            not isinstance(other, str)
            and other.is_pattern
            and other.scheme == scheme
            and other.port == port
            and host == other.host
        ):
            return f"{entry} matches subdomains only, never {scheme}://{host} itself: list it too"
    return None
