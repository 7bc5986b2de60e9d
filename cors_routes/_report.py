"""What report-only mode hands to ``install(..., on_report=...)``: plain, immutable values.

``install(app, default=..., enforce=False)`` leaves every response as the app sends it and
compares, request by request, what a browser concludes from the app's answer with what it
would conclude from the policy's (see ``_report_only``). Where the two differ, a
:class:`CORSReport` says so. These types hold no reference to the request, the app or the
policy, so a hook may keep them, queue them or send them to another thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ReportKind = Literal["preflight", "actual"]
Outcome = Literal["blocked", "allowed", "changed"]


@dataclass(frozen=True)
class CORSVerdict:
    """What a browser concludes from one answer (the app's, or the one the policy would give).

    A server cannot tell the credentials mode of a ``fetch()``, so both are judged.
    """

    status: int
    """The answer's status (the app's, or the policy's: 204 granted, 403 refused)."""
    allowed: bool
    """A request without credentials passes the browser's check: the preflight lets the
    actual request go, or the script may read the actual response."""
    allowed_with_credentials: bool
    """The same for ``credentials: "include"`` (cookies sent, and required to be allowed)."""
    private_network: bool | None
    """For a preflight asking for private network access: whether it is granted (None when
    not asked, and for actual responses)."""
    exposed_headers: tuple[str, ...]
    """Actual responses: the response headers beyond the CORS-safelisted ones that a script
    may read (without credentials), sorted; empty when it may read none."""
    headers: tuple[tuple[str, str], ...]
    """The answer's ``Access-Control-*`` response headers, names lower-cased, in order."""
    reason: str
    """Why the browser blocks (its failed check, in its words); "" when ``allowed``."""


@dataclass(frozen=True)
class CORSReport:
    """One place where enforcing the policies would change what a browser concludes.

    Made once per distinct (kind, route, origin, method, outcome) while it is remembered
    (see docs/report-only.md); request values in it are shortened and made printable.
    """

    kind: ReportKind
    """``"preflight"`` (``OPTIONS`` with ``Access-Control-Request-Method``) or ``"actual"``."""
    route: str
    """The route's path template (``/items/{item_id}``), mount prefixes included; for a
    request no route serves, a description in parentheses (``(no route: 404)``)."""
    path: str
    """The path of the first request that made this report."""
    method: str
    """The method of the actual request (for a preflight, the one it asks for)."""
    origin: str
    """The request's ``Origin``."""
    app: CORSVerdict
    """What the browser concludes from the app's answer (the response that was sent)."""
    policy: CORSVerdict
    """What it would conclude from the answer of the policy, were it enforced."""
    outcome: Outcome
    """``"blocked"``: enforcing would block something the app allows (a page would break);
    ``"allowed"``: it would allow something the app blocks; ``"changed"``: both."""
    difference: str
    """The difference in words: ``"the app allowed it; the policy would block it"``."""
    reason: str
    """Why the policy answers differently, in the terms of its configuration."""

    def message(self) -> str:
        """The line report-only mode logs for this report."""
        return (
            f"CORS report-only: {self.kind} {self.method} {self.route} from origin "
            f"{self.origin!r}: {self.difference} because {self.reason}"
        )
