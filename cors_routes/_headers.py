"""HTTP header grammar the CORS protocol needs: tokens, the request-header list, Vary."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from . import _fetch

# RFC 9110 token: what header names and method names are made of.
TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")

# An Access-Control-Request-Headers value is a short list: browsers send the names a
# script set. Anything longer is refused before it is parsed, which bounds the work an
# adversarial preflight can cause whatever its size.
MAX_REQUEST_HEADERS_LENGTH = 8192
# Browsers list each name once, and no real page sets more than a few dozen headers of its
# own. Bounding the count (one C-level count of the commas) keeps a hostile list from
# costing a Python string per element, however its 8 KiB are spent.
MAX_REQUEST_HEADER_NAMES = 128
_EMPTY_ELEMENTS = re.compile(rb",{2,}")

# Fetch "CORS-safelisted request-header" names: always allowed in a preflight, as in
# Starlette, so a JSON POST works with the default allow_headers.
SAFELISTED_REQUEST_HEADERS = frozenset(
    {"accept", "accept-language", "content-language", "content-type"}
)

# Fetch "forbidden request-header" names: scripts cannot set them, so allowing one is a
# mistake (and usually a misunderstanding, as with "cookie"). Browsers set the Private
# Network Access request header themselves, so allowing it is the same mistake.
FORBIDDEN_REQUEST_HEADERS = _fetch.FORBIDDEN_REQUEST_HEADERS | {
    "access-control-request-private-network"
}
FORBIDDEN_REQUEST_HEADER_PREFIXES = _fetch.FORBIDDEN_REQUEST_HEADER_PREFIXES

# Each byte's class for parsing a request-header list in C instead of element by element
# in Python: "a" a token character, "," a comma, " " whitespace, "!" anything else.
_TOKEN_CHARACTERS = b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_CLASSES = bytes(
    ord("a")
    if byte in _TOKEN_CHARACTERS
    else byte
    if byte in b", "
    else ord(" ")
    if byte == 9
    else ord("!")
    for byte in range(256)
)

_INNER_WHITESPACE = re.compile(rb"a  *a")


def parse_request_headers(value: str) -> list[str] | None:
    """Split an Access-Control-Request-Headers value into lower-cased names.

    RFC 9110 list syntax: optional whitespace around elements, empty elements ignored.
    Returns None for a value that is too long, lists too many elements, or holds something
    that is not a token.
    Linear in the length, with no Python-level work per element but building the list.
    """
    if len(value) > MAX_REQUEST_HEADERS_LENGTH or not value.isascii():
        return None  # no token character is outside ASCII
    raw = value.encode("ascii")
    if raw.count(b",") >= MAX_REQUEST_HEADER_NAMES and _count_names(raw) > MAX_REQUEST_HEADER_NAMES:
        return None  # refused before the per-byte checks: a hostile list costs one pass
    shape = raw.translate(_CLASSES)
    if b"!" in shape:
        return None
    if b" " in shape:
        # Whitespace may surround an element, never sit inside one ("a b"). Linear: the
        # engine jumps to each "a " and scans that run of whitespace once.
        if _INNER_WHITESPACE.search(shape) is not None:
            return None
    raw = _non_empty_elements(raw)  # table-driven passes, however many there are
    if not raw:
        return []
    return raw.lower().decode("ascii").split(",")


def _non_empty_elements(raw: bytes) -> bytes:
    """``raw`` without whitespace and empty elements: "a, ,b," -> "a,b"."""
    raw = raw.translate(None, b" \t")
    if b",," in raw or raw.startswith(b",") or raw.endswith(b","):
        raw = _EMPTY_ELEMENTS.sub(b",", raw).strip(b",")  # tolerated, as RFC 9110 says
    return raw


def _count_names(raw: bytes) -> int:
    compact = _non_empty_elements(raw)
    return compact.count(b",") + 1 if compact else 0


def is_forbidden_request_header(name: str) -> bool:
    return name in FORBIDDEN_REQUEST_HEADERS or name.startswith(FORBIDDEN_REQUEST_HEADER_PREFIXES)


def join(values: Iterable[str]) -> bytes:
    return ", ".join(values).encode("latin-1")


@functools.lru_cache(maxsize=16)
def _normalized_names(names: bytes) -> bytes:
    """``names`` as add_vary writes them (callers pass a few constants: cached)."""
    return b", ".join(n.strip() for n in names.split(b","))


def add_vary(headers: list[tuple[bytes, bytes]], names: bytes) -> None:
    """Merge ``names`` (e.g. b"Origin") into the response's Vary, in place.

    Appends to the endpoint's own Vary instead of adding a second line, skips names it
    already lists (case-insensitively), and leaves ``Vary: *`` alone.
    """
    # Fast path, no allocation: most responses have no Vary of their own (only names of
    # four bytes are lower-cased to find out).
    for key, _ in headers:
        if len(key) == 4 and key.lower() == b"vary":
            break
    else:
        headers.append((b"vary", _normalized_names(names)))
        return
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
