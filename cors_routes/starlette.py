"""CORSRoute for plain Starlette apps; importing it does not import FastAPI."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.routing import Route

from ._route_mixin import CORSRouteMixin, preflight_aware_matches
from ._startup import arm as arm_startup_lint
from .decorators import refusing_stand_in


class CORSRoute(CORSRouteMixin, Route):
    """A Starlette ``Route`` that answers its own preflights and puts CORS headers on its
    responses: ``CORSRoute("/items", list_items)`` with ``@cors(...)`` on ``list_items``.
    """

    matches = preflight_aware_matches(Route.matches)
    _route_handle = Route.handle

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        endpoint, policy = self._resolve_endpoint(endpoint)
        super().__init__(path, endpoint, **kwargs)
        self._bind(policy)
        if policy is not None:
            # self.app already holds the real endpoint; only copies of this route read this.
            self.endpoint = refusing_stand_in(endpoint)
            arm_startup_lint(self)
