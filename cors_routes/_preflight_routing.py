"""Which route a preflight is for, when a CORS route class (not ``install()``) serves it.

The router sends an OPTIONS request to the first route whose path matches (no route serves
OPTIONS: a partial match), which need not be the route that serves the method the preflight
asks for: ``GET /items`` and ``POST /items`` are two routes. The CORS route that receives
it asks a model of its app's routing table (``_route_index``, the one ``install()`` uses)
which route the router would pick for the actual request, at the router level the route
belongs to, and that route's policy answers. The model is built at the first preflight of
an app and rebuilt when a router of it gains or loses routes.
"""

from __future__ import annotations

import weakref
from typing import Any

from starlette.types import Scope

from . import _route_index as index
from ._dispatch import RouteCORS


class _Model:
    """The routing model of one app, with the level each route belongs to."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.watched: list[tuple[Any, Any, int]] = []
        self.levels: dict[int, index.Level] = {}
        self._build()

    def _build(self) -> None:
        from ._route_mixin import CORSRouteMixin

        watched: list[tuple[Any, Any, int]] = []
        entries: list[index.Entry] = []

        def on_entry(entry: index.Entry) -> None:
            entries.append(entry)
            # Only a CORS route class honours a policy without install().
            route = entry.route
            entry.decision = route.cors if isinstance(route, CORSRouteMixin) else None

        index.build(self.app, on_entry, watched)
        self.watched = watched
        levels = {}
        for entry in entries:
            assert entry.level is not None
            levels[id(entry.route)] = entry.level
            levels[id(entry.declared)] = entry.level
        self.levels = levels

    def level_of(self, route: Any) -> index.Level | None:
        if not index.is_current(self.watched):
            self._build()
        return self.levels.get(id(route))


_models: weakref.WeakKeyDictionary[Any, _Model] = weakref.WeakKeyDictionary()


def resolve_preflight(route: Any, scope: Scope, method: str) -> RouteCORS | None:
    """The CORS that answers a preflight for ``method`` which the router sent to ``route``.

    The policy of the route that serves ``method`` there; when none serves it, ``route``'s
    own (which refuses it); None when the route that serves it has no policy (or none does
    and ``route`` has none either): the framework answers, as it would without CORS.
    """
    own: RouteCORS | None = route.cors
    app = scope.get("app")
    level = _model(app).level_of(route) if app is not None else None
    if level is None:
        # The route is used on its own, not in an app's routing table.
        return own
    result = index.lookup(level, scope, method)
    if isinstance(result, index.Found):
        found: RouteCORS | None = result.entry.decision
        return found
    return own


_last: list[Any] = [None, None]  # [app, its model]: most processes serve one app


def _model(app: Any) -> _Model:
    if _last[0] is app:
        last: _Model = _last[1]
        return last
    try:
        model = _models.get(app)
        if model is None:
            model = _models[app] = _Model(app)
    except TypeError:  # an app that cannot be weakly referenced: model it each time
        return _Model(app)
    _last[:] = [app, model]
    return model
