"""CORSRoute for FastAPI: ``APIRouter(route_class=CORSRoute)``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi.routing import APIRoute

from ._openapi import with_cors_extension
from ._route_mixin import CORSRouteMixin

__all__ = ["CORSRoute"]


class CORSRoute(CORSRouteMixin, APIRoute):
    """An ``APIRoute`` that answers its own preflights and puts CORS headers on its responses.

    The policy comes from ``@cors`` on the endpoint, else from the class attribute
    ``cors_policy``; a route with neither (or with ``@no_cors``) behaves exactly like
    ``APIRoute``.
    """

    _route_handle = APIRoute.handle

    if not TYPE_CHECKING:
        # Hidden from type checkers, which then check a call against APIRoute's own
        # signature (of the installed FastAPI), not against ``**kwargs: Any``.
        def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
            super().__init__(path, endpoint, **kwargs)
            policy = self._bind()
            if policy is not None:
                self.openapi_extra = with_cors_extension(
                    self.openapi_extra, policy, self.methods, type(self).x_cors
                )
