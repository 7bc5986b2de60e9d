"""The DEBUG line logged for each refused preflight and disallowed actual request.

Only reached when the ``cors_routes`` logger is enabled for DEBUG (the dispatcher checks
first), so the work here never touches a request when logging is off. Every value that
comes from the request is escaped and shortened: a header or path holding a newline, an
ANSI escape or 8 KiB of text still makes one readable line (no log injection, cf.
CVE-2024-1681 in Flask-CORS).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from starlette.types import Scope

from ._headers import parse_request_headers
from ._text import escape
from .policy import CORSPolicy

logger = logging.getLogger("cors_routes")


def log_refusal(
    scope: Scope,
    route: str,
    policy: CORSPolicy,
    allowed_methods: Iterable[str] | None,
    kind: str,
    origin: bytes,
    reason: str,
    method: bytes | None = None,
    requested: Iterable[bytes] = (),
) -> None:
    requested = list(requested)
    if kind == "preflight":
        asked = f"method={escape(method)}"
        if requested:
            asked += f" headers={escape(b','.join(requested))}"
    else:
        asked = f"method={escape(scope.get('method'))}"
    logger.debug(
        "CORS %s refused: route %s, path %s, origin %s, asked %s: %s",
        kind,
        route,
        escape(scope.get("path")),
        escape(origin),
        asked,
        _precise(reason, policy, allowed_methods, method, requested),
    )


def _precise(
    reason: str,
    policy: CORSPolicy,
    allowed_methods: Iterable[str] | None,
    method: bytes | None,
    requested: list[bytes],
) -> str:
    if reason == "origin is not allowed":
        return f"origin is not allowed by {_origin_mechanisms(policy)}"
    if reason == "method is not allowed" and method is not None:
        allowed = ", ".join(sorted(allowed_methods or ())) or "none"
        return (
            f"method {escape(method)} is not allowed (allowed: {allowed}; "
            "compared case-sensitively)"
        )
    if reason == "a requested header is not allowed":
        names = parse_request_headers(b",".join(requested).decode("latin-1")) or []
        refused = [name for name in names if not policy.allowed_request_headers([name])]
        allowed = ", ".join(policy.allow_headers) or "only the CORS-safelisted ones"
        return f"header {escape(', '.join(refused))} is not allowed (allowed: {allowed})"
    return reason


def _origin_mechanisms(policy: CORSPolicy) -> str:
    parts = []
    if policy.allow_origins:
        shown = list(policy.allow_origins[:3])
        more = f" and {len(policy.allow_origins) - 3} more" if len(policy.allow_origins) > 3 else ""
        parts.append(f"allow_origins ({', '.join(shown)}{more})")
    if policy.allow_origin_regex is not None:
        parts.append(f"allow_origin_regex {policy.allow_origin_regex!r}")
    if policy.allow_origin_func is not None:
        parts.append("allow_origin_func")
    return " or ".join(parts) if parts else "this policy (it allows no origin)"
