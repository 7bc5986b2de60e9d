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


# Fetch "forbidden response-header name": a script never reads one, even when a response
# lists it in Access-Control-Expose-Headers (cookies stay out of reach of scripts).
FORBIDDEN_RESPONSE_HEADERS = frozenset({"set-cookie", "set-cookie2"})

# The CORS protocol's own headers (Fetch, "HTTP extensions"): Access-Control-Request-* are
# set by the browser on a preflight, the others are the server's answer to the browser.
CORS_PROTOCOL_HEADER_PREFIX = "access-control-"
