"""What the instruction-count mode measures: the apps, the requests, and which app serves
which requests in which variant.

Shared by the parent (``benchmarks.instructions``, which plans the valgrind jobs and reads
the results) and the child (``benchmarks.bench_case``, which builds one app and serves its
requests). Pure data and small builders: nothing here runs a request.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import apps
from .apps import ALLOWED, CORS_ROUTES, INSTALL, MIDDLEWARE, NONE, PLAIN, TARGET
from .inprocess import KIB, MIB, get, make_scope

# The target route serves PUT as well, so that its preflight asks for a method that is not
# CORS-safelisted, as a real preflight for a write does.
TARGET_METHODS = ("GET", "PUT")
EXACT_HIT = "https://site9999.example"  # the last of big_policy()'s exact origins
PATTERN_HIT = "https://a.b.tenant999.example"  # under its last subdomain pattern
MISS = "https://site10000.example"  # allowed by neither policy
FIRST_SEEN_ORIGINS = 10_000  # distinct preflights: more than any per-route memo keeps


@dataclass(frozen=True)
class AppSpec:
    """One app shape; every variant of it has the same routes."""

    name: str
    routes: int  # routes up to and including the target (/plain comes after it)
    big_origins: bool = False
    # The N pair: a request through 10,000 routes costs ~100x one through 1, so fewer of
    # them give the same precision, at a bearable valgrind time.
    ns: tuple[int, int] = (200, 1200)
    quick_ns: tuple[int, int] = (10, 60)
    warmup: int = 50

    cached_predicate: bool = False  # origins from cached_origins(), not a static list

    def build(self, variant: str) -> Any:
        policy = apps.big_policy() if self.big_origins else apps.DEFAULT_POLICY
        if self.cached_predicate:
            policy = apps.Policy(cached_predicate=True)
        return apps.build(
            variant, routes_before=self.routes - 1, policy=policy, methods=TARGET_METHODS
        )


APPS = {
    spec.name: spec
    for spec in (
        AppSpec("routes1", 1),
        AppSpec("routes100", 100),
        AppSpec("routes1000", 1000, ns=(100, 600), quick_ns=(5, 30)),
        AppSpec("routes10000", 10_000, ns=(20, 120), quick_ns=(2, 12), warmup=10),
        AppSpec("origins11k", 1, big_origins=True),
        AppSpec("cached1", 1, cached_predicate=True),
    )
}


def _preflight(origin: str = ALLOWED, acrh: str | None = "x-token") -> dict[str, Any]:
    headers = {"origin": origin, "access-control-request-method": "PUT"}
    if acrh is not None:
        headers["access-control-request-headers"] = acrh
    return make_scope("OPTIONS", TARGET, headers)


def _acrh_scopes(value: str) -> list[dict[str, Any]]:
    return [_preflight(acrh=value)]


def _names(count: int) -> str:
    return ", ".join(["x-token"] * count)  # an allowed name: parsed, checked and echoed


@dataclass(frozen=True)
class Request:
    """One kind of request: the scopes served in turn, and what the answer must be.

    ``acao`` is the Access-Control-Allow-Origin the case is about ("" = must be absent;
    None = not checked); a variant without CORS is never expected to send one.
    """

    kind: str
    label: str
    scopes: Callable[[], list[dict[str, Any]]]
    acao: str | None = None
    preflight: bool = False  # a granted preflight: any 2xx status

    def expected(self, variant: str) -> tuple[str, str | None]:
        """(what the status must be: "200", "2xx" or "any", the expected ACAO)."""
        if self.preflight:
            return "2xx", self.acao
        if self.acao is None:
            return "any", None
        return "200", "" if variant == NONE else self.acao


_ACRH_CASES = (
    # (kind, label, value): each is parsed (or refused by size or count) by the route.
    ("acrh-128-names", "128 names (the most allowed)", _names(128)),
    ("acrh-129-names", "129 names (one over)", _names(129)),
    ("acrh-8k-names", "8 KiB of names", _names(8 * KIB // 9)[: 8 * KIB]),
    ("acrh-8k-commas", "8 KiB of commas", "," * (8 * KIB)),
    ("acrh-8k-comma-space", "8 KiB of ', '", ", " * (4 * KIB)),
    ("acrh-8k-whitespace", "8 KiB of whitespace", " " * (8 * KIB)),
    ("acrh-over-8k", "8 KiB + 1 byte of whitespace", " " * (8 * KIB + 1)),
    ("acrh-1m-whitespace", "1 MiB of whitespace", " " * MIB),
)

REQUESTS = {
    request.kind: request
    for request in (
        Request("get", f"GET {TARGET}, allowed Origin", lambda: [get(TARGET, ALLOWED)], ALLOWED),
        Request("get-miss", f"GET {TARGET}, Origin not allowed", lambda: [get(TARGET, MISS)], ""),
        Request(
            "get-exact-hit",
            f"GET {TARGET}, exact origin",
            lambda: [get(TARGET, EXACT_HIT)],
            EXACT_HIT,
        ),
        Request(
            "get-pattern-hit",
            f"GET {TARGET}, subdomain-pattern origin",
            lambda: [get(TARGET, PATTERN_HIT)],
            PATTERN_HIT,
        ),
        Request("plain", f"GET {PLAIN}, no Origin", lambda: [get(PLAIN, None)], ""),
        Request(
            "preflight",
            f"preflight PUT {TARGET} + x-token",
            lambda: [_preflight()],
            ALLOWED,
            preflight=True,
        ),
        Request(
            "preflight-first-seen",
            "preflight, a new origin each time",
            lambda: [_preflight(f"https://site{i}.example") for i in range(FIRST_SEEN_ORIGINS)],
            None,
            preflight=True,
        ),
        *(
            Request(kind, label, functools.partial(_acrh_scopes, value))
            for kind, label, value in _ACRH_CASES
        ),
    )
}
ACRH_KINDS = tuple((kind, label, len(value)) for kind, label, value in _ACRH_CASES)

# Case groups (``--only``): which requests each app serves in which variant.
Plan = dict[tuple[str, str], tuple[str, ...]]  # (app, variant) -> request kinds
ROUTE_CLASSES = (CORS_ROUTES, INSTALL)
GROUPS: dict[str, Plan] = {
    "simple-get": {("routes1", v): ("get",) for v in (NONE, MIDDLEWARE, *ROUTE_CLASSES)},
    "preflight-1": {("routes1", v): ("preflight",) for v in (MIDDLEWARE, *ROUTE_CLASSES)},
    "routing-tax": {
        ("routes1000", v): ("plain", "get") for v in (NONE, MIDDLEWARE, *ROUTE_CLASSES)
    },
    "preflight-scaling": {
        (f"routes{size}", v): ("preflight",)
        for size in (1, 100, 1000, 10_000)
        for v in (MIDDLEWARE, *ROUTE_CLASSES)
    },
    "origins": {
        **{("routes1", v): ("get", "get-miss") for v in ROUTE_CLASSES},
        **{
            ("origins11k", v): ("get", "get-exact-hit", "get-pattern-hit", "get-miss")
            for v in ROUTE_CLASSES
        },
    },
    "origin-cache": {
        (app, v): ("preflight", "get") for app in ("routes1", "cached1") for v in ROUTE_CLASSES
    },
    "adversarial": {
        ("origins11k", v): ("preflight", "preflight-first-seen", *(k for k, _, _ in ACRH_KINDS))
        for v in ROUTE_CLASSES
    },
}


def plan(groups: list[str], variants: tuple[str, ...]) -> Plan:
    """The union of the groups' jobs, restricted to ``variants``, kinds in a stable order."""
    merged: dict[tuple[str, str], list[str]] = {}
    for group in groups:
        for key, kinds in GROUPS[group].items():
            if key[1] in variants:
                merged.setdefault(key, [])
                merged[key] += [k for k in kinds if k not in merged[key]]
    return {key: tuple(kinds) for key, kinds in merged.items()}
