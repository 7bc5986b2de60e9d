"""Origins: reading the configured ones at definition time, matching a request's at run time.

A configured entry is an exact origin (``https://app.example``), ``*``, or a subdomain
pattern (``https://*.example.com``). Everything that can be decided about an entry is
decided here once, so that matching a request's ``Origin`` costs a set lookup, or one
lookup per label of its host for patterns, however many entries the policy has.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The serialisation browsers send (Fetch "ASCII serialization of an origin"): lower-case
# scheme and host, a port only when it is not the scheme's default, nothing after it.
_SERIALIZED_ORIGIN = re.compile(
    r"(?P<scheme>[a-z][a-z0-9+.\-]*)://"
    r"(?P<host>[a-z0-9_\-]+(?:\.[a-z0-9_\-]+)*|\[[0-9a-f:.]+\])"
    r"(?::(?P<port>[1-9][0-9]{0,4}))?"
)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_\-]{0,61}[a-z0-9_])?")
_DEFAULT_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443"}

ANY = "*"
NULL = "null"


@dataclass(frozen=True)
class ParsedOrigin:
    """A configured origin entry after normalisation."""

    normalized: str
    scheme: str
    host: str  # for a pattern: the base domain, without the leading "*."
    port: str  # "" for the scheme's default port
    is_pattern: bool


def parse_request_origin(origin: str) -> tuple[str, str, str] | None:
    """Split a request's ``Origin`` into (scheme, host, port), or None if it is not one.

    Only the exact form browsers send is accepted, so a pattern or a regex is never asked
    about something like ``https://example.com.evil.io/`` or ``https://a.com@evil.io``.
    """
    match = _SERIALIZED_ORIGIN.fullmatch(origin)
    if match is None:
        return None
    port = match["port"] or ""
    if port and (int(port) > 65535 or _DEFAULT_PORTS.get(match["scheme"]) == port):
        return None
    return match["scheme"], match["host"], port


def parse_configured_origin(entry: object) -> ParsedOrigin | str:
    """Normalise one ``allow_origins`` entry; return a problem (with its fix) if it is wrong."""
    if not isinstance(entry, str):
        return f"origin {entry!r} is not a string: write origins like 'https://app.example'"
    quoted = repr(entry)
    if entry != entry.strip():
        return f"origin {quoted} has surrounding whitespace: write {entry.strip()!r}"
    if entry.lower() == NULL:
        return (
            f"origin {quoted} is refused: 'null' is the origin of every sandboxed iframe, "
            "file: page and data: URL, so allowing it allows all of them. If you really "
            "mean it, opt in with allow_origin_func=lambda origin: origin == 'null'"
        )
    scheme, sep, rest = entry.partition("://")
    if not sep or not _SCHEME.fullmatch(scheme):
        return (
            f"origin {quoted} has no scheme: an origin is scheme://host[:port], "
            f"for example 'https://{entry.strip('/')}'"
        )
    scheme = scheme.lower()
    for char, what in (("?", "a query"), ("#", "a fragment"), ("@", "user information")):
        if char in rest:
            # user information comes before the host, query and fragment after it
            host_part = rest.split("@")[-1] if char == "@" else rest.split(char)[0]
            fixed = f"{scheme}://{host_part.split('/')[0].split('?')[0].split('#')[0]}"
            return f"origin {quoted} has {what}, which origins never have: write {fixed!r}"
    authority, slash, path = rest.partition("/")
    if slash:
        fixed = repr(f"{scheme}://{authority}")
        if path == "":
            return f"origin {quoted} ends with a slash, which origins never do: write {fixed}"
        return f"origin {quoted} has a path, which origins never have: write {fixed}"
    return _parse_authority(entry, scheme, authority)


def _parse_authority(entry: str, scheme: str, authority: str) -> ParsedOrigin | str:
    quoted = repr(entry)
    if authority.startswith("*.["):
        return f"origin pattern {quoted} is malformed: IP addresses have no subdomains"
    if authority.startswith("["):
        host, bracket, port_part = authority.partition("]")
        host += bracket
        port = port_part[1:] if port_part.startswith(":") else port_part
        if not bracket or (port_part and not port_part.startswith(":")):
            return f"origin {quoted} has a malformed IPv6 host: write it like 'http://[::1]:8000'"
    else:
        host, _, port = authority.partition(":")
    if port:
        if not port.isdigit() or not 0 < int(port) <= 65535 or port.startswith("0"):
            return f"origin {quoted} has an invalid port {port!r}: use a number from 1 to 65535"
        if _DEFAULT_PORTS.get(scheme) == port:
            fixed = repr(f"{scheme}://{host.lower()}")
            return (
                f"origin {quoted} names the default port, which browsers never send: write {fixed}"
            )
    is_pattern = host.startswith("*.")
    base = host[2:] if is_pattern else host
    if "*" in base:
        return (
            f"origin pattern {quoted} is malformed: a pattern has one '*.' at the start of "
            "the host and matches any depth of subdomain, like 'https://*.example.com'"
        )
    normalized_host = _normalize_host(base)
    if normalized_host is None:
        return (
            f"origin {quoted} has an invalid host {base!r}: a host is dot-separated labels "
            "of letters, digits and hyphens, like 'app.example.com'"
        )
    if is_pattern and "." not in normalized_host and normalized_host != "localhost":
        return (
            f"origin pattern {quoted} would match every site under the top-level domain "
            f"{normalized_host!r}: name a registrable domain, like 'https://*.example.com'"
        )
    if is_pattern and normalized_host.startswith("["):
        return f"origin pattern {quoted} is malformed: IP addresses have no subdomains"
    shown_host = f"*.{normalized_host}" if is_pattern else normalized_host
    normalized = f"{scheme}://{shown_host}" + (f":{port}" if port else "")
    return ParsedOrigin(normalized, scheme, normalized_host, port, is_pattern)


def _normalize_host(host: str) -> str | None:
    if host.startswith("["):
        lowered = host.lower()
        return lowered if re.fullmatch(r"\[[0-9a-f:.]+\]", lowered) else None
    try:
        # Browsers send IDN hosts in their ASCII (punycode) form.
        ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        return None
    ascii_host = ascii_host.lower()
    labels = ascii_host.split(".")
    if not all(_LABEL.fullmatch(label) for label in labels):
        return None
    return ascii_host


class OriginMatcher:
    """Decides whether a request's ``Origin`` is allowed by the exact entries, patterns and regex.

    The predicate (``allow_origin_func``) is the policy's business because it may be async.
    """

    __slots__ = ("_exact", "_patterns", "_regex", "needs_parsing")

    def __init__(self, entries: list[ParsedOrigin], regex: re.Pattern[str] | None):
        self._exact = frozenset(e.normalized.encode("latin-1") for e in entries if not e.is_pattern)
        patterns: dict[tuple[str, str], set[str]] = {}
        for entry in entries:
            if entry.is_pattern:
                patterns.setdefault((entry.scheme, entry.port), set()).add(entry.host)
        self._patterns = {key: frozenset(hosts) for key, hosts in patterns.items()}
        self._regex = regex
        # An attribute, not a property: it is read on every request that no exact entry allows.
        self.needs_parsing = bool(self._patterns) or regex is not None

    def matches_exact(self, origin: bytes) -> bool:
        return origin in self._exact

    def matches_parsed(self, origin: str, parsed: tuple[str, str, str] | None) -> bool:
        """Patterns and regex, for an origin already split by :func:`parse_request_origin`."""
        if parsed is not None and self._patterns:
            scheme, host, port = parsed
            bases = self._patterns.get((scheme, port))
            if bases is not None:
                # Try each proper parent domain: a.b.example.com -> b.example.com, example.com, com.
                dot = host.find(".")
                while dot != -1:
                    if host[dot + 1 :] in bases:
                        return True
                    dot = host.find(".", dot + 1)
        regex = self._regex
        return (
            regex is not None
            and (parsed is not None or origin == NULL)
            and (regex.fullmatch(origin) is not None)
        )
