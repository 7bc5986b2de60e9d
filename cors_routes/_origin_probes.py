"""Asking an origin rule (a regex, a predicate) about made-up origins: does it accept any site?

A rule that accepts two unrelated made-up hosts of one scheme (and port) accepts any site of
that scheme; one that accepts a made-up name under a public suffix (``vercel.app``,
``s3.amazonaws.com``) accepts sites anyone can register. With credentials, either lets those
sites make requests as the user: ``CORSPolicy`` refuses such a regex, and the lint reports
such a predicate (and, without credentials, such a regex as a warning).

Which public suffixes to try is guessed from the literal text of the regex; the verdict is
the regex's own answer about a concrete origin, so a wrong guess costs a probe, never a
wrong refusal.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ._origins import is_public_suffix, public_suffixes_under

# Pairs of made-up hosts no sane rule names, unrelated to each other: a rule that accepts
# both hosts of a pair on one scheme (and port) accepts any such host there.
_UNRELATED_HOSTS = (
    ("zq7x4-cors-routes-probe.invalid", "k9w2m-unrelated-probe.example.net"),
    # Global IPv4 addresses: a rule that accepts a private network's (ipaddress counts the
    # documentation ranges as private) is no rule for any site.
    ("23.45.67.89", "141.101.90.12"),
)
_PORTS = ("", ":8666")
_SCHEMES = ("https", "http")
# Made-up labels of letters only (a regex may take a label as [a-z]+), a short one and a
# long one (it may bound the length: [a-z]{3,8}, [a-z0-9-]{10,}).
_PROBE_LABELS = ("zqxj", "zqxjcorsprobes")
# A regex's literal text up to the first character that is no part of a host (or port).
_HOST_TEXT = re.compile(r"[a-z0-9.\-]*(?::[0-9]+)?")


@dataclass(frozen=True)
class AnyHost:
    """What a rule that accepts any host of a scheme was seen accepting."""

    schemes: tuple[str, ...]
    accepted: tuple[str, str]
    addresses: bool
    """The pair accepted is of IP addresses (two names were not): any site served from one."""

    def which(self) -> str:
        """``any https origin``, ``any origin``, ``any https origin with an IP address``."""
        scheme = "" if len(self.schemes) > 1 else f"{self.schemes[0]} "
        return f"any {scheme}origin" + (" with an IP address" * self.addresses)


def any_host(accepts: Callable[[str], bool]) -> AnyHost | None:
    """How ``accepts`` (a rule, asked about one origin) accepts any host, or None."""
    for index, hosts in enumerate(_UNRELATED_HOSTS):
        schemes: list[str] = []
        accepted: tuple[str, str] | None = None
        for scheme in _SCHEMES:
            for port in _PORTS:
                first, second = (f"{scheme}://{host}{port}" for host in hosts)
                if accepts(first) and accepts(second):
                    schemes.append(scheme)
                    accepted = accepted or (first, second)
                    break
        if accepted is not None:
            return AnyHost(tuple(schemes), accepted, addresses=index > 0)
    return None


def public_suffix_origin(pattern: str, accepts: Callable[[str], bool]) -> tuple[str, str] | None:
    """A made-up origin under a public suffix that ``accepts`` takes, with that suffix.

    The suffixes tried are those at, above or under each domain named in the literal text
    of ``pattern``: for ``https://.*\\.vercel\\.app``, ``vercel.app`` (a suffix) and ``app``;
    for ``https://.*\\.amazonaws\\.com``, ``com`` and the suffixes under ``amazonaws.com``.
    """
    tried: set[str] = set()
    for host, ports in _named_hosts(pattern):
        for domain in _domains(host):
            rules = list(public_suffixes_under(domain))
            # localhost is no suffix (its names are this machine's), as for patterns
            if domain != "localhost" and is_public_suffix(domain):
                rules.insert(0, domain)
            for rule in rules:
                if rule in tried:
                    continue
                tried.add(rule)
                for label in _PROBE_LABELS:
                    # a wildcard rule's own label is anyone's too
                    name = f"{label}.{rule.replace('*', label)}"
                    for scheme in _SCHEMES:
                        for port in ("", *ports):
                            origin = f"{scheme}://{name}{port}"
                            if accepts(origin):
                                return origin, rule
    return None


def _named_hosts(pattern: str) -> list[tuple[str, tuple[str, ...]]]:
    """The host names (and ports) in the literal runs of ``pattern``, lower case."""
    found: list[tuple[str, tuple[str, ...]]] = []
    for run in _literal_runs(pattern):
        text = run.lower().rpartition("://")[2]
        match = _HOST_TEXT.match(text)
        host, _, port = match[0].partition(":") if match else ("", "", "")
        if "." in host and host.strip("."):
            found.append((host.strip("."), (f":{port}",) if port else ()))
    return found


def _domains(host: str) -> list[str]:
    """``a.b.c`` and every domain above it, dropping labels no host can have (a run may
    start inside a label: ``-team.vercel.app``)."""
    labels = host.split(".")
    return [
        ".".join(labels[start:])
        for start in range(len(labels))
        if all(_LABEL.fullmatch(label) for label in labels[start:])
    ]


_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_\-]*[a-z0-9_])?")
_GROUP_HEADER = re.compile(r"\(\?(?:P<[^>]*>|<[=!]|[=!:]|[a-zA-Z-]+[:)])")


def _literal_runs(pattern: str) -> list[str]:
    """The stretches of ``pattern`` that match only themselves (``\\.`` is a dot), split
    wherever something else (a class, a group, an alternative, a quantifier) stands."""
    runs: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            runs.append("".join(run))
            run.clear()

    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            escaped = pattern[index + 1 : index + 2]
            if escaped and not escaped.isalnum():
                run.append(escaped)  # an escaped punctuation character is itself
            else:
                flush()  # \d, \w, \Z and the like
            index += 2
            continue
        if char in "*+?{":
            if run:
                run.pop()  # the quantified character is not always there
            flush()
            if char == "{":
                end = pattern.find("}", index)
                index = len(pattern) if end < 0 else end + 1
            else:
                index += 1
            continue
        if char == "[":
            flush()
            index = _class_end(pattern, index)
            continue
        if char == "(":
            flush()
            header = _GROUP_HEADER.match(pattern, index)
            index = header.end() if header else index + 1
            continue
        if char in ".)|^$":
            flush()
        else:
            run.append(char)
        index += 1
    flush()
    return runs


def _class_end(pattern: str, start: int) -> int:
    """The index after the character class that opens at ``start``."""
    index = start + 1
    if pattern[index : index + 1] == "^":
        index += 1
    if pattern[index : index + 1] == "]":
        index += 1  # a ']' first in a class is a character of it
    while index < len(pattern):
        if pattern[index] == "\\":
            index += 2
            continue
        if pattern[index] == "]":
            return index + 1
        index += 1
    return index
