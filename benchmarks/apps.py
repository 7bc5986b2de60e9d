"""The app under test, built three ways: no CORS, Starlette's CORSMiddleware, cors_routes.

The three variants have the same routes in the same order and the same endpoint; only the
CORS mechanism differs, so a ratio between them is the cost of that mechanism. A fourth,
``cors_routes.install()`` (the plain-APIRoute app, then ``install(app, default=policy)``),
exists when the installed cors_routes has ``install``: see ``install_available``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.middleware.cors import CORSMiddleware

import cors_routes
from cors_routes import CORSPolicy, CORSRoute, cors, no_cors

NONE, MIDDLEWARE, CORS_ROUTES = "no CORS", "CORSMiddleware", "cors_routes"
INSTALL = "cors_routes.install()"
VARIANTS = (NONE, MIDDLEWARE, CORS_ROUTES)
ALL_VARIANTS = (*VARIANTS, INSTALL)

ALLOWED = "https://app.example"
DISALLOWED = "https://evil.example"
TARGET = "/items"
PLAIN = "/plain"


@dataclass(frozen=True)
class Policy:
    """One CORS policy, given to CORSPolicy and (translated) to CORSMiddleware."""

    origins: Sequence[str] = (ALLOWED,)
    credentials: bool = True
    headers: Sequence[str] = ("x-token",)
    expose: Sequence[str] = ("x-total",)
    extra: dict[str, Any] = field(default_factory=dict)
    # The origins decided by a cached predicate (cached_origins) instead of a static list.
    cached_predicate: bool = False

    def cors_policy(self, methods: Sequence[str] | None = None) -> CORSPolicy:
        """``methods``: allow_methods (None: unset, the route's own on an endpoint's policy;
        install()'s default, like CORSMiddleware, reads unset as GET only)."""
        if self.cached_predicate:
            return CORSPolicy(
                allow_origin_func=origin_cache(self.origins),
                allow_credentials=self.credentials,
                allow_methods=None if methods is None else list(methods),
                allow_headers=list(self.headers),
                expose_headers=list(self.expose),
            )
        return CORSPolicy(
            allow_origins=list(self.origins),
            allow_credentials=self.credentials,
            allow_methods=None if methods is None else list(methods),
            allow_headers=list(self.headers),
            expose_headers=list(self.expose),
        )

    def middleware_kwargs(self, methods: Sequence[str] = ("GET",)) -> dict[str, Any]:
        exact = [o for o in self.origins if "*." not in o]
        patterns = [o for o in self.origins if "*." in o]
        regex = None
        if patterns:
            # CORSMiddleware has no subdomain patterns: the equivalent is one regex.
            bases = "|".join(re.escape(p.replace("*.", "")).split("//", 1)[1] for p in patterns)
            regex = rf"https://(?:[a-z0-9\-]+\.)+(?:{bases})"
        return {
            "allow_origins": exact,
            "allow_origin_regex": regex,
            "allow_credentials": self.credentials,
            "allow_headers": list(self.headers),
            "expose_headers": list(self.expose),
            "allow_methods": list(methods),
        }


DEFAULT_POLICY = Policy()


def origin_cache(origins: Sequence[str]) -> Any:
    """A predicate as a store's would be (async, one query per call), cached: after the first
    request from an origin every answer is the cache's."""
    from cors_routes import cached_origins

    registered = frozenset(origins)

    async def registered_origin(origin: str) -> bool:
        return origin in registered

    return cached_origins(registered_origin)


def big_policy() -> Policy:
    """10,000 exact origins and 1,000 subdomain patterns (and the usual allowed origin)."""
    exact = [f"https://site{i}.example" for i in range(10_000)]
    patterns = [f"https://*.tenant{i}.example" for i in range(1_000)]
    return Policy(origins=(ALLOWED, *exact, *patterns))


def one_pattern_policy() -> Policy:
    return Policy(origins=(ALLOWED, "https://*.tenant999.example"))


# None until the installed cors_routes has install(): its variant is then "n/a".
_install: Any = getattr(cors_routes, "install", None)


def install_available() -> bool:
    return _install is not None


def build(
    variant: str,
    *,
    routes_before: int = 0,
    policy: Policy = DEFAULT_POLICY,
    prefix: str | None = None,
    methods: Sequence[str] = ("GET",),
) -> FastAPI:
    """The app: ``routes_before`` CORS routes (``GET /filler/<i>``), then the target
    ``/items`` serving ``methods``, then ``GET /plain`` (no CORS in any variant). With
    ``prefix``, the routes live in an ``APIRouter`` included under that prefix.
    """
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    is_cors_routes = variant == CORS_ROUTES
    route_class = CORSRoute if is_cors_routes else APIRoute
    # Without a prefix the routes go straight into the app's table (include_router would
    # add a wrapper that is matched too); with one, through a real include_router.
    router = app.router if prefix is None else APIRouter()
    router.route_class = route_class
    cors_policy = policy.cors_policy() if is_cors_routes else None

    def endpoint_for(with_cors: bool) -> Any:
        async def endpoint() -> dict[str, bool]:
            return {"ok": True}

        if cors_policy is not None and with_cors:
            return cors(cors_policy)(endpoint)
        if variant == INSTALL and not with_cors:
            return no_cors(endpoint)  # the default would cover it otherwise
        return endpoint

    # The fillers are only matched, never served: one endpoint shared by all of them and
    # no response model, which makes 10,000 of them affordable under valgrind. Per-request
    # work is the same: a request passing a route runs only its matches().
    async def filler() -> dict[str, bool]:
        return {"ok": True}

    shared = cors(cors_policy)(filler) if cors_policy is not None else filler
    for index in range(routes_before):
        router.add_api_route(f"/filler/{index}", shared, methods=["GET"], response_model=None)
    router.add_api_route(TARGET, endpoint_for(with_cors=True), methods=list(methods))
    router.add_api_route(PLAIN, endpoint_for(with_cors=False), methods=["GET"])
    if prefix is not None:
        app.include_router(router, prefix=prefix)
    if variant == MIDDLEWARE:
        app.add_middleware(CORSMiddleware, **policy.middleware_kwargs(methods))
    if variant == INSTALL:
        if _install is None:
            raise RuntimeError("this cors_routes has no install()")
        # The same table of plain APIRoutes as NONE; every route gets the default policy,
        # except /plain (@no_cors). The methods are the middleware's, as in the migration.
        _install(app, default=policy.cors_policy(methods))
    return app


def http_app() -> FastAPI:
    """Factory for uvicorn (``--factory``): the variant comes from ``BENCH_VARIANT``, the
    number of routes before the target from ``BENCH_ROUTES_BEFORE`` (default 0)."""
    routes_before = int(os.environ.get("BENCH_ROUTES_BEFORE", "0"))
    return build(os.environ["BENCH_VARIANT"], routes_before=routes_before)
