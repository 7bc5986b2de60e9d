"""Per-endpoint CORS for FastAPI and Starlette.

``CORSRoute`` (FastAPI) is imported on first use, so ``cors_routes`` and
``cors_routes.starlette`` work in a Starlette app without FastAPI installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._installation import install
from ._options import CORSOptions
from ._origin_cache import OriginCache, OriginCacheStats, cached_origins
from .decorators import cors, no_cors
from .exceptions import CORSConfigError
from .policy import CORSPolicy
from .starlette import CORSRoute as StarletteCORSRoute

if TYPE_CHECKING:
    from .routing import CORSRoute

__all__ = [
    "CORSConfigError",
    "CORSOptions",
    "CORSPolicy",
    "CORSRoute",
    "OriginCache",
    "OriginCacheStats",
    "StarletteCORSRoute",
    "cached_origins",
    "cors",
    "install",
    "no_cors",
]


def __getattr__(name: str) -> Any:
    if name == "CORSRoute":
        try:
            from .routing import CORSRoute
        except ModuleNotFoundError as error:  # pragma: no cover - depends on the environment
            if error.name != "fastapi":
                raise
            raise ImportError(
                "cors_routes.CORSRoute needs FastAPI: pip install 'cors-routes[fastapi]'; "
                "for a plain Starlette app use cors_routes.starlette.CORSRoute"
            ) from error
        return CORSRoute
    raise AttributeError(f"module 'cors_routes' has no attribute {name!r}")
