"""Tables of the Fetch standard (https://fetch.spec.whatwg.org/) that both sides use.

The library checks configurations against them (policy.py, _headers.py) and the browser
model applies them to a script's ``fetch()`` (browser.py).
"""

from __future__ import annotations

# Fetch "forbidden method": a script cannot send one, so allowing it means nothing.
FORBIDDEN_METHODS = frozenset({"CONNECT", "TRACE", "TRACK"})

# Fetch "forbidden request-header" names: scripts cannot set them (the browser drops them).
FORBIDDEN_REQUEST_HEADERS = frozenset(
    {
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
        "connection",
        "content-length",
        "cookie",
        "cookie2",
        "date",
        "dnt",
        "expect",
        "host",
        "keep-alive",
        "origin",
        "referer",
        "set-cookie",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
    }
)
FORBIDDEN_REQUEST_HEADER_PREFIXES = ("proxy-", "sec-")


def is_forbidden_request_header(name: str) -> bool:
    """Fetch "forbidden request-header" for a lower-cased name."""
    return name in FORBIDDEN_REQUEST_HEADERS or name.startswith(FORBIDDEN_REQUEST_HEADER_PREFIXES)
