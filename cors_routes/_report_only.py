"""Report-only mode: ``install(app, default=..., enforce=False, on_report=hook)``.

The app answers every request as it does without ``install()`` (with ``CORSMiddleware``
still in place, hand-written ``OPTIONS`` handlers, or nothing), byte for byte. Beside it,
for each request with an ``Origin``, the installation decides what its policies would have
answered, with the code that answers when they are enforced (``Installation.preflight_cors``
and ``response_cors``, ``RouteCORS``), and the browser's checks (:mod:`cors_routes.browser`,
the Fetch standard's "CORS check" and "CORS-preflight fetch") judge both answers. Where the
browser would conclude differently, a :class:`CORSReport` goes to the ``cors_routes`` logger
at WARNING and to the hook.

The two layers ``install()`` adds are replaced by two that only watch: the outer one (outside
``ServerErrorMiddleware``) sees the start of every response the client gets, 500s included,
and CORSMiddleware's own preflight answers; the one before the router learns the path the
router saw and the router's own answer (what the app would send were CORSMiddleware gone).
The comparison runs after the response is complete, so it never delays a byte, and nothing
it does can reach the request: a failure is logged once and the request goes on.

Bounded whatever the traffic: each distinct (kind, route, origin, method, outcome) is
reported once while it is remembered (an LRU of ``_REMEMBERED_REPORTS`` keys, built from the
route's template, never the raw path, and a shortened origin); at most
``_LOG_LINES_PER_MINUTE`` lines a minute are logged, and a summary counts the rest.

Loaded only when ``install(..., enforce=False)`` is called (``import cors_routes`` does not).
"""

from __future__ import annotations

import inspect
import logging
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from typing import Any

from starlette.routing import Host, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import _selection, browser
from ._dispatch import INSTALLED, ORIGIN, RouteCORS, handled, method_is_token, preflight_asked
from ._headers import MAX_REQUEST_HEADERS_LENGTH, parse_request_headers
from ._installation import Installation, _Routed, _with_router_entry
from ._refusal_log import _precise
from ._report import CORSReport, CORSVerdict, Outcome, ReportKind

logger = logging.getLogger("cors_routes")

Hook = Callable[[CORSReport], object]
BytesHeaders = list[tuple[bytes, bytes]]
StrHeaders = list[tuple[str, str]]

_REMEMBERED_REPORTS = 10_000
_LOG_LINES_PER_MINUTE = 60
_WINDOW = 60.0
_REMEMBERED_LABELS = 10_000
_REMEMBERED_VERDICTS = 1024
# A serialized origin is scheme "://" host [":" port], the host at most 253 bytes: anything
# longer no browser sends, and is reported under one key.
_MAX_ORIGIN = 270
_MAX_METHOD = 64
_MAX_PATH = 200
_ACCESS_CONTROL = b"access-control-"
_REFUSAL_STATUS = 403
_KEY = "cors_routes.report_only"

_reporters: weakref.WeakKeyDictionary[Any, Reporter] = weakref.WeakKeyDictionary()


def reporter_of(app: Any) -> Reporter | None:
    """The reporter of an app installed in report-only mode."""
    return _reporters.get(app)


class _Exchange:
    """One request under report-only: where it was routed, and the answers it got."""

    __slots__ = ("origin", "path", "root_path", "router_start", "start")

    def __init__(self, origin: bytes, scope: Scope) -> None:
        self.origin = origin
        # The path the browser asked for, kept before any layer or the router changes it.
        self.path: str = scope["path"]
        self.root_path: str = scope.get("root_path", "")
        self.start: tuple[int, BytesHeaders] | None = None
        # The router's own answer, when the request reached it: what the app would send
        # without CORSMiddleware. None when a middleware answered before the router.
        self.router_start: tuple[int, BytesHeaders] | None = None


class Reporter:
    """The report-only side of one installation: decides, compares, reports."""

    def __init__(self, installation: Installation, hook: Hook | None) -> None:
        self.installation = installation
        self.hook = hook
        self.clock: Callable[[], float] = time.monotonic
        self.seen: OrderedDict[tuple[str | bytes, ...], None] = OrderedDict()
        self.capacity = _REMEMBERED_REPORTS
        self.lines_per_minute = _LOG_LINES_PER_MINUTE
        self.labels: dict[int, tuple[Any, str]] = {}
        # The browser's verdicts on the CORS headers of both answers, for an origin: traffic
        # repeats the same few, and a hit skips the checks. Emptied when full.
        self.verdicts: dict[tuple[Any, ...], tuple[CORSVerdict, CORSVerdict]] = {}
        self.reports = 0
        self._window_start: float | None = None
        self._logged = 0
        self.suppressed = 0
        self._hook_failed = False
        self._compare_failed = False
        # Report-only mode watches an app that may still carry CORSMiddleware: the start-up
        # lint would only say so. `cors-routes check` runs it before enforcing.
        installation.lint_pending = False
        _reporters[installation.app] = self

    # -- the layers ------------------------------------------------------------------------------

    def stack(self, built: ASGIApp, router: Any) -> ASGIApp:
        """``built`` (the app's own stack) between the two watching layers."""
        return _layer(_with_router_entry(built, router, _router_entry(router)), self)

    # -- after each response ---------------------------------------------------------------------

    async def after(self, scope: Scope, exchange: _Exchange) -> None:
        """Compare the answer the client got with the policy's; never raises."""
        if exchange.start is None or scope.get(INSTALLED) is not None:
            return  # nothing was sent, or an app installed on its own inside answered
        try:
            await self._compare(scope, exchange)
        except Exception:
            if not self._compare_failed:
                self._compare_failed = True
                logger.warning(
                    "CORS report-only: comparing an answer failed (the request was served "
                    "as usual; further failures are not logged)",
                    exc_info=True,
                )

    async def _compare(self, scope: Scope, exchange: _Exchange) -> None:
        asked = preflight_asked(scope) if scope["method"] == "OPTIONS" else None
        if asked is not None:
            await self._compare_preflight(scope, exchange, asked[1], asked[2], asked[3])
        else:
            await self._compare_actual(scope, exchange)

    def _decision_scope(self, scope: Scope, exchange: _Exchange) -> dict[str, Any]:
        # The path the router saw (a middleware may rewrite it), as install() decides it.
        return {**scope, "path": exchange.path, "root_path": exchange.root_path}

    async def _compare_preflight(
        self,
        scope: Scope,
        exchange: _Exchange,
        method: bytes,
        private_network: bool,
        requested: tuple[bytes, ...],
    ) -> None:
        assert exchange.start is not None
        size = sum(map(len, requested)) + len(requested) - 1
        names = (
            None
            if size > MAX_REQUEST_HEADERS_LENGTH
            else parse_request_headers(b",".join(requested).decode("latin-1"))
        )
        if names is None or not method_is_token(method):
            return  # no browser sends it: nothing a page concludes
        decide = self._decision_scope(scope, exchange)
        method_text = method.decode("latin-1")
        cors = self.installation.preflight_cors(decide, method_text)
        asked = (exchange.origin, method, private_network, requested)
        why_refused = ""
        if isinstance(cors, RouteCORS):
            status, headers = await cors.preflight(decide, asked)
        elif cors is None and exchange.router_start is not None:
            return  # the app's own route answers it, enforced or not: the same answer
        else:
            status, headers = _REFUSAL_STATUS, []
            why_refused = (
                f"no route serves {method_text} there (the router answers 404 or 405)"
                if cors is not None
                else "the route that serves it has no CORS policy (@no_cors, or no default)"
            )
        app_status, app_headers = exchange.start
        app_cors, policy_cors = _cors_part(app_headers), _cors_part(headers)
        if _is_2xx(app_status) == _is_2xx(status) and sorted(app_cors) == sorted(policy_cors):
            return  # the same headers: the browser concludes the same
        request = _Asked(exchange.origin.decode("latin-1"), method_text, exchange.path, names)
        app = _preflight_verdict(request, app_status, app_cors, private_network)
        policy = _preflight_verdict(request, status, policy_cors, private_network)
        if _same(app, policy):
            return
        reason = partial(_preflight_reason, app, policy, cors, asked, status, why_refused)
        self._report(scope, exchange, "preflight", method_text, app, policy, reason)

    async def _compare_actual(self, scope: Scope, exchange: _Exchange) -> None:
        assert exchange.start is not None
        routed = _Routed()
        if exchange.router_start is not None:
            routed.path, routed.root_path = exchange.path, exchange.root_path
        cors = self.installation.response_cors(scope, routed)
        status, observed = exchange.start
        app_cors = _cors_part(observed)
        if cors is None:
            # No policy decorates it: the client would get the app's own CORS headers, those
            # of the router's answer (none if a middleware answered before the router).
            inner = exchange.router_start
            policy_cors = _cors_part(inner[1]) if inner is not None else []
        else:
            origin = exchange.origin
            answer = cors.origin_headers(scope, origin)
            extra = answer if isinstance(answer, list) else await answer
            # What install() sends: the app's headers, its Access-Control-* ones replaced.
            policy_cors = _cors_part(extra)
        if sorted(app_cors) == sorted(policy_cors):
            return  # the same headers: the browser concludes the same
        other = [name for name, _ in observed if not _is_cors(name)]
        memo_key = (exchange.origin, status, tuple(app_cors), tuple(policy_cors), tuple(other))
        verdicts = self.verdicts.get(memo_key)
        if verdicts is None:
            request = browser.Request(
                exchange.origin.decode("latin-1"), scope["method"], exchange.path, (), False
            )
            verdicts = (
                _actual_verdict(request, status, app_cors, other),
                _actual_verdict(request, status, policy_cors, other),
            )
            if len(exchange.origin) <= _MAX_ORIGIN:
                if len(self.verdicts) >= _REMEMBERED_VERDICTS:
                    self.verdicts.clear()
                self.verdicts[memo_key] = verdicts
        app, policy = verdicts
        if _same(app, policy):
            return
        self._report(
            scope,
            exchange,
            "actual",
            scope["method"],
            app,
            policy,
            partial(_actual_reason, app, policy, cors),
        )

    # -- reporting -------------------------------------------------------------------------------

    def _report(
        self,
        scope: Scope,
        exchange: _Exchange,
        kind: ReportKind,
        method: str,
        app: CORSVerdict,
        policy: CORSVerdict,
        reason: Callable[[], str],
    ) -> None:
        """Report a difference, unless this key was reported (``reason`` is asked only then)."""
        outcome = _outcome(app, policy)
        route = self._label(scope, exchange, method)
        # Request values in the key are cut to what a browser can send (an origin of at most
        # ~270 bytes, a method of 64): a longer one shares its key with others like it.
        key = (kind, route, exchange.origin[:_MAX_ORIGIN].lower(), method[:_MAX_METHOD], outcome)
        if key in self.seen:
            self.seen.move_to_end(key)
            return
        self.seen[key] = None
        if len(self.seen) > self.capacity:
            self.seen.popitem(last=False)
        report = CORSReport(
            kind=kind,
            route=route,
            path=_shown(exchange.path.encode("utf-8", "replace"), _MAX_PATH),
            method=_shown(method.encode("latin-1"), _MAX_METHOD),
            origin=_shown(exchange.origin, _MAX_ORIGIN),
            app=app,
            policy=policy,
            outcome=outcome,
            difference=_difference(app, policy),
            reason=reason(),
        )
        self.reports += 1
        self._log(report)
        self._call_hook(report)

    def _log(self, report: CORSReport) -> None:
        now = self.clock()
        if self._window_start is None or now - self._window_start >= _WINDOW:
            if self.suppressed:
                logger.warning(
                    "CORS report-only: %d more reports in the last minute were not logged "
                    "(at most %d lines a minute; the on_report hook received every one)",
                    self.suppressed,
                    self.lines_per_minute,
                )
            self._window_start, self._logged, self.suppressed = now, 0, 0
        if self._logged >= self.lines_per_minute:
            self.suppressed += 1
            return
        self._logged += 1
        logger.warning("%s", report.message())

    def _call_hook(self, report: CORSReport) -> None:
        hook = self.hook
        if hook is None:
            return
        try:
            result = hook(report)
            if inspect.isawaitable(result):
                # Not awaited here: a slow hook must not hold the request's task. A coroutine
                # is closed unawaited; hooks are documented as plain functions.
                close = getattr(result, "close", None)
                if close is not None:
                    close()
                raise TypeError("on_report must be a plain function, not a coroutine function")
        except Exception:
            if not self._hook_failed:
                self._hook_failed = True
                logger.warning(
                    "CORS report-only: the on_report hook raised; its errors are ignored "
                    "(this is logged once)",
                    exc_info=True,
                )

    def _label(self, scope: Scope, exchange: _Exchange, method: str) -> str:
        """The route's path template, or what answers where no route serves."""
        route = scope.get("route")
        if route is None or isinstance(route, (Mount, Host)):
            decide = self._decision_scope(scope, exchange)
            selection = _selection.select(self.installation.router, decide, method)
            if isinstance(selection, _selection.Redirect):
                # Named by the route it redirects to: a template, never the raw path.
                target = _selection.select(
                    self.installation.router, {**decide, "path": selection.path}, method
                )
                if isinstance(target, (_selection.Served, _selection.Partial)):
                    return f"(slash redirect to {self._template(target.route)})"
                return "(slash redirect)"
            if isinstance(selection, _selection.NotFound):
                return "(no route: 404)"
            if isinstance(selection, _selection.Partial):
                return self._template(selection.route) + " (405)"
            if isinstance(selection, (_selection.MountedApp, _selection.Hidden)):
                return self._template(selection.mount) + " (mounted app)"
            route = selection.route
        return self._template(route)

    def _template(self, route: Any) -> str:
        known = self.labels.get(id(route))
        if known is None or known[0] is not route:
            # Walked again only for a route not seen yet: new routes, or a first report.
            if len(self.labels) >= _REMEMBERED_LABELS:
                self.labels.clear()
            for walked in _selection.walk(self.installation.app):
                for held in (walked.route, walked.declared):
                    self.labels[id(held)] = (held, walked.path)
            known = self.labels.get(id(route))
            if known is None or known[0] is not route:
                # Not walked (FastAPI's frontend() routes): its path, else its kind.
                path = getattr(route, "path", None)
                if not isinstance(path, str) or not path:
                    path = f"({type(route).__name__.lstrip('_')})"
                known = self.labels[id(route)] = (route, path)
        return known[1]


# -- the two watching layers ---------------------------------------------------------------------


def _layer(app: ASGIApp, reporter: Reporter) -> ASGIApp:
    """Outside the app's whole stack: sees every answer the client gets."""

    def layer(scope: Scope, receive: Receive, send: Send) -> Any:
        kind = scope["type"]
        if kind != "http":
            if kind == "websocket":
                handled.set(True)  # a @cors WebSocket endpoint runs; its check is not enforced
            return app(scope, receive, send)
        # A @cors endpoint on a plain route runs: its policy is reported, not enforced.
        handled.set(True)
        origin = None
        for key, value in scope["headers"]:
            if key == ORIGIN:
                if origin is not None:
                    return app(scope, receive, send)  # two Origin lines: no browser's request
                origin = value
        if origin is None:
            return app(scope, receive, send)  # no browser's cross-origin request: nothing to judge
        exchange = _Exchange(origin, scope)
        scope[_KEY] = exchange
        return _watch(app, reporter, exchange, scope, receive, send)

    layer.app = app  # type: ignore[attr-defined]  # for code walking the app's layers
    return layer


async def _watch(
    app: ASGIApp,
    reporter: Reporter,
    exchange: _Exchange,
    scope: Scope,
    receive: Receive,
    send: Send,
) -> None:
    try:
        await app(scope, receive, partial(_sent, exchange, send))
    except Exception:
        await reporter.after(scope, exchange)  # the 500 the client got is judged too
        raise
    await reporter.after(scope, exchange)


def _sent(exchange: _Exchange, send: Send, message: Message) -> Any:
    if message["type"] == "http.response.start" and exchange.start is None:
        exchange.start = (message["status"], list(message.get("headers", ())))
    return send(message)


def _router_entry(router: ASGIApp) -> ASGIApp:
    """Before the router, inside every middleware: the path it routes, its own answer."""

    def router_entry(scope: Scope, receive: Receive, send: Send) -> Any:
        exchange = scope.get(_KEY)
        if exchange is None or exchange.router_start is not None:
            return router(scope, receive, send)
        exchange.path = scope["path"]
        exchange.root_path = scope.get("root_path", "")
        return router(scope, receive, partial(_routed, exchange, send))

    router_entry.app = router  # type: ignore[attr-defined]  # for code walking the layers
    return router_entry


def _routed(exchange: _Exchange, send: Send, message: Message) -> Any:
    if message["type"] == "http.response.start" and exchange.router_start is None:
        exchange.router_start = (message["status"], list(message.get("headers", ())))
    return send(message)


# -- what the browser concludes ------------------------------------------------------------------


class _Asked(browser.Request):
    """A preflight's actual request as the server sees it: the header names it asks for."""

    _names: list[str]

    def __init__(self, origin: str, method: str, url: str, names: list[str]) -> None:
        super().__init__(origin, method, url, (), False)
        object.__setattr__(self, "_names", sorted(set(names)))

    def with_credentials(self) -> _Asked:
        asked = _Asked(self.origin, self.method, self.url, self._names)
        object.__setattr__(asked, "credentials", True)
        return asked

    @property
    def unsafe_header_names(self) -> list[str]:
        names: list[str] = self._names
        return names


def _cors_part(headers: BytesHeaders) -> StrHeaders:
    """The ``Access-Control-*`` lines of ``headers``, names lower-cased: all a browser's
    CORS checks read (with the names of the others, for what a script may read)."""
    return [
        (key.decode("latin-1").lower(), value.decode("latin-1"))
        for key, value in headers
        if _is_cors(key)
    ]


def _is_2xx(status: int) -> bool:
    return 200 <= status <= 299


def _preflight_verdict(
    request: _Asked, status: int, headers: StrHeaders, private_network: bool
) -> CORSVerdict:
    anonymous = browser.preflight_check(request, status, headers)
    credentialed = browser.preflight_check(request.with_credentials(), status, headers)
    granted = None
    if private_network:
        allowed = browser.header_value(headers, "access-control-allow-private-network")
        granted = anonymous.ok and allowed == "true"
    reason = anonymous.reason
    if anonymous.ok and granted is False:
        reason = "the preflight asks for private network access and the answer does not grant it"
    return CORSVerdict(
        status=status,
        allowed=anonymous.ok and granted is not False,
        allowed_with_credentials=credentialed.ok and granted is not False,
        private_network=granted,
        exposed_headers=(),
        headers=tuple(headers),
        reason=reason,
    )


def _actual_verdict(
    request: browser.Request, status: int, headers: StrHeaders, other: list[bytes]
) -> CORSVerdict:
    anonymous = browser.cors_check(request, headers)
    credentialed = browser.cors_check(
        browser.Request(request.origin, request.method, request.url, (), True), headers
    )
    exposed: tuple[str, ...] = ()
    if anonymous.ok and browser.header_value(headers, "access-control-expose-headers"):
        names = [(name.decode("latin-1"), "") for name in other]
        readable = browser.readable_headers(request, [*headers, *names])
        exposed = tuple(
            sorted(name for name in readable if name not in browser.SAFELISTED_RESPONSE_HEADERS)
        )
    return CORSVerdict(
        status=status,
        allowed=anonymous.ok,
        allowed_with_credentials=credentialed.ok,
        private_network=None,
        exposed_headers=exposed,
        headers=tuple(headers),
        reason=anonymous.reason,
    )


def _same(app: CORSVerdict, policy: CORSVerdict) -> bool:
    return (
        app.allowed == policy.allowed
        and app.allowed_with_credentials == policy.allowed_with_credentials
        and app.private_network == policy.private_network
        and app.exposed_headers == policy.exposed_headers
    )


def _changes(app: CORSVerdict, policy: CORSVerdict) -> tuple[bool, bool]:
    """(something narrows, something widens)."""
    pairs = [
        (app.allowed, policy.allowed),
        (app.allowed_with_credentials, policy.allowed_with_credentials),
        (bool(app.private_network), bool(policy.private_network)),
    ]
    narrows = any(before and not after for before, after in pairs)
    widens = any(after and not before for before, after in pairs)
    if app.allowed and policy.allowed:
        narrows |= bool(set(app.exposed_headers) - set(policy.exposed_headers))
        widens |= bool(set(policy.exposed_headers) - set(app.exposed_headers))
    return narrows, widens


def _outcome(app: CORSVerdict, policy: CORSVerdict) -> Outcome:
    narrows, widens = _changes(app, policy)
    if narrows and widens:
        return "changed"
    return "blocked" if narrows else "allowed"


def _summary(verdict: CORSVerdict, past: bool) -> str:
    allow, block = ("allowed", "blocked") if past else ("allow", "block")
    if verdict.allowed_with_credentials:
        said = f"{allow} it, with credentials too"
    elif verdict.allowed:
        said = f"{allow} it without credentials only"
    else:
        return f"{block} it"
    if verdict.private_network is not None:
        said += ", granting private network access"
    if verdict.exposed_headers:
        said += f", exposing {', '.join(verdict.exposed_headers)}"
    return said


def _difference(app: CORSVerdict, policy: CORSVerdict) -> str:
    return f"the app {_summary(app, True)}; the policy would {_summary(policy, False)}"


def _reason(
    app: CORSVerdict, policy: CORSVerdict, why_refused: str, cors: RouteCORS | object
) -> str:
    """Why the policy answers differently, in its configuration's terms where it can."""
    settings = cors.policy if isinstance(cors, RouteCORS) else None
    if app.allowed and not policy.allowed and why_refused:
        return why_refused
    if app.private_network and not policy.private_network:
        return "the policy does not allow private network access (allow_private_network=False)"
    if app.allowed and not policy.allowed:
        return policy.reason
    if app.allowed_with_credentials and not policy.allowed_with_credentials:
        if settings is not None and not settings.allow_credentials:
            return "the policy does not allow credentials (allow_credentials=False)"
        return policy.reason or "the policy's answer fails the browser's check with credentials"
    if set(app.exposed_headers) - set(policy.exposed_headers):
        listed = ", ".join(settings.expose_headers) if settings is not None else ""
        return f"the policy exposes {listed or 'no response headers'} (expose_headers)"
    if set(policy.exposed_headers) - set(app.exposed_headers):
        listed = ", ".join(settings.expose_headers) if settings is not None else ""
        return f"the policy exposes {listed} (expose_headers)"
    failed = app.reason or "its answer does not grant what the policy grants"
    return f"the policy grants it, where the app's answer fails the browser's check: {failed}"


def _actual_reason(app: CORSVerdict, policy: CORSVerdict, cors: RouteCORS | None) -> str:
    why_refused = ""
    if cors is None:
        why_refused = "the route that serves it has no CORS policy (@no_cors, or no default)"
    elif not policy.allowed:
        why_refused = _precise("origin is not allowed", cors.policy, None, None, [])
    return _reason(app, policy, why_refused, cors)


def _preflight_reason(
    app: CORSVerdict,
    policy: CORSVerdict,
    cors: RouteCORS | object,
    asked: tuple[Any, bytes, bool, tuple[bytes, ...]],
    status: int,
    why_refused: str,
) -> str:
    if isinstance(cors, RouteCORS) and status != 204:
        why_refused = _preflight_refusal(cors, asked)
    return _reason(app, policy, why_refused, cors)


def _preflight_refusal(cors: RouteCORS, asked: tuple[Any, bytes, bool, tuple[bytes, ...]]) -> str:
    origin, method, _, requested = asked
    reason, _ = cors._check(origin, method, requested)
    return _precise(
        reason or "origin is not allowed",
        cors.policy,
        cors._allowed_methods,
        method,
        list(requested),
    )


def _is_cors(name: bytes) -> bool:
    return name[:15].lower() == _ACCESS_CONTROL


def _shown(value: bytes, limit: int) -> str:
    """A request value as one short printable line (it ends up in logs and in keys)."""
    text = value.decode("latin-1")
    if len(text) > limit:
        text = f"{text[:limit]}...({len(text)} chars)"
    if not text.isprintable():
        text = text.encode("unicode_escape").decode("ascii")
    return text
