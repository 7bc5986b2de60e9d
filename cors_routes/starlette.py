"""CORSRoute for plain Starlette apps; importing it does not import FastAPI."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.routing import Route

from ._route_mixin import CORSRouteMixin

__all__ = ["CORSRoute"]


class CORSRoute(CORSRouteMixin, Route):
    """A Starlette ``Route`` that answers its own preflights and puts CORS headers on its
    responses: ``CORSRoute("/items", list_items)`` with ``@cors(...)`` on ``list_items``.
    """

    _route_handle = Route.handle

    if not TYPE_CHECKING:
        # Hidden from type checkers, which then check a call against Route's own signature
        # (of the installed Starlette: methods=, name=, ...), not against ``**kwargs: Any``.
        def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
            super().__init__(path, endpoint, **kwargs)
            self._bind()
