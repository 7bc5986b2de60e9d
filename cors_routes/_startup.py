"""Running the lint once per application, when the app starts serving.

When: under ``install()``, at the app's start-up, when the app sends
``lifespan.startup.complete`` (its own start-up has run, every router is included, and the
server serves nothing before that message): the first request pays none of it. A server
that runs no lifespan (``uvicorn --lifespan off``, a test client used without ``with``)
gets it at the first request instead. Route classes have no such moment: a route never
sees the lifespan (the router answers it), and when a route is built it does not know the
app it will join, so their app is linted at the first request a CORS route handles. This
module is imported only then.

How it never breaks a request: findings are reported as ``CORSLintWarning`` warnings, one
per finding (identical findings about several routes are one, naming them); when warnings
are errors (``python -W error``, pytest's ``filterwarnings = ["error"]``) a finding goes to
the ``cors_routes`` logger at WARNING instead, and the request is served as usual.

How to turn it off: ``CORS_ROUTES_LINT=off`` (or 0, false, no) in the environment, read
each time the lint would run, turns it off for the process; ``skip(app)`` for one app.
"""

from __future__ import annotations

import logging
import os
import warnings
import weakref
from typing import Any

from . import lint

logger = logging.getLogger("cors_routes")

ENV_VAR = "CORS_ROUTES_LINT"
_OFF = frozenset({"off", "0", "false", "no"})

_linted: weakref.WeakSet[Any] = weakref.WeakSet()
_linted_ids: set[int] = set()  # apps that cannot be weakly referenced


def enabled() -> bool:
    """False when the environment turns the start-up lint off (``CORS_ROUTES_LINT=off``)."""
    return os.environ.get(ENV_VAR, "").strip().lower() not in _OFF


def skip(app: Any) -> None:
    """Never lint ``app`` at start-up (``cors-routes check`` still does)."""
    _first_time(app)


def _first_time(app: Any) -> bool:
    """Record ``app`` as linted; False if it already was."""
    try:
        if app in _linted:
            return False
        _linted.add(app)
    except TypeError:
        if id(app) in _linted_ids:
            return False
        _linted_ids.add(id(app))
    return True


def lint_once(app: Any) -> None:
    """Report the lint's findings for ``app``, unless already done for it, skipped, or the
    environment turns the start-up lint off. Never raises."""
    if not enabled() or not _first_time(app):
        return
    try:
        # Async predicates would need this event loop: they are left to `cors-routes check`.
        findings = lint.check_app(app, call_async_predicates=False)
    except Exception:  # the lint must never break a request
        logger.warning("the CORS lint failed on this app", exc_info=True)
        return
    for finding in findings:
        _report(finding)


def _report(finding: lint.Finding) -> None:
    try:
        warnings.warn(str(finding), lint.CORSLintWarning, stacklevel=3)
    except Exception:  # warnings are errors here: say it without failing the request
        logger.warning("CORS lint: %s", finding)
