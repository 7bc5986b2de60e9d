"""The methods a granted preflight lists in ``Access-Control-Allow-Methods``.

Browsers cache a preflight's grant per method (Fetch, "CORS-preflight cache"): a grant that
names only the asked method makes a page that sends PUT and then DELETE to one URL pay two
preflights, where ``CORSMiddleware`` (which lists all its methods) costs one. So a grant
lists, after the asked method, every other method the same origin would be granted at that
URL with the same request headers: for each method some route whose path matches lists
(:func:`_selection.methods_at`), the route the router would run for it
(:func:`_selection.select`) must have a policy that grants this very preflight with that
method, and that allows credentials and a max-age at least as long as the answering one's
(the browser caches the listed methods with this answer's). CORS-safelisted methods (GET,
HEAD, POST) are never preflighted for their method, so listing them saves nothing.

What it discloses: an origin that is granted learns the other methods it is granted at that
URL, which it could learn by asking for each; a refused origin gets no list at all.

What it costs: the methods at a URL are remembered per router level and path, and a list of
more than the asked method per answering policy, router, path and question, each replayed
only while every route and router it asked is unchanged (``_selection``'s traces).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette._utils import get_route_path
from starlette.types import Scope

from . import _selection
from ._dispatch import Asked, RouteCORS

_SAFELISTED = frozenset({"GET", "HEAD", "POST"})
_REMEMBERED = 256
_REMEMBERED_PATH = 1024

CorsOf = Callable[[_selection.Selection], "RouteCORS | None"]


async def allow_methods(
    router: Any, scope: Scope, asked: Asked, answering: RouteCORS, cors_of: CorsOf
) -> bytes | None:
    """The ``Access-Control-Allow-Methods`` of ``answering``'s grant of ``asked`` at the
    URL of ``scope``, when it lists more than the asked method; None when it does not."""
    methods, trace = _selection.methods_at(router, scope)
    asked_method = asked[1].decode("latin-1")
    others = methods - _SAFELISTED
    if not others or (len(others) == 1 and asked_method in others):
        return None
    route_path = get_route_path(scope)
    key = (id(router), route_path, asked)
    found = answering.listed.get(key)
    if found is not None and all(held.still_holds() for held in found[1]):
        return found[0] or None
    traces: list[Any] = [trace]
    remember = trace is not None and len(route_path) <= _REMEMBERED_PATH
    listed = [asked[1]]
    origin, _, private_network, requested = asked
    for method in sorted(others - {asked_method}):
        selection, held = _selection.selected(router, scope, method)
        traces.append(held)
        remember = remember and held is not None
        cors = cors_of(selection)
        if cors is None or not cors.may_share_cache_with(answering):
            continue
        if private_network and answering.policy.allow_private_network:
            if not cors.policy.allow_private_network:
                continue
        encoded = method.encode("latin-1")
        granted, stable = await cors.grants(scope, (origin, encoded, private_network, requested))
        remember = remember and stable
        if granted:
            listed.append(encoded)
    value = b", ".join(listed) if len(listed) > 1 else b""
    if remember:
        memo = answering.listed
        if len(memo) >= _REMEMBERED:
            memo.clear()
        memo[key] = (value, tuple(traces))
    return value or None
