"""Running the lint once per application, when the app starts serving its CORS routes.

Why the first request a CORS route handles, and not the lifespan: a route never sees the
lifespan (the router answers it), and when the route is built it does not know the app it
will join (``include_router`` and ``mount`` come later). The first request is the earliest
moment a route meets its app, as ``scope["app"]``, with every router already included.

How it stays off the hot path: ``arm`` puts a one-shot ``handle`` in the route's instance
dictionary, which shadows the class's method. Its first call removes it, runs the lint if
this app has not been linted yet, then calls the class's ``handle``. Every later request
finds the class method exactly as if nothing had been armed: no flag, no extra call.
"""

from __future__ import annotations

import functools
import logging
import weakref
from typing import Any

from starlette.types import Receive, Scope, Send

from . import lint

logger = logging.getLogger("cors_routes")

_linted: weakref.WeakSet[Any] = weakref.WeakSet()
_linted_ids: set[int] = set()  # apps that cannot be weakly referenced


def arm(route: Any) -> None:
    """Lint the app of ``route`` (once per app) on the first request the route handles."""
    vars(route)["handle"] = functools.partial(_first_handle, route)


async def _first_handle(route: Any, scope: Scope, receive: Receive, send: Send) -> None:
    vars(route).pop("handle", None)
    app = scope.get("app")
    if app is not None:
        lint_once(app)
    await type(route).handle(route, scope, receive, send)


def lint_once(app: Any) -> None:
    """Report the lint's findings for ``app`` as warnings, unless already done for it."""
    try:
        if app in _linted:
            return
        _linted.add(app)
    except TypeError:
        if id(app) in _linted_ids:
            return
        _linted_ids.add(id(app))
    try:
        # Async predicates would need this event loop: they are left to `cors-routes check`.
        findings = lint.check_app(app, call_async_predicates=False)
    except Exception:  # the lint must never break a request
        logger.warning("the CORS lint failed on this app", exc_info=True)
        return
    lint.warn(findings, stacklevel=2)
