"""Per-endpoint CORS for FastAPI and Starlette.

``CORSRoute`` (FastAPI) is imported on first use, so ``cors_routes`` and
``cors_routes.starlette`` work in a Starlette app without FastAPI installed.
``assert_cors_contract`` (a test helper) loads :mod:`cors_routes.contract` when first
called: ``import cors_routes`` never loads the diagnostics.
"""

from __future__ import annotations

from collections.abc import Iterable
from os import PathLike
from typing import TYPE_CHECKING, Any

from ._installation import install
from ._options import CORSOptions
from ._origin_cache import OriginCache, OriginCacheStats, cached_origins
from ._report import CORSReport, CORSVerdict
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
    "CORSReport",
    "CORSRoute",
    "CORSVerdict",
    "OriginCache",
    "OriginCacheStats",
    "StarletteCORSRoute",
    "assert_cors_contract",
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


def assert_cors_contract(
    app: Any,
    path: str | PathLike[str],
    *,
    update: bool | None = None,
    origins: Iterable[str] = (),
    lifespan: bool = False,
) -> None:
    """Fail (``AssertionError``) when what browsers may do with ``app`` differs from the CORS
    contract in ``path``, with every change in words; rewrite it with ``update=True`` or
    ``CORS_ROUTES_UPDATE_CONTRACT=1``. See :func:`cors_routes.contract.assert_cors_contract`.
    """
    # The contract is a diagnostic: loaded by the first call, never by `import cors_routes`.
    from .contract import assert_cors_contract as check

    check(app, path, update=update, origins=origins, lifespan=lifespan)
