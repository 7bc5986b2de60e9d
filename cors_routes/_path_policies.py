"""Policies by path prefix: ``install(app, paths={"/auth": POLICY, "/admin": None})``.

For routers the user does not own (a library's auth router of plain ``APIRoute``\\ s), which
no ``@cors`` or route class can reach. What Flask-CORS's ``resources`` and
django-cors-headers' ``CORS_URLS_REGEX`` do, with literal prefixes instead of regexes.

A prefix is a literal path and matches whole segments: ``/admin`` covers ``/admin`` and
``/admin/users``, never ``/administrator``; the longest prefix that covers a path wins. It
is matched against the request's path as the app's router sees it (relative to the app's
``root_path``), for routes and for what no route serves (404s, mounted apps) alike, as
Flask-CORS and django-cors-headers match the request path.

A lookup costs one slice and one dict lookup per distinct prefix length, whatever the path.
"""

from __future__ import annotations

from collections.abc import Mapping

from .exceptions import CORSConfigError
from .policy import CORSPolicy

# Characters that say the user wrote a pattern, not a path.
_PATTERN_CHARACTERS = frozenset("*?[]()^$|\\+")


class PathPolicies:
    """The validated ``paths`` of an installation."""

    __slots__ = ("_by_prefix", "_lengths", "prefixes")

    def __init__(self, paths: Mapping[str, CORSPolicy | None]) -> None:
        self._by_prefix: dict[str, tuple[str, CORSPolicy | None]] = {
            prefix: (prefix, policy) for prefix, policy in paths.items()
        }
        self._lengths = tuple(sorted({len(prefix) for prefix in paths}, reverse=True))
        self.prefixes: tuple[str, ...] = tuple(sorted(paths))

    def lookup(self, path: str) -> tuple[str, CORSPolicy | None] | None:
        """(the longest prefix covering ``path``, its policy); None where none covers it."""
        size = len(path)
        table = self._by_prefix
        for length in self._lengths:
            if length < size:
                if path[length] != "/":
                    continue
            elif length > size:
                continue
            found = table.get(path[:length])
            if found is not None:
                return found
        return None

    def covering_template(self, template: str) -> tuple[str, CORSPolicy | None] | None:
        """The prefix covering every path a route with this path template serves: one
        within the template's literal start (a prefix never holds a parameter)."""
        literal = template.split("{", 1)[0]
        found = self.lookup(literal)
        if found is not None and (template == literal or len(found[0]) < len(literal)):
            return found
        return None

    def within_template(self, template: str) -> list[str]:
        """Prefixes that cover only some paths of ``template``: they reach into a path
        parameter (``/users/me`` and ``/users/{id}``), so requests decide."""
        literal = template.split("{", 1)[0]
        if literal == template:
            return []
        return [
            prefix
            for prefix in self.prefixes
            if prefix.startswith(literal) and len(prefix) > len(literal)
        ]

    def __repr__(self) -> str:
        shown = ", ".join(f"{prefix!r}: {policy!r}" for prefix, policy in self._by_prefix.values())
        return f"PathPolicies({{{shown}}})"


def checked_paths(paths: object) -> PathPolicies | None:
    """``install(paths=...)`` validated (every problem in one error); None when empty."""
    if paths is None:
        return None
    if not isinstance(paths, Mapping):
        raise CORSConfigError(
            "install(paths=...) takes a mapping from path prefixes to policies, not "
            f"{type(paths).__name__}: write paths={{'/auth': CORSPolicy(...), '/admin': None}}"
        )
    problems = []
    for prefix, policy in paths.items():
        problem = _prefix_problem(prefix)
        if problem is not None:
            problems.append(problem)
        if policy is not None and not isinstance(policy, CORSPolicy):
            hint = "CORSPolicy(**settings)" if isinstance(policy, Mapping) else "CORSPolicy(...)"
            problems.append(
                f"install(paths=...): the policy of {prefix!r} is {type(policy).__name__}, not "
                f"a CORSPolicy (or None for no CORS there): write {prefix!r}: {hint}"
            )
    if problems:
        raise CORSConfigError(problems)
    return PathPolicies(paths) if paths else None


def _prefix_problem(prefix: object) -> str | None:
    covers = "a prefix covers itself and every path under it"
    if not isinstance(prefix, str):
        return f"install(paths=...): {prefix!r} is not a path: write a prefix like '/auth'"
    where = f"install(paths=...): {prefix!r}"
    if not prefix.startswith("/"):
        fixed = "/" + prefix.lstrip("*^")
        return f"{where} does not start with '/': write {fixed.rstrip('/*$')!r}"
    if prefix == "/":
        return f"{where} covers every path: pass that policy as install(app, default=...)"
    if "{" in prefix or "}" in prefix:
        literal = prefix.split("{", 1)[0].rstrip("/") or "/"
        return (
            f"{where} holds a path parameter, and prefixes are literal paths: write "
            f"{literal!r} ({covers}), or put @cors on the endpoints"
        )
    if prefix.endswith("*") or prefix.endswith("/.*"):
        fixed = prefix.rstrip("*").rstrip(".").rstrip("/") or "/"
        return f"{where}: prefixes are literal paths, not patterns: write {fixed!r} ({covers})"
    if _PATTERN_CHARACTERS & set(prefix):
        return (
            f"{where} looks like a regular expression; prefixes are literal paths: write the "
            f"path, e.g. '/api' ({covers}), one entry per prefix"
        )
    if "#" in prefix or any(char.isspace() for char in prefix):
        return f"{where} is not a path: write the path alone, like '/auth'"
    if prefix.endswith("/"):
        return f"{where} ends with '/': write {prefix.rstrip('/')!r} ({covers})"
    if "//" in prefix:
        fixed = "/" + "/".join(filter(None, prefix.split("/")))
        return f"{where} has an empty segment: write {fixed!r}"
    return None
