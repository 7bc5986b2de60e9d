"""Origins: reading the configured ones at definition time, matching a request's at run time.

A configured entry is an exact origin (``https://app.example``), ``*``, or a subdomain
pattern (``https://*.example.com``). Everything that can be decided about an entry is
decided here once, so that matching a request's ``Origin`` costs a set lookup, or one
slice per distinct pattern length, however many entries the policy has and however many
labels the request's host has.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import idna

if TYPE_CHECKING:
    from publicsuffixlist import PublicSuffixList

# A serialized origin is scheme "://" host [":" port], and a DNS host has at most 253
# characters: about 270 in all. The headroom is for long schemes (chrome-extension://).
# Anything longer is no origin a browser sends, and is refused before it is parsed.
MAX_ORIGIN_LENGTH = 300

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
# URL Standard, "ends in a number": a last label of digits, or 0x and hex digits.
_NUMBER = re.compile(r"[0-9]+|0x[0-9a-f]*")
_IPV4_DIGITS = {8: re.compile(r"[0-7]+"), 10: re.compile(r"[0-9]+"), 16: re.compile(r"[0-9a-f]+")}

ANY = "*"
NULL = "null"


class OriginURL(Protocol):
    """A URL object read from settings (pydantic's ``AnyUrl``, ``AnyHttpUrl``, ``HttpUrl``)."""

    @property
    def scheme(self) -> str: ...

    @property
    def host(self) -> str | None: ...


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
    if len(origin) > MAX_ORIGIN_LENGTH:
        return None
    match = _SERIALIZED_ORIGIN.fullmatch(origin)
    if match is None:
        return None
    port = match["port"] or ""
    if port and (int(port) > 65535 or _DEFAULT_PORTS.get(match["scheme"]) == port):
        return None
    return match["scheme"], match["host"], port


def several_origins_hint(text: str) -> str | None:
    """For a string holding comma-separated origins (as settings often do), the split list."""
    if "," not in text:
        return None
    parts = [part.strip() for part in text.split(",") if part.strip()]
    return (
        f"{parts!r} (for a comma-separated setting: "
        "[o.strip() for o in value.split(',') if o.strip()])"
    )


def parse_configured_origin(entry: object) -> ParsedOrigin | str:
    """Normalise one ``allow_origins`` entry; return a problem (with its fix) if it is wrong."""
    url_text = _url_object_text(entry)
    if url_text is not None:
        entry = url_text
    elif not isinstance(entry, str):
        return f"origin {entry!r} is not a string: write origins like 'https://app.example'"
    else:
        entry = str(entry)  # a str subclass is stored as a plain str
    quoted = repr(entry)
    if not entry.strip():
        return (
            f"origin {quoted} is empty (is an environment variable unset?): remove it; a "
            "comma-separated setting is read with [o.strip() for o in value.split(',') if "
            "o.strip()], which gives [] when it is empty (a policy that allows no origin)"
        )
    several = several_origins_hint(entry)
    if several is not None:
        return (
            f"origin {quoted} holds several origins separated by commas (an origin never "
            f"has a comma): write them as separate entries, {several}"
        )
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


def _url_object_text(entry: object) -> str | None:
    """The origin text of a pydantic URL object, or None if ``entry`` is not one.

    Duck-typed, so the library does not import pydantic. ``str(AnyHttpUrl(...))`` ends with
    the "/" of an empty path, which is how such a URL is written, not a mistake: it is
    dropped. Anything else the URL holds (a path, a query) stays, to be refused as usual.
    """
    kind = type(entry)
    if not kind.__module__.startswith("pydantic") or not (
        hasattr(entry, "scheme") and hasattr(entry, "host")
    ):
        return None
    text = str(entry)
    if text.endswith("/") and getattr(entry, "path", None) == "/":
        text = text[:-1]
    return text


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
        return _invalid_host(quoted, scheme, base)
    suffix = f":{port}" if port else ""
    if is_pattern:
        problem = _pattern_base_problem(quoted, normalized_host)
        if problem is not None:
            return problem
    elif _NUMBER.fullmatch(normalized_host.rpartition(".")[2]):
        problem = _ipv4_problem(quoted, scheme, normalized_host, suffix)
        if problem is not None:
            return problem
    shown_host = f"*.{normalized_host}" if is_pattern else normalized_host
    normalized = f"{scheme}://{shown_host}{suffix}"
    if len(normalized) > MAX_ORIGIN_LENGTH:
        return (
            f"origin {quoted} is {len(normalized)} characters long, and browsers never send "
            f"an origin of more than {MAX_ORIGIN_LENGTH} (a host name has at most 253), so "
            "it can never be allowed: check the host"
        )
    return ParsedOrigin(normalized, scheme, normalized_host, port, is_pattern)


def _normalize_host(host: str) -> str | None:
    if host.startswith("["):
        lowered = host.lower()
        return lowered if re.fullmatch(r"\[[0-9a-f:.]+\]", lowered) else None
    if host.isascii():
        ascii_host = host.lower()
    else:
        try:
            # Browsers send a Unicode host as the URL Standard converts it: UTS #46,
            # non-transitional (straße -> xn--strae-oqa), not IDNA 2003 (strasse).
            ascii_host = idna.encode(host, uts46=True, transitional=False).decode("ascii")
        except UnicodeError:
            return None
    labels = ascii_host.split(".")
    if not all(_LABEL.fullmatch(label) for label in labels):
        return None
    return ascii_host


def _invalid_host(quoted: str, scheme: str, host: str) -> str:
    candidate = _browser_candidate(host)
    if candidate is not None:
        return (
            f"origin {quoted} has a host {host!r} that the idna package (IDNA 2008) refuses, "
            f"though a browser may accept it: one that does sends it as "
            f"{f'{scheme}://{candidate}'!r}. Check what yours sends with "
            f"new URL('{scheme}://{host}').origin in the browser console (it throws if the "
            "browser refuses the host) and write that ASCII origin instead"
        )
    return (
        f"origin {quoted} has an invalid host {host!r}: a host is dot-separated labels "
        "of letters, digits and hyphens, like 'app.example.com'"
    )


def _browser_candidate(host: str) -> str | None:
    """The ASCII form a URL Standard browser would give a Unicode host idna refuses (emoji)."""
    if host.isascii():
        return None
    try:
        mapped = idna.uts46_remap(host, std3_rules=False, transitional=False)
        labels = [
            label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")
            for label in mapped.split(".")
        ]
    except UnicodeError:  # idna.IDNAError is one
        return None
    if not all(_LABEL.fullmatch(label) for label in labels):
        return None
    return ".".join(labels)


def _pattern_base_problem(quoted: str, base: str) -> str | None:
    if base.startswith("["):
        return f"origin pattern {quoted} is malformed: IP addresses have no subdomains"
    if _NUMBER.fullmatch(base.rpartition(".")[2]):
        return (
            f"origin pattern {quoted} is malformed: its base {base!r} ends in a number, so "
            "a browser reads any host under it as an IPv4 address ('http://*.0.0.1' would "
            "match 127.0.0.1), and IP addresses have no subdomains: list the addresses "
            "instead, like 'http://127.0.0.1:8000'"
        )
    if "." not in base:
        if base == "localhost":
            return None
        return (
            f"origin pattern {quoted} would match every site under the top-level domain "
            f"{base!r}: name a registrable domain, like 'https://*.example.com'"
        )
    if is_public_suffix(base):
        return (
            f"origin pattern {quoted} would match every site under {base!r}, a public suffix "
            "(Public Suffix List): anyone can register a name under it. Name a registrable "
            f"domain under it, like 'https://*.yourapp.{base}', or list the origins"
        )
    below = public_suffixes_under(base)
    if below:
        example = below[0].replace("*", "x")
        count = (
            f"{len(below)} public suffixes under {base!r}, such as {example!r}"
            if len(below) > 1
            else f"a public suffix under {base!r}: {example!r}"
        )
        return (
            f"origin pattern {quoted} would match sites anyone can register: the Public "
            f"Suffix List has {count}. List the exact "
            f"origins you trust, like 'https://yourname.{example}', or use a base below the "
            f"suffixes, like 'https://*.yourname.{example}'"
        )
    return None


@functools.cache
def _public_suffix_list() -> PublicSuffixList:
    """The Public Suffix List (ICANN and private sections), read at the first pattern."""
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


def is_public_suffix(domain: str) -> bool:
    """Whether anyone can register a name directly under ``domain`` (a top-level domain the
    list does not know counts as one)."""
    return _public_suffix_list().is_public(domain)


def public_suffixes_under(domain: str) -> tuple[str, ...]:
    """The rules of the Public Suffix List strictly under ``domain`` (ASCII, a wildcard rule
    with its ``*``), simplest first, empty for most domains. ``amazonaws.com`` is no public
    suffix, but ``s3.amazonaws.com`` and hundreds more under it are: a pattern over it
    matches them."""
    return _suffixes_under().get(domain, ())


def _simplest(rule: str) -> tuple[bool, int, str]:
    return "*" in rule, rule.count("."), rule


@functools.cache
def _suffixes_under() -> dict[str, tuple[str, ...]]:
    """Every domain of two labels or more that has rules of the list under it, with them.

    Built once, so that a pattern costs one lookup. Read from the file the
    ``publicsuffixlist`` package parses (it offers no way to list its rules). A one-label
    domain is left out: a pattern over a top-level domain is refused before it is asked.
    Exception rules (``!city.kobe.jp``) are left out too: the list's own lint requires the
    wildcard rule above each (``*.kobe.jp``), which has the same ancestors, and the name an
    exception names is registrable, no suffix.
    """
    import publicsuffixlist

    under: dict[str, list[str]] = {}
    with open(publicsuffixlist.PSLFILE, encoding="utf-8") as source:
        for line in source:
            rule = line.split(maxsplit=1)[0].lower() if line.strip() else ""
            if not rule or rule.startswith(("//", "!")):
                continue
            ascii_rule = _ascii_rule(rule)
            if ascii_rule is None:
                continue
            labels = ascii_rule.split(".")
            for start in range(1, len(labels) - 1):
                under.setdefault(".".join(labels[start:]), []).append(ascii_rule)
    return {domain: tuple(sorted(rules, key=_simplest)) for domain, rules in under.items()}


def _ascii_rule(rule: str) -> str | None:
    """A rule in the form a pattern's base takes (UTS #46), or None if idna refuses it: then
    no base, converted the same way, can be it or above it."""
    if rule.isascii():
        return rule
    wildcard = "*." if rule.startswith("*.") else ""
    try:
        encoded = idna.encode(rule[len(wildcard) :], uts46=True, transitional=False)
    except UnicodeError:  # idna.IDNAError is one
        return None
    return wildcard + encoded.decode("ascii")


def _ipv4_problem(quoted: str, scheme: str, host: str, suffix: str) -> str | None:
    """What is wrong with an exact origin whose host ends in a number, if anything."""
    canonical = _ipv4(host)
    if canonical is None:
        return (
            f"origin {quoted} has the host {host!r}, which ends in a number, so browsers "
            "read it as an IPv4 address, and it is not a valid one: they refuse it. Write "
            "an address as four numbers from 0 to 255, like 'http://127.0.0.1:8000'"
        )
    if canonical != host:
        fixed = f"{scheme}://{canonical}{suffix}"
        return (
            f"origin {quoted} writes the IPv4 address {host!r} in a form browsers rewrite: "
            f"they send {fixed!r}, so write {fixed!r}"
        )
    return None


def _ipv4(host: str) -> str | None:
    """URL Standard "IPv4 parser": the dotted-decimal form of ``host``, None if invalid."""
    parts = host.split(".")
    if len(parts) > 4:
        return None
    numbers = []
    for part in parts:
        number = _ipv4_number(part)
        if number is None:
            return None
        numbers.append(number)
    if any(number > 255 for number in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        return None
    address = numbers[-1] + sum(n * 256 ** (3 - i) for i, n in enumerate(numbers[:-1]))
    return ".".join(str(address >> shift & 255) for shift in (24, 16, 8, 0))


def _ipv4_number(part: str) -> int | None:
    radix = 10
    if part.startswith(("0x", "0X")):
        part, radix = part[2:], 16
    elif len(part) > 1 and part.startswith("0"):
        part, radix = part[1:], 8
    if part == "":
        return 0 if radix != 10 else None
    return int(part, radix) if _IPV4_DIGITS[radix].fullmatch(part) else None


def _suffix_getter(bases: Iterable[str]) -> Callable[[str], tuple[str, ...]]:
    """One call, in C, that slices a host's last n characters for each distinct base length n.

    The empty slice keeps the result a tuple when there is a single length.
    """
    lengths = sorted({len(base) for base in bases})
    return operator.itemgetter(*(slice(-length, None) for length in lengths), slice(0, 0))


class OriginMatcher:
    """Decides whether a request's ``Origin`` is allowed by the exact entries, patterns and regex.

    The predicate (``allow_origin_func``) is the policy's business because it may be async.
    """

    __slots__ = ("_exact", "_patterns", "_regex", "needs_parsing")

    def __init__(self, entries: list[ParsedOrigin], regex: re.Pattern[str] | None):
        self._exact = frozenset(e.normalized.encode("latin-1") for e in entries if not e.is_pattern)
        # Bases are kept with their leading dot: a host is under the base when its last
        # len(".base") characters are ".base" (a request host never starts with a dot).
        patterns: dict[tuple[str, str], set[str]] = {}
        for entry in entries:
            if entry.is_pattern:
                patterns.setdefault((entry.scheme, entry.port), set()).add(f".{entry.host}")
        self._patterns = {
            key: (_suffix_getter(bases), frozenset(bases)) for key, bases in patterns.items()
        }
        self._regex = regex
        # An attribute, not a property: it is read on every request that no exact entry allows.
        self.needs_parsing = bool(self._patterns) or regex is not None

    def matches_exact(self, origin: bytes) -> bool:
        return origin in self._exact

    def matches_parsed(self, origin: str, parsed: tuple[str, str, str] | None) -> bool:
        """Patterns and regex, for an origin already split by :func:`parse_request_origin`."""
        if parsed is not None and self._patterns:
            scheme, host, port = parsed
            found = self._patterns.get((scheme, port))
            # One slice per distinct base length, whatever the number of labels in the host.
            if found is not None and not found[1].isdisjoint(found[0](host)):
                return True
        regex = self._regex
        return (
            regex is not None
            and (parsed is not None or origin == NULL)
            and (regex.fullmatch(origin) is not None)
        )
