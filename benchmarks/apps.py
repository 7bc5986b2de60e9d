"""The app under test, built three ways: no CORS, Starlette's CORSMiddleware, cors_routes.

The three variants have the same routes in the same order and the same endpoint; only the
CORS mechanism differs, so a ratio between them is the cost of that mechanism.
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

from cors_routes import CORSPolicy, CORSRoute, cors

NONE, MIDDLEWARE, CORS_ROUTES = "no CORS", "CORSMiddleware", "cors_routes"
VARIANTS = (NONE, MIDDLEWARE, CORS_ROUTES)

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

    def cors_policy(self) -> CORSPolicy:
        return CORSPolicy(
            allow_origins=list(self.origins),
            allow_credentials=self.credentials,
            allow_headers=list(self.headers),
            expose_headers=list(self.expose),
        )

    def middleware_kwargs(self) -> dict[str, Any]:
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
            "allow_methods": ["GET"],
        }


DEFAULT_POLICY = Policy()


def big_policy() -> Policy:
    """10,000 exact origins and 1,000 subdomain patterns (and the usual allowed origin)."""
    exact = [f"https://site{i}.example" for i in range(10_000)]
    patterns = [f"https://*.tenant{i}.example" for i in range(1_000)]
    return Policy(origins=(ALLOWED, *exact, *patterns))


def one_pattern_policy() -> Policy:
    return Policy(origins=(ALLOWED, "https://*.tenant999.example"))


def build(
    variant: str,
    *,
    routes_before: int = 0,
    policy: Policy = DEFAULT_POLICY,
    prefix: str | None = None,
) -> FastAPI:
    """The app: ``routes_before`` CORS routes, then the target ``GET /items``, then
    ``GET /plain`` (no CORS in any variant). With ``prefix``, the routes live in an
    ``APIRouter`` included under that prefix.
    """
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    is_cors_routes = variant == CORS_ROUTES
    route_class = CORSRoute if is_cors_routes else APIRoute
    # Without a prefix the routes go straight into the app's table (include_router would
    # add a wrapper that is matched too); with one, through a real include_router.
    router = app.router if prefix is None else APIRouter()
    router.route_class = route_class
    cors_policy = policy.cors_policy() if is_cors_routes else None

    def add(path: str, with_cors: bool) -> None:
        async def endpoint() -> dict[str, bool]:
            return {"ok": True}

        if cors_policy is not None and with_cors:
            endpoint = cors(cors_policy)(endpoint)
        router.add_api_route(path, endpoint, methods=["GET"])

    for index in range(routes_before):
        add(f"/filler/{index}", with_cors=True)
    add(TARGET, with_cors=True)
    add(PLAIN, with_cors=False)
    if prefix is not None:
        app.include_router(router, prefix=prefix)
    if variant == MIDDLEWARE:
        app.add_middleware(CORSMiddleware, **policy.middleware_kwargs())
    return app


def http_app() -> FastAPI:
    """Factory for uvicorn (``--factory``): the variant comes from ``BENCH_VARIANT``."""
    return build(os.environ["BENCH_VARIANT"])
