"""Comparing two CORS contracts: every change, in the words a reviewer reads, classified.

A change *widens* when a page of some origin may now do something it could not (send a
method, a header, with credentials, read a response or a header), *narrows* when the
reverse, and otherwise *changes* (how long a preflight is cached; a route added or removed
that grants nothing; another answer to the same request).

An origin (or a request header) probed on one side only is compared with what the other
side granted an origin (a header) nobody named: ``https://cors-probe.invalid`` (the probe's
own ``x-cors-probe``), which is what that side would have granted it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from ._contract_probe import LEVELS, NO, NOTHING, WITH, WITHOUT
from ._contract_targets import (
    ANOTHER_SITE,
    MOUNTED,
    NOT_ALLOWED,
    NOT_FOUND,
    REDIRECT,
    ROUTE,
    UNNAMED_HEADER,
)

WIDENED = "widened"
NARROWED = "narrowed"
CHANGED = "changed"
KINDS = (WIDENED, NARROWED, CHANGED)
_SIMPLE_METHODS = frozenset({"GET", "HEAD", "POST"})


@dataclass(frozen=True)
class Change:
    """One difference between two contracts."""

    kind: str
    """``"widened"``, ``"narrowed"`` or ``"changed"``."""
    text: str
    """The change in words: ``https://partner.example may now send credentialed DELETE to
    /items/{id}``."""
    path: str
    method: str
    origin: str | None
    """The origin the change is about (None for a change of the route itself)."""
    fact: str
    """``send``, ``header``, ``private_network``, ``read``, ``exposed``, ``max_age``,
    ``route`` (added or removed) or ``answer`` (who answers the request)."""
    name: str | None
    """The header name, for ``header`` and ``exposed``."""
    old: Any
    new: Any

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def compare(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Every change from ``old`` to ``new``: widened first, then narrowed, then changed."""
    changes = list(_changes(old, new))
    return sorted(changes, key=lambda change: KINDS.index(change.kind))


def _changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[Change]:
    old_routes, new_routes = old["routes"], new["routes"]
    keys = sorted(
        {
            (path, method)
            for routes in (old_routes, new_routes)
            for path in routes
            for method in routes[path]
        }
    )
    names = sorted(set(old["request_headers"]) | set(new["request_headers"]))
    sides = (_Side(old, names), _Side(new, names))
    for path, method in keys:
        before = old_routes.get(path, {}).get(method)
        after = new_routes.get(path, {}).get(method)
        yield from _entry_changes(path, method, before, after, sides)


@dataclass(frozen=True)
class _Side:
    contract: Mapping[str, Any]
    names: list[str]

    def facts(self, entry: Mapping[str, Any] | None, origin: str) -> tuple[dict[str, Any], bool]:
        """The facts for ``origin`` (and whether they stand in for an origin not probed)."""
        if entry is None:
            return _facts(NOTHING), False
        origins = entry.get("origins", {})
        if origin in origins:
            return self._headers_filled(_facts(origins[origin])), False
        if origin not in self.contract["origins"] and ANOTHER_SITE in origins:
            return self._headers_filled(_facts(origins[ANOTHER_SITE])), True
        return _facts(NOTHING), False

    def _headers_filled(self, facts: dict[str, Any]) -> dict[str, Any]:
        probed = set(self.contract["request_headers"])
        headers = facts["headers"]
        stand_in = headers.get(UNNAMED_HEADER, NO)
        facts["headers"] = {
            name: headers.get(name, NO if name in probed else stand_in) for name in self.names
        }
        return facts


def _facts(value: Any) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "send": NO,
        "headers": {},
        "private_network": NO,
        "read": NO,
        "exposed": {},
    }
    if isinstance(value, Mapping):
        facts.update(value)
    return facts


def _entry_changes(
    path: str,
    method: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    sides: tuple[_Side, _Side],
) -> Iterator[Change]:
    answer = (after or before or {}).get("answer", ROUTE)
    place = _place(path, method, answer)
    origins = sorted(
        {origin for entry in (before, after) if entry for origin in entry.get("origins", {})}
    )
    found: list[Change] = []
    for origin in origins:
        old, old_stand_in = sides[0].facts(before, origin)
        new, new_stand_in = sides[1].facts(after, origin)
        note = ""
        if old_stand_in:
            note = f" (not probed before: compared with what {ANOTHER_SITE} was granted)"
        elif new_stand_in:
            note = f" (no longer probed: compared with what {ANOTHER_SITE} is granted)"
        found.extend(_fact_changes(path, method, place, origin, old, new, note))
    if before is None or after is None:
        what = "new" if before is None else "gone"
        granted = any(change.kind != CHANGED for change in found)
        text = f"{method} {place} is {what}" + ("" if granted else "; it grants no origin anything")
        old_value, new_value = (None, "present") if before is None else ("present", None)
        yield Change(CHANGED, text, path, method, None, "route", None, old_value, new_value)
    elif before.get("answer") != after.get("answer"):
        old_answer, new_answer = str(before.get("answer")), str(after.get("answer"))
        yield Change(
            CHANGED,
            f"{method} {path} is now answered by {_ANSWERS.get(new_answer, new_answer)} "
            f"(before: {_ANSWERS.get(old_answer, old_answer)})",
            path,
            method,
            None,
            "answer",
            None,
            old_answer,
            new_answer,
        )
    yield from found


_ANSWERS = {
    ROUTE: "a route",
    NOT_ALLOWED: "the router's 405",
    REDIRECT: "the router's slash redirect",
    NOT_FOUND: "the router's 404",
    MOUNTED: "a mounted app",
}


def _place(path: str, method: str, answer: str) -> str:
    if answer == NOT_ALLOWED:
        return f"{path} (which does not serve {method}: 405)"
    if answer == REDIRECT:
        return f"{path} (a trailing-slash redirect)"
    if answer == NOT_FOUND:
        return "a path no route serves (404)"
    if answer == MOUNTED:
        return f"{path} (a mounted app)"
    return path


def _fact_changes(
    path: str,
    method: str,
    place: str,
    origin: str,
    old: dict[str, Any],
    new: dict[str, Any],
    note: str,
) -> Iterator[Change]:
    def change(fact: str, name: str | None, phrase: str, before: str, after: str) -> Change:
        kind, text = _words(origin, phrase, before, after)
        return Change(kind, text + note, path, method, origin, fact, name, before, after)

    # A header (or private network access) that only follows its method (a response that
    # may be read: its exposed headers) is said with it, not once more.
    send = (old["send"], new["send"]) if method not in _SIMPLE_METHODS else None
    if send is not None and send[0] != send[1]:
        yield change("send", None, f"send {{cred}}{method} to {place}", *send)
    headers = _grouped(old["headers"], new["headers"], follows=send)
    for (before, after), names in headers.items():
        listed = _either(names)
        header = "header" if len(names) == 1 else "headers"
        phrase = f"send {{cred}}{method} to {place} with the {listed} {header}"
        yield change("header", ", ".join(names), phrase, before, after)
    pna = (old["private_network"], new["private_network"])
    if pna[0] != pna[1] and (send is None or send[0] == send[1] or pna != send):
        phrase = f"send {{cred}}{method} to {place} from a public page into a private network"
        yield change("private_network", None, phrase, *pna)
    read = (old["read"], new["read"])
    if read[0] != read[1] and (send is None or send[0] == send[1] or read != send):
        yield change("read", None, f"read the response to {{cred}}{method} {place}", *read)
    exposed = _grouped(old["exposed"], new["exposed"], follows=read)
    for (before, after), names in exposed.items():
        what = _either(["every response header" if name == "*" else name for name in names])
        phrase = f"read {what} from {{cred}}{method} {place}"
        yield change("exposed", ", ".join(names), phrase, before, after)
    # Only where both sides grant a preflight: otherwise the grant's change says it all.
    if "max_age" in old and "max_age" in new and old["max_age"] != new["max_age"]:
        yield Change(
            CHANGED,
            f"{origin}'s preflights for {method} {place} are now cached for "
            f"{_seconds(new['max_age'])} (before: {_seconds(old['max_age'])})" + note,
            path,
            method,
            origin,
            "max_age",
            None,
            old["max_age"],
            new["max_age"],
        )


def _grouped(
    old: Mapping[str, str], new: Mapping[str, str], follows: tuple[str, str] | None
) -> dict[tuple[str, str], list[str]]:
    """The names whose level changed, grouped by (before, after); a change that is the same
    as the one it ``follows`` (the method's, the response's) is left out when that changed."""
    groups: dict[tuple[str, str], list[str]] = {}
    for name in sorted(set(old) | set(new)):
        levels = (old.get(name, NO), new.get(name, NO))
        if levels[0] == levels[1]:
            continue
        if follows is not None and follows[0] != follows[1] and levels == follows:
            continue
        groups.setdefault(levels, []).append(name)
    return groups


def _either(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def _seconds(value: Any) -> str:
    if value is None:
        return "the browser's default, 5 s (no Access-Control-Max-Age)"
    if isinstance(value, int):
        return f"{value} s"
    return f"the browser's default, 5 s (Access-Control-Max-Age {value!r} is no number)"


def _words(origin: str, phrase: str, before: str, after: str) -> tuple[str, str]:
    """(kind, text) for a level that went from ``before`` to ``after``."""
    plain = phrase.replace("{cred}", "")
    credentialed = phrase.replace("{cred}", "credentialed ")
    rank_before = LEVELS.index(before) if before in LEVELS else 0
    rank_after = LEVELS.index(after) if after in LEVELS else 0
    if rank_after > rank_before:
        if after == WITH:
            suffix = " (before: without credentials only)" if before == WITHOUT else ""
            return WIDENED, f"{origin} may now {credentialed}{suffix}"
        return WIDENED, f"{origin} may now {plain} (without credentials only)"
    if after == WITHOUT:
        return NARROWED, f"{origin} may no longer {credentialed} (still without credentials)"
    return NARROWED, f"{origin} may no longer {plain}"


def summary(changes: list[Change]) -> str:
    counts = {kind: sum(change.kind == kind for change in changes) for kind in KINDS}
    return ", ".join(f"{counts[kind]} {kind}" for kind in KINDS)
