"""The browser scenarios: one table, plain data, read by the Chromium suite and by other tests.

Every row is one ``fetch()`` made by a page on some origin to one of the test APIs, and what
headless Chromium is expected to decide. Nothing here runs anything: the apps are built by
``e2e_apps.build_apps(ports)`` and the suite in ``test_browser_cors.py`` executes the rows.

Import it with the directory on ``sys.path`` (pytest puts it there for tests in this folder)::

    sys.path.insert(0, "tests/browser")
    from scenarios import SCENARIOS, APP_URLS, EXAMPLE_PORTS

and the apps as ``e2e_apps:fastapi_app`` / ``e2e_apps:starlette_app`` (built for
``EXAMPLE_PORTS``), or ``e2e_apps.build_apps(ports)[scenario.app]`` for other ports.

Placeholders
    Origins and URLs are templates with ``{page}``, ``{other}``, ``{api}`` and ``{starlette}``
    port placeholders, filled with ``template.format(**ports)`` where ``ports`` is the dict the
    suite (or any other user) picked; ``e2e_apps.build_apps(ports)`` builds the apps' policies
    from the same templates, so a row and the policies always agree. The hosts under ``.test``
    are mapped to 127.0.0.1 by Chromium's ``--host-resolver-rules`` so every origin is loopback.

Fields of a ``Scenario``
    ``id``           stable, unique name (the pytest id).
    ``feature``      the library feature the row proves, in a few words.
    ``app``          which test app serves the request: ``"fastapi"``, ``"starlette"`` or
                     ``"installed"`` (a FastAPI app given its CORS by ``install()``; keys of
                     ``APP_URLS`` and of ``e2e_apps.build_apps(ports)``).
    ``endpoint``     the endpoint function's name in that app (for humans and ``explain``).
    ``path``         request path (and query) on the app.
    ``origin``       the page's origin template: where the ``fetch()`` runs.
    ``method``       the method exactly as passed to ``fetch()`` (``"patch"`` stays lower case:
                     browsers upper-case only DELETE/GET/HEAD/OPTIONS/POST/PUT).
    ``headers``      request headers set by the script (name -> value).
    ``body``         request body text, or None.
    ``credentials``  fetch credentials mode: ``"omit"``, ``"same-origin"`` (the browser default) or
                     ``"include"``. Every browser context holds a ``session`` cookie (SameSite=Lax)
                     for 127.0.0.1, so ``"include"`` from a 127.0.0.1 page sends it.
    ``cache``        fetch cache mode: ``"default"``, or ``"no-store"`` (which also bypasses the
                     preflight cache).
    ``repeat``       how many times the same fetch runs, one after the other, in the same page.

    Expected browser verdict (for every repetition):
    ``allowed``      True: the promise resolves and JavaScript reads the response;
                     False: it rejects with ``TypeError: Failed to fetch`` (a CORS failure).
    ``status``       the status JavaScript reads (allowed rows only).
    ``readable``     response headers JavaScript must read, name (lower case) -> value.
    ``hidden``       response headers the server sends but JavaScript must not read.
    ``body_contains``  a substring of the response text JavaScript reads (allowed rows).

    Expected server side (counted by a recorder around the app, over all repetitions):
    ``preflights``   OPTIONS preflights the server received.
    ``reached``      actual (non-preflight) requests the server received; a blocked simple request
                     still reaches the server, a blocked preflighted one does not.
    ``cookie_sent``  whether the actual request carried the session cookie (None: not checked).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# --- origins (templates) ---------------------------------------------------------------------
PAGE = "http://127.0.0.1:{page}"  # the "app" page: another port than the API
LOCALHOST = "http://localhost:{page}"  # same port, other host name: a third origin
OTHER = "http://127.0.0.1:{other}"  # a second page server: a stranger, or the admin site
SUBDOMAIN = "http://eu.shop.test:{page}"
DEEP_SUBDOMAIN = "http://a.b.shop.test:{page}"
APEX = "http://shop.test:{page}"
LOOKALIKE = "http://evil-shop.test:{page}"
SUFFIX_TRAP = "http://shop.test.evil.test:{page}"
SUBDOMAIN_OTHER_PORT = "http://eu.shop.test:{other}"
REGEX_APP = "http://app.regex.test:{page}"
REGEX_BETA = "http://beta.regex.test:{page}"
REGEX_PREFIX_TRAP = "http://app.regex.test.evil.test:{page}"

# Ports for a run outside the suite (e.g. ``cors-routes explain e2e_apps:fastapi_app ...``):
# ``e2e_apps.fastapi_app`` and ``e2e_apps.starlette_app`` are built for these.
EXAMPLE_PORTS = {"page": 8001, "other": 8002, "api": 8000, "starlette": 8003, "installed": 8004}

# Where each app is served.
APP_URLS = {
    "fastapi": "http://127.0.0.1:{api}",
    "starlette": "http://127.0.0.1:{starlette}",
    "installed": "http://127.0.0.1:{installed}",
}

JSON = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class Scenario:
    id: str
    feature: str
    app: str
    endpoint: str
    path: str
    origin: str
    allowed: bool
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    credentials: str = "same-origin"
    cache: str = "default"
    repeat: int = 1
    status: int | None = None
    readable: dict[str, str] = field(default_factory=dict)
    hidden: tuple[str, ...] = ()
    body_contains: str | None = None
    preflights: int = 0
    reached: int = 1
    cookie_sent: bool | None = None


def _ok(
    id: str,
    feature: str,
    endpoint: str,
    path: str,
    origin: str,
    *,
    app: str = "fastapi",
    status: int = 200,
    **kw: Any,
) -> Scenario:
    """An allowed row (default status 200)."""
    return Scenario(id, feature, app, endpoint, path, origin, True, status=status, **kw)


def _no(
    id: str, feature: str, endpoint: str, path: str, origin: str, *, app: str = "fastapi", **kw: Any
) -> Scenario:
    """A blocked row."""
    return Scenario(id, feature, app, endpoint, path, origin, False, **kw)


SCENARIOS: tuple[Scenario, ...] = (
    # -- origins: exact, *, subdomain pattern, regex, predicates ------------------------------
    _ok("exact-allowed", "exact origin", "exact", "/exact", PAGE, body_contains="exact"),
    _no(
        "exact-other-port", "exact origin: another port is another origin", "exact", "/exact", OTHER
    ),
    _no(
        "exact-localhost", "exact origin: localhost is not 127.0.0.1", "exact", "/exact", LOCALHOST
    ),
    _ok("any-origin", "allow_origins=['*']", "any_origin", "/any", OTHER),
    _ok("any-origin-localhost", "allow_origins=['*']", "any_origin", "/any", LOCALHOST),
    _ok("subdomain", "subdomain pattern", "subdomains", "/subdomains", SUBDOMAIN),
    _ok(
        "subdomain-deep",
        "subdomain pattern, any depth",
        "subdomains",
        "/subdomains",
        DEEP_SUBDOMAIN,
    ),
    _no("subdomain-apex", "subdomain pattern excludes the apex", "subdomains", "/subdomains", APEX),
    _no(
        "subdomain-lookalike",
        "subdomain pattern: evil-shop.test",
        "subdomains",
        "/subdomains",
        LOOKALIKE,
    ),
    _no(
        "subdomain-suffix",
        "subdomain pattern: shop.test.evil.test",
        "subdomains",
        "/subdomains",
        SUFFIX_TRAP,
    ),
    _no(
        "subdomain-port",
        "subdomain pattern keeps its port",
        "subdomains",
        "/subdomains",
        SUBDOMAIN_OTHER_PORT,
    ),
    _ok("regex", "allow_origin_regex", "regex", "/regex", REGEX_APP),
    _ok("regex-alternative", "allow_origin_regex", "regex", "/regex", REGEX_BETA),
    _no(
        "regex-full-match",
        "allow_origin_regex matches the whole origin",
        "regex",
        "/regex",
        REGEX_PREFIX_TRAP,
    ),
    _ok("func-sync", "sync allow_origin_func", "func_sync", "/func/sync", LOCALHOST),
    _no("func-sync-denied", "sync allow_origin_func", "func_sync", "/func/sync", PAGE),
    _ok("func-async", "async allow_origin_func", "func_async", "/func/async", LOCALHOST),
    _no("func-async-denied", "async allow_origin_func", "func_async", "/func/async", PAGE),
    _no("func-raises", "allow_origin_func that raises denies", "func_raises", "/func/raises", PAGE),
    # -- JSON POST: preflighted, default allow_headers -----------------------------------------
    _ok(
        "json-post",
        "JSON POST preflight, default allow_headers",
        "create_order",
        "/orders",
        PAGE,
        method="POST",
        headers=JSON,
        body='{"item": "teapot"}',
        body_contains="teapot",
        preflights=1,
    ),
    _no(
        "json-post-stranger",
        "refused preflight stops the request",
        "create_order",
        "/orders",
        OTHER,
        method="POST",
        headers=JSON,
        body='{"item": "teapot"}',
        preflights=1,
        reached=0,
    ),
    _ok(
        "text-post-no-preflight",
        "simple POST is not preflighted",
        "create_order",
        "/orders",
        PAGE,
        method="POST",
        headers={"Content-Type": "text/plain"},
        body="{}",
        status=422,
    ),
    # -- per-method policies on one path ----------------------------------------------------------
    _ok(
        "item-get-anyone",
        "per-method: GET open to *",
        "read_item",
        "/items/7",
        OTHER,
        body_contains="7",
    ),
    _ok(
        "item-put",
        "per-method: PUT for the app",
        "replace_item",
        "/items/7",
        PAGE,
        method="PUT",
        headers=JSON,
        body='{"name": "mug"}',
        body_contains="mug",
        preflights=1,
    ),
    _no(
        "item-put-stranger",
        "per-method: PUT for the app only",
        "replace_item",
        "/items/7",
        OTHER,
        method="PUT",
        headers=JSON,
        body='{"name": "mug"}',
        preflights=1,
        reached=0,
    ),
    _ok(
        "item-patch",
        "per-method: PATCH for localhost",
        "update_item",
        "/items/7",
        LOCALHOST,
        method="PATCH",
        headers=JSON,
        body='{"name": "cup"}',
        body_contains="cup",
        preflights=1,
    ),
    _no(
        "item-patch-lower-case",
        "methods are case-sensitive: 'patch' is not PATCH",
        "update_item",
        "/items/7",
        LOCALHOST,
        method="patch",
        headers=JSON,
        body='{"name": "cup"}',
        preflights=1,
        reached=0,
    ),
    _no(
        "item-patch-wrong-origin",
        "per-method: PATCH for localhost only",
        "update_item",
        "/items/7",
        PAGE,
        method="PATCH",
        headers=JSON,
        body='{"name": "cup"}',
        preflights=1,
        reached=0,
    ),
    _ok(
        "item-delete-admin",
        "per-method: DELETE for the admin origin",
        "delete_item",
        "/items/7",
        OTHER,
        method="DELETE",
        body_contains="deleted",
        preflights=1,
    ),
    _no(
        "item-delete-app",
        "per-method: DELETE refused to the app",
        "delete_item",
        "/items/7",
        PAGE,
        method="DELETE",
        preflights=1,
        reached=0,
    ),
    # -- request headers --------------------------------------------------------------------------
    _ok(
        "custom-header",
        "custom request header in allow_headers",
        "custom_header",
        "/custom-header",
        PAGE,
        headers={"X-Request-Id": "r-1"},
        body_contains="r-1",
        preflights=1,
    ),
    _no(
        "custom-header-unlisted",
        "unlisted request header",
        "custom_header",
        "/custom-header",
        PAGE,
        headers={"X-Other": "1"},
        preflights=1,
        reached=0,
    ),
    _ok(
        "authorization-star",
        "Authorization with allow_headers=['*'], no credentials",
        "auth_star",
        "/auth/star",
        PAGE,
        headers={"Authorization": "Bearer t0k"},
        credentials="omit",
        body_contains="Bearer t0k",
        preflights=1,
    ),
    _ok(
        "authorization-star-credentials",
        "Authorization with allow_headers=['*'] and credentials",
        "auth_star_credentials",
        "/auth/star-credentials",
        PAGE,
        headers={"Authorization": "Bearer t0k"},
        credentials="include",
        body_contains="Bearer t0k",
        preflights=1,
        cookie_sent=True,
    ),
    # -- credentials ------------------------------------------------------------------------------
    _ok(
        "cookie",
        "credentials: the cookie reaches the endpoint",
        "me",
        "/me",
        PAGE,
        credentials="include",
        body_contains="e2e-session",
        cookie_sent=True,
    ),
    _ok(
        "cookie-omitted",
        "credentials='omit' sends no cookie",
        "me",
        "/me",
        PAGE,
        credentials="omit",
        body_contains="null",
        cookie_sent=False,
    ),
    _no(
        "cookie-stranger",
        "credentialed simple GET from a stranger: blocked, but it ran",
        "me",
        "/me",
        OTHER,
        credentials="include",
        cookie_sent=True,
    ),
    _no(
        "credentials-not-allowed",
        "credentials='include' on a policy without credentials",
        "exact",
        "/exact",
        PAGE,
        credentials="include",
        cookie_sent=True,
    ),
    # -- expose headers ---------------------------------------------------------------------------
    _ok(
        "expose-headers",
        "only exposed headers are readable",
        "exposed",
        "/exposed",
        PAGE,
        readable={"x-order-id": "42", "content-type": "application/json"},
        hidden=("x-internal",),
    ),
    _ok(
        "expose-headers-credentials",
        "exposed headers with credentials",
        "exposed_credentials",
        "/exposed-credentials",
        PAGE,
        credentials="include",
        readable={"x-order-id": "42"},
        hidden=("x-internal",),
    ),
    # -- max-age: the preflight cache -------------------------------------------------------------
    _ok(
        "max-age-cached",
        "max_age: second request not preflighted",
        "cached",
        "/cached",
        PAGE,
        method="PUT",
        headers=JSON,
        body="{}",
        repeat=2,
        preflights=1,
        reached=2,
    ),
    _ok(
        "max-age-no-store",
        "cache='no-store' bypasses the preflight cache",
        "cached",
        "/cached",
        PAGE,
        method="PUT",
        headers=JSON,
        body="{}",
        cache="no-store",
        repeat=2,
        preflights=2,
        reached=2,
    ),
    _ok(
        "max-age-zero",
        "max_age=0: every request preflighted",
        "uncached",
        "/uncached",
        PAGE,
        method="PUT",
        headers=JSON,
        body="{}",
        repeat=2,
        preflights=2,
        reached=2,
    ),
    # -- router default, override, no_cors, included with a prefix --------------------------------
    _ok(
        "router-default", "router-wide default (route class)", "stock", "/partner/stock", LOCALHOST
    ),
    _no(
        "router-default-denied",
        "router-wide default (route class)",
        "stock",
        "/partner/stock",
        PAGE,
    ),
    _ok(
        "router-default-preflight",
        "router default, preflight through include_router prefix",
        "set_stock",
        "/partner/stock/teapot",
        LOCALHOST,
        method="PUT",
        headers=JSON,
        body='{"count": 3}',
        body_contains="teapot",
        preflights=1,
    ),
    _ok(
        "router-override",
        "@cors overrides the router default",
        "export",
        "/partner/stock/export",
        PAGE,
    ),
    _no(
        "router-override-replaces",
        "the override replaces the default",
        "export",
        "/partner/stock/export",
        LOCALHOST,
    ),
    _no(
        "router-no-cors",
        "@no_cors opts out of the default",
        "debug",
        "/partner/stock/debug",
        LOCALHOST,
    ),
    _no(
        "router-no-cors-preflight",
        "@no_cors: preflight not answered",
        "debug_reset",
        "/partner/stock/debug",
        LOCALHOST,
        method="DELETE",
        preflights=1,
        reached=0,
    ),
    # -- errors readable by JavaScript ------------------------------------------------------------
    _ok(
        "http-exception",
        "HTTPException carries CORS headers",
        "conflict",
        "/errors/http-exception",
        PAGE,
        status=409,
        body_contains="already ordered",
    ),
    _ok(
        "dependency-exception",
        "HTTPException from a dependency",
        "guarded",
        "/errors/dependency",
        PAGE,
        status=401,
        body_contains="log in",
    ),
    _ok(
        "validation-422",
        "422 validation error",
        "validated",
        "/errors/validation?count=many",
        PAGE,
        status=422,
        body_contains="count",
    ),
    _ok(
        "method-405",
        "405 for a wrong method on the path",
        "get_only",
        "/errors/method",
        PAGE,
        method="POST",
        headers={"Content-Type": "text/plain"},
        body="x",
        status=405,
    ),
    _ok(
        "unhandled-500",
        "unhandled exception: 500 readable",
        "crash",
        "/errors/crash",
        PAGE,
        status=500,
        body_contains="Internal Server Error",
    ),
    _ok("streaming", "streaming response", "stream", "/stream", PAGE, body_contains="chunk-3"),
    # -- plain Starlette -------------------------------------------------------------------------
    _ok(
        "starlette",
        "plain Starlette app",
        "items",
        "/items",
        PAGE,
        app="starlette",
        body_contains="[1,2,3]",
    ),
    _no("starlette-stranger", "plain Starlette app", "items", "/items", OTHER, app="starlette"),
    _ok(
        "starlette-preflight",
        "plain Starlette app, preflighted PUT",
        "items",
        "/items",
        PAGE,
        app="starlette",
        method="PUT",
        headers=JSON,
        body="[4]",
        body_contains="[4]",
        preflights=1,
    ),
    # -- install(): one call for a whole app ---------------------------------------------------
    _ok(
        "install-default",
        "install(): a plain router's route gets the default, with credentials",
        "list_items",
        "/api/items",
        PAGE,
        app="installed",
        credentials="include",
        cookie_sent=True,
        body_contains="list_items",
    ),
    _no(
        "install-default-stranger",
        "install(): the default refuses other origins",
        "list_items",
        "/api/items",
        OTHER,
        app="installed",
    ),
    _ok(
        "install-library-router",
        "install(): a library's plain router, preflighted JSON POST",
        "login",
        "/auth/login",
        PAGE,
        app="installed",
        method="POST",
        headers=JSON,
        body="{}",
        body_contains="token",
        preflights=1,
    ),
    _ok(
        "install-own-policy",
        "install(): @cors on an endpoint replaces the default",
        "delete_item",
        "/api/items/1",
        OTHER,
        app="installed",
        method="DELETE",
        body_contains="deleted",
        preflights=1,
    ),
    _no(
        "install-own-policy-default-origin",
        "install(): the default's origin is refused where @cors says otherwise",
        "delete_item",
        "/api/items/1",
        PAGE,
        app="installed",
        method="DELETE",
        preflights=1,
        reached=0,
    ),
    _no(
        "install-no-cors",
        "install(): @no_cors opts out",
        "internal",
        "/api/internal",
        PAGE,
        app="installed",
    ),
    _ok(
        "install-404",
        "install(): the router's 404 is readable",
        "(none)",
        "/api/missing",
        PAGE,
        app="installed",
        status=404,
    ),
    _ok(
        "install-500",
        "install(): an unhandled error's 500 is readable",
        "boom",
        "/api/boom",
        PAGE,
        app="installed",
        status=500,
        body_contains="Internal Server Error",
    ),
    _ok(
        "install-slash-redirect",
        "install(): the slash redirect carries its target's answer",
        "list_items",
        "/api/items/",
        PAGE,
        app="installed",
        body_contains="list_items",
        reached=2,
    ),
    _ok(
        "install-slash-redirect-preflighted",
        "install(): a preflighted request through the slash redirect",
        "put_items",
        "/api/items/",
        PAGE,
        app="installed",
        method="PUT",
        headers=JSON,
        body="{}",
        body_contains="put_items",
        preflights=2,
        reached=2,
    ),
    _ok(
        "install-mount",
        "install(): a mounted ASGI app gets the default",
        "(mount)",
        "/static/hello.txt",
        PAGE,
        app="installed",
        body_contains="static file",
    ),
    _ok(
        "install-docs",
        "install(): FastAPI's OpenAPI route gets the default",
        "openapi",
        "/openapi.json",
        PAGE,
        app="installed",
        body_contains="openapi",
    ),
    _ok(
        "install-router-after",
        "install(): a router included after install()",
        "late_endpoint",
        "/late",
        PAGE,
        app="installed",
        body_contains="late",
    ),
)
