"""The CORS lint: configurations that load fine but fail in a browser, or are risky.

``check_app(app)`` returns the findings; ``cors-routes check APP`` prints them, and the first
request a CORS route handles reports them once per app as warnings (see ``_startup``).
Everything here reads the app's routes and policies; nothing sends a request.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .inventory import RouteInfo, is_cors_middleware, iter_routes, unwrap
from .policy import CORSPolicy

ERROR = "error"
WARNING = "warning"

# Origins no sane policy allows: if a policy with credentials allows all of them, it allows
# every site on the web.
_PROBE_ORIGINS = ("https://cors-routes-lint-probe.invalid", "http://attacker.example:8666")
_SAMPLES = {
    "int": "1",
    "float": "1.5",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "path": "x",
    "str": "x",
}
_PARAM = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)(?::([a-zA-Z_][a-zA-Z0-9_]*))?}")


class CORSLintWarning(UserWarning):
    """A finding of the CORS lint, reported when an app starts serving CORS routes."""


@dataclass(frozen=True)
class Finding:
    severity: str  # "error" or "warning"
    code: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity} [{self.code}] {self.where}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        return {
            "severity": self.severity,
            "code": self.code,
            "where": self.where,
            "message": self.message,
        }


def check_app(app: Any, *, call_async_predicates: bool = True) -> list[Finding]:
    """Every finding of the lint for ``app``, errors first.

    ``call_async_predicates=False`` skips probing async ``allow_origin_func`` predicates
    (they need an event loop of their own).
    """
    routes = iter_routes(app)
    findings = [
        *_cors_middleware(app, routes),
        *_ignored_policies(routes),
        *_shadowed_preflights(routes),
        *_slash_redirects(routes),
        *_suspicious_policies(routes, call_async_predicates),
    ]
    return sorted(findings, key=lambda finding: finding.severity != ERROR)


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
        ERROR,
        "cors-middleware",
        "app",
        f"Starlette's CORSMiddleware is installed on an app with CORS routes ({shown}{more}): "
        "it answers every preflight before routing, so their policies never decide one, and "
        "it adds a second set of CORS headers to their responses. Remove the middleware and "
        "give the other endpoints a policy (a router-wide default is a CORSRoute subclass "
        "with cors_policy = CORSPolicy(...))",
    )


# -- @cors on a route class that ignores it ----------------------------------------------------


def _ignored_policies(routes: list[RouteInfo]) -> Iterator[Finding]:
    for info in routes:
        if info.ignored_policy is None:
            continue
        fix = (
            "serve it with a CORS route: APIRouter(route_class=CORSRoute), "
            "app.router.route_class = CORSRoute before declaring routes, or "
            "cors_routes.starlette.CORSRoute in a plain Starlette app (a Starlette route "
            "inside a FastAPI include_router is rebuilt as a plain Route: declare it on "
            "the app itself)"
        )
        yield Finding(
            ERROR,
            "ignored-policy",
            info.label(),
            f"{info.name} has a @cors policy but its route class {info.route_class} does not "
            f"honour it, so it answers without CORS headers (or fails): {fix}",
        )


# -- preflights that never reach their CORS route ----------------------------------------------


def sample_path(path: str) -> str:
    """A concrete path the template ``path`` matches (a sample value for each parameter)."""
    return _PARAM.sub(lambda match: _SAMPLES.get(match.group(2) or "str", "x"), path)


def _shadowed_preflights(routes: list[RouteInfo]) -> Iterator[Finding]:
    # What can take an OPTIONS request before a CORS route: a mount, a route serving any
    # method (a class endpoint) or OPTIONS, unless it is itself a CORS route with a policy
    # (those let a preflight for a method they do not serve pass).
    catchers = [
        (index, info)
        for index, info in enumerate(routes)
        if info.kind == "mount"
        or (
            info.kind == "http"
            and info.policy is None
            and (info.methods is None or "OPTIONS" in info.methods)
        )
    ]
    for index, info in enumerate(routes):
        if info.policy is None or info.kind != "http":
            continue
        sample = sample_path(info.path)
        yield from _taken_by_earlier_route(routes[:index], info, sample)
        for before, catcher in catchers:
            if before >= index:
                break
            if catcher.kind == "mount":
                if catcher.path in info.mount_paths or not catcher.regex.match(sample):
                    continue
                yield Finding(
                    ERROR,
                    "shadowed-route",
                    info.label(),
                    f"{catcher.label()} is declared before it and takes every request under "
                    f"{catcher.path}, preflights included, so this route is never reached: "
                    "declare the route before the mount",
                )
                break
            if catcher.regex.match(sample):
                what = "serves every method" if catcher.methods is None else "serves OPTIONS"
                yield Finding(
                    ERROR,
                    "shadowed-preflight",
                    info.label(),
                    f"{catcher.label()} ({catcher.name}) is declared before it and {what}, "
                    f"so it answers the preflights for {info.path} and this route's policy is "
                    "never asked: drop that route (preflights are answered automatically) or "
                    "declare it after the CORS routes",
                )
                break


def _taken_by_earlier_route(
    earlier: list[RouteInfo], info: RouteInfo, sample: str
) -> Iterator[Finding]:
    """A route without CORS, earlier on the same path, serving one of the same methods: the
    actual request goes there (no CORS headers) although the preflight is granted here."""
    served = info.methods or frozenset()
    for other in earlier:
        if other.kind != "http" or other.policy is not None or other.methods is None:
            continue
        common = (other.methods & served) - {"HEAD", "OPTIONS"}
        if common and other.regex.match(sample):
            yield Finding(
                ERROR,
                "shadowed-route",
                info.label(),
                f"{other.label()} ({other.name}) is declared before it on the same path and "
                f"serves {', '.join(sorted(common))}, so those requests reach it, without CORS "
                "headers, while their preflights are granted by this route: remove the "
                "duplicate or give it the policy",
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
        if _has_slash_redirect_middleware(info):
            continue
        if info.path == "/" or not info.path.endswith("/"):
            continue
        bare = sample_path(info.path.rstrip("/"))
        if any(other.kind == "http" and other.regex.match(bare) for other in routes):
            continue
        yield Finding(
            WARNING,
            "slash-redirect",
            info.label(),
            f"{info.path} ends with a slash: a browser calling {info.path.rstrip('/')} gets "
            "the router's 307 redirect, which carries no CORS headers (and a preflight "
            "answered with a redirect fails), so it is blocked. Declare the path without the "
            'trailing slash (with a prefix, @router.get("") instead of "/"), or add '
            "app.add_middleware(cors_routes.redirects.CORSSlashRedirects), which gives the "
            "redirect its target's CORS answer",
        )


# -- legal but suspicious policies -------------------------------------------------------------


def _suspicious_policies(routes: list[RouteInfo], call_async: bool) -> Iterator[Finding]:
    seen: dict[int, list[RouteInfo]] = {}
    policies: dict[int, CORSPolicy] = {}
    for info in routes:
        if info.policy is not None and info.kind == "http":
            seen.setdefault(id(info.policy), []).append(info)
            policies[id(info.policy)] = info.policy
    for key, users in seen.items():
        where = users[0].label() + (f" (+{len(users) - 1} routes)" if len(users) > 1 else "")
        yield from _policy_findings(policies[key], where, call_async)


def policy_findings(policy: CORSPolicy, where: str = "policy") -> list[Finding]:
    """The lint's findings about one policy on its own."""
    return list(_policy_findings(policy, where, True))


def _policy_findings(policy: CORSPolicy, where: str, call_async: bool) -> Iterator[Finding]:
    regex = policy.allow_origin_regex
    if regex is not None:
        position = unescaped_dot(regex)
        if position is not None:
            yield Finding(
                WARNING,
                "regex-unescaped-dot",
                where,
                f"allow_origin_regex {regex!r} has an unescaped '.' (before "
                f"{regex[position + 1 : position + 12]!r}), which matches any character, so "
                "look-alike domains pass too: write '\\.'",
            )
        if re.fullmatch(regex, "null"):
            yield Finding(
                WARNING,
                "regex-allows-null",
                where,
                f"allow_origin_regex {regex!r} matches the origin 'null', which every "
                "sandboxed iframe, file: page and data: URL sends: tighten the pattern (e.g. "
                "require a scheme: 'https://...')",
            )
    if policy.allow_credentials:
        accepted = [origin for origin in _PROBE_ORIGINS if _allows(policy, origin, call_async)]
        if len(accepted) == len(_PROBE_ORIGINS):
            mechanism = (
                "allow_origin_func"
                if policy.allow_origin_func is not None
                and policy.origin_value(_PROBE_ORIGINS[0].encode()) is None
                else "allow_origin_regex"
            )
            yield Finding(
                ERROR,
                "credentials-any-origin",
                where,
                f"allow_credentials=True with an {mechanism} that accepts any origin (it "
                f"accepts {accepted[0]} and {accepted[1]}): every site on the web can make "
                "credentialed requests as your users. Accept only your own origins",
            )


def unescaped_dot(pattern: str) -> int | None:
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
        result = func(origin)
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


def warn(findings: list[Finding], stacklevel: int = 2) -> None:
    """Report findings as :class:`CORSLintWarning` warnings."""
    for finding in findings:
        warnings.warn(str(finding), CORSLintWarning, stacklevel=stacklevel)
