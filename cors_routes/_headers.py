"""HTTP header grammar the CORS protocol needs: tokens, the request-header list, Vary."""

from __future__ import annotations

import re
from collections.abc import Iterable

# RFC 9110 token: what header names and method names are made of.
TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")

# An Access-Control-Request-Headers value is a short list: browsers send the names a
# script set. Anything longer is refused before it is parsed, which bounds the work an
# adversarial preflight can cause whatever its size.
MAX_REQUEST_HEADERS_LENGTH = 8192

# Fetch "CORS-safelisted request-header" names: always allowed in a preflight, as in
# Starlette, so a JSON POST works with the default allow_headers.
SAFELISTED_REQUEST_HEADERS = frozenset(
    {"accept", "accept-language", "content-language", "content-type"}
)

# Fetch "forbidden request-header" names: scripts cannot set them, so allowing one is a
# mistake (and usually a misunderstanding, as with "cookie").
FORBIDDEN_REQUEST_HEADERS = frozenset(
    {
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
        "access-control-request-private-network",
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

_WHITESPACE = " \t"


def parse_request_headers(value: str) -> list[str] | None:
    """Split an Access-Control-Request-Headers value into lower-cased names.

    RFC 9110 list syntax: optional whitespace around elements, empty elements ignored.
    Returns None for a value that is too long or holds something that is not a token.
    """
    if len(value) > MAX_REQUEST_HEADERS_LENGTH:
        return None
    names = []
    for element in value.split(","):
        name = element.strip(_WHITESPACE)
        if not name:
            continue
        if TOKEN.fullmatch(name) is None:
            return None
        names.append(name.lower())
    return names


def is_forbidden_request_header(name: str) -> bool:
    return name in FORBIDDEN_REQUEST_HEADERS or name.startswith(FORBIDDEN_REQUEST_HEADER_PREFIXES)


def join(values: Iterable[str]) -> bytes:
    return ", ".join(values).encode("latin-1")


def add_vary(headers: list[tuple[bytes, bytes]], names: bytes) -> None:
    """Merge ``names`` (e.g. b"Origin") into the response's Vary, in place.

    Appends to the endpoint's own Vary instead of adding a second line, skips names it
    already lists (case-insensitively), and leaves ``Vary: *`` alone.
    """
    wanted = [n.strip() for n in names.split(b",")]
    last_vary = -1
    for index, (key, value) in enumerate(headers):
        if key.lower() == b"vary":
            listed = {v.strip().lower() for v in value.split(b",")}
            if b"*" in listed:
                return
            wanted = [n for n in wanted if n.lower() not in listed]
            last_vary = index
    if not wanted:
        return
    if last_vary == -1:
        headers.append((b"vary", b", ".join(wanted)))
    else:
        key, value = headers[last_vary]
        joined = b", ".join(wanted)
        headers[last_vary] = (key, value + b", " + joined if value.strip() else joined)
