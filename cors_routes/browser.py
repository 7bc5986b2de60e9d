"""What a browser does with a cross-origin ``fetch()``: the Fetch standard's CORS rules as code.

This models the browser side only, and knows nothing of cors_routes' policies (it shares
only the Fetch tables of ``_fetch`` and the RFC 9110 token grammar): given what a script
asks for, it says whether a preflight is sent and what it carries; given the responses, it
runs the checks the browser runs and names the step that fails. The steps follow
https://fetch.spec.whatwg.org/ ("CORS-safelisted method", "CORS-safelisted request-header",
"CORS-unsafe request-header names", "CORS-preflight fetch" and "CORS check").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from . import _fetch, _headers

__all__ = ["FetchError"]

_TOKEN = _headers.TOKEN
# Fetch "normalize a method": only these are upper-cased; any other name is sent as written.
NORMALIZED_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})
SAFELISTED_METHODS = frozenset({"GET", "HEAD", "POST"})
FORBIDDEN_METHODS = _fetch.FORBIDDEN_METHODS
# Fetch "CORS non-wildcard request-header name": "*" in Access-Control-Allow-Headers never
# covers it.
NON_WILDCARD_HEADERS = frozenset({"authorization"})
SAFELISTED_RESPONSE_HEADERS = frozenset(
    {
        "cache-control",
        "content-language",
        "content-length",
        "content-type",
        "expires",
        "last-modified",
        "pragma",
    }
)
_SIMPLE_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)
_UNSAFE_BYTES = set('"():<>?@[\\]{}\x7f') | {chr(c) for c in range(0x20) if c != 0x09}
_LANGUAGE = re.compile(r"[0-9A-Za-z *,\-.;=]*")
_RANGE = re.compile(r"bytes=(?:[0-9]+-[0-9]*)")
# What a script most likely sends when it names a header without a value.
ASSUMED_VALUES = {"content-type": "application/json"}

Headers = Sequence[tuple[str, str]]


class FetchError(ValueError):
    """What ``fetch()`` itself rejects with a TypeError before sending anything."""


@dataclass(frozen=True)
class Request:
    """A cross-origin request as a script asks for it, after the browser's normalisation."""

    origin: str
    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    """The request headers the script set (names lower-cased), forbidden ones removed."""
    credentials: bool
    """``credentials: "include"`` (cookies and HTTP auth sent, and required to be allowed)."""
    dropped: tuple[str, ...] = ()
    """Forbidden header names the script tried to set: the browser silently drops them."""

    @property
    def unsafe_header_names(self) -> list[str]:
        """Fetch "CORS-unsafe request-header names": sorted, lower-cased, unique."""
        return unsafe_header_names(self.headers)

    @property
    def needs_preflight(self) -> bool:
        return self.method not in SAFELISTED_METHODS or bool(self.unsafe_header_names)

    def preflight_headers(self) -> list[tuple[str, str]]:
        """The headers of the preflight (``OPTIONS``); it never carries credentials."""
        headers = [("origin", self.origin), ("access-control-request-method", self.method)]
        names = self.unsafe_header_names
        if names:
            headers.append(("access-control-request-headers", ",".join(names)))
        return headers

    def actual_headers(self) -> list[tuple[str, str]]:
        return [("origin", self.origin), *self.headers]


def make_request(
    origin: str,
    method: str,
    url: str,
    headers: Iterable[tuple[str, str | None]] = (),
    credentials: bool = False,
) -> Request:
    """Normalise what a script passes to ``fetch()``, as the browser does.

    A header given without a value gets the value a script most likely sends (Content-Type:
    application/json) or a placeholder. Raises FetchError where ``fetch()`` would throw.
    """
    if not _TOKEN.fullmatch(method):
        raise FetchError(f"{method!r} is not a valid HTTP method: fetch() throws a TypeError")
    if method.upper() in FORBIDDEN_METHODS:
        raise FetchError(f"fetch() refuses the method {method!r} (a forbidden method)")
    if method.upper() in NORMALIZED_METHODS:
        method = method.upper()
    kept: list[tuple[str, str]] = []
    dropped: list[str] = []
    for name, value in headers:
        if not _TOKEN.fullmatch(name):
            raise FetchError(f"{name!r} is not a valid header name: fetch() throws a TypeError")
        if value is not None:
            _check_header_value(name, value)
        lowered = name.lower()
        if is_forbidden_header(lowered):
            dropped.append(lowered)
            continue
        kept.append((lowered, ASSUMED_VALUES.get(lowered, "x") if value is None else value))
    return Request(origin, method, url, tuple(kept), credentials, tuple(dropped))


def _check_header_value(name: str, value: str) -> None:
    """Fetch's ``Headers`` takes a ByteString (no code point above U+00FF) that is a valid
    header value (no NUL, CR or LF); ``fetch()`` throws a TypeError for anything else."""
    wide = next((char for char in value if ord(char) > 0xFF), None)
    if wide is not None:
        raise FetchError(
            f"the value of header {name!r} has {wide!r} (U+{ord(wide):04X}), beyond U+00FF: "
            "header values are bytes, so fetch() throws a TypeError (percent-encode or "
            "base64-encode such text)"
        )
    if any(char in value for char in "\0\r\n"):
        raise FetchError(
            f"the value of header {name!r} contains NUL, CR or LF: fetch() throws a TypeError"
        )


is_forbidden_header = _fetch.is_forbidden_request_header


def is_safelisted_header(name: str, value: str) -> bool:
    """Fetch "CORS-safelisted request-header"."""
    if len(value) > 128:
        return False
    if name == "accept":
        return not any(char in _UNSAFE_BYTES for char in value)
    if name in ("accept-language", "content-language"):
        return _LANGUAGE.fullmatch(value) is not None
    if name == "content-type":
        if any(char in _UNSAFE_BYTES for char in value):
            return False
        essence = value.split(";", 1)[0].strip(" \t").lower()
        return essence in _SIMPLE_CONTENT_TYPES
    if name == "range":
        return _RANGE.fullmatch(value) is not None and not value.endswith("=-")
    return False


def unsafe_header_names(headers: Iterable[tuple[str, str]]) -> list[str]:
    headers = list(headers)
    unsafe = {name for name, value in headers if not is_safelisted_header(name, value)}
    if sum(len(value) for name, value in headers if name not in unsafe) > 1024:
        unsafe = {name for name, _ in headers}
    return sorted(unsafe)


@dataclass(frozen=True)
class Check:
    """The outcome of one of the browser's checks on a response."""

    ok: bool
    reason: str = ""
    step: str = ""
    """Which requirement failed: "status", "origin", "credentials", "method" or "headers"."""


def header_value(headers: Headers, name: str) -> str | None:
    """Fetch "get": all values of a header, combined with ", ", or None if absent."""
    values = [value for key, value in headers if key.lower() == name]
    return ", ".join(values) if values else None


def parse_list(value: str | None) -> list[str] | None:
    """Fetch "extract header list values" for a list of tokens; None if malformed."""
    if value is None:
        return []
    items = [item.strip(" \t") for item in value.split(",")]
    items = [item for item in items if item]
    if not all(_TOKEN.fullmatch(item) for item in items):
        return None
    return items


def cors_check(request: Request, headers: Headers) -> Check:
    """Fetch "CORS check": the response's Access-Control-Allow-Origin and -Credentials."""
    allowed = header_value(headers, "access-control-allow-origin")
    if allowed is None:
        return Check(False, "the response has no Access-Control-Allow-Origin header", "origin")
    if not request.credentials and allowed == "*":
        return Check(True)
    if allowed != request.origin:
        if allowed == "*":
            return Check(
                False,
                "Access-Control-Allow-Origin is '*', which a browser never accepts for a "
                "request with credentials",
                "credentials",
            )
        if "," in allowed:
            return Check(
                False,
                f"Access-Control-Allow-Origin holds several values ({allowed}): two layers "
                "add CORS headers (e.g. CORSMiddleware and a CORS route)",
                "origin",
            )
        return Check(
            False,
            f"Access-Control-Allow-Origin is {allowed!r}, which is not the request's origin "
            f"{request.origin!r} (compared byte for byte)",
            "origin",
        )
    if not request.credentials:
        return Check(True)
    if header_value(headers, "access-control-allow-credentials") != "true":
        return Check(
            False,
            "the request has credentials but the response has no "
            "Access-Control-Allow-Credentials: true",
            "credentials",
        )
    return Check(True)


def preflight_check(request: Request, status: int, headers: Headers) -> Check:
    """Fetch "CORS-preflight fetch", step 7 onwards: may the actual request be sent?"""
    if not 200 <= status <= 299:
        return Check(
            False,
            f"the preflight response has status {status}; a preflight needs a 2xx",
            "status",
        )
    check = cors_check(request, headers)
    if not check.ok:
        return check
    methods = parse_list(header_value(headers, "access-control-allow-methods"))
    names = parse_list(header_value(headers, "access-control-allow-headers"))
    if methods is None:
        return Check(False, "Access-Control-Allow-Methods is malformed", "method")
    if names is None:
        return Check(False, "Access-Control-Allow-Headers is malformed", "headers")
    method = request.method
    wildcard = "*" in methods and not request.credentials
    if method not in methods and method not in SAFELISTED_METHODS and not wildcard:
        listed = ", ".join(methods) or "nothing"
        star = " ('*' does not count with credentials)" if "*" in methods else ""
        return Check(
            False,
            f"method {method} is not in Access-Control-Allow-Methods ({listed}){star}; "
            "methods are compared case-sensitively",
            "method",
        )
    lowered = {name.lower() for name in names}
    for name in request.unsafe_header_names:
        if name in NON_WILDCARD_HEADERS and name not in lowered:
            return Check(
                False,
                f"header {name} is not in Access-Control-Allow-Headers "
                f"({', '.join(names) or 'nothing'}); '*' never covers Authorization",
                "headers",
            )
        if name not in lowered and ("*" not in lowered or request.credentials):
            star = " ('*' does not count with credentials)" if "*" in lowered else ""
            return Check(
                False,
                f"header {name} is not in Access-Control-Allow-Headers "
                f"({', '.join(names) or 'nothing'}){star}",
                "headers",
            )
    return Check(True)


def readable_headers(request: Request, headers: Headers) -> list[str]:
    """The response header names a script can read (safelisted plus exposed ones)."""
    exposed = parse_list(header_value(headers, "access-control-expose-headers")) or []
    lowered = {name.lower() for name in exposed}
    names = []
    for key, _ in headers:
        key = key.lower()
        if key in names:
            continue
        if key in SAFELISTED_RESPONSE_HEADERS or key in lowered:
            names.append(key)
        elif (
            "*" in lowered and not request.credentials and key not in ("set-cookie", "set-cookie2")
        ):
            names.append(key)
    return names
