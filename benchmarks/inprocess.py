"""In-process ASGI timings: a synthetic scope, no-op receive/send, no network.

Every cell of a case is timed once per round, the cells of a case back to back in an order
that rotates with the round, and the rounds repeat; a cell's figure is the median over the
rounds. A ratio is the median of the per-round ratios of two cells of the same round, which
cancels most of the drift of a noisy machine.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message

from . import apps
from .apps import ALLOWED, CORS_ROUTES, DISALLOWED, MIDDLEWARE, NONE, PLAIN, TARGET

KIB = 1024
MIB = 1024 * KIB


def make_scope(method: str, path: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    raw = [(b"host", b"api.example"), (b"user-agent", b"bench"), (b"accept", b"*/*")]
    raw += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "https",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": raw,
        "client": ("127.0.0.1", 50000),
        "server": ("api.example", 443),
        "state": {},
    }


def get(path: str, origin: str | None) -> dict[str, Any]:
    return make_scope("GET", path, {"origin": origin} if origin else None)


def preflight(path: str, origin: str = ALLOWED, acrh: str | None = "x-token") -> dict[str, Any]:
    headers = {"origin": origin, "access-control-request-method": "GET"}
    if acrh is not None:
        headers["access-control-request-headers"] = acrh
    return make_scope("OPTIONS", path, headers)


_REQUEST: Message = {"type": "http.request", "body": b"", "more_body": False}


async def _receive() -> Message:
    return _REQUEST


async def _send(message: Message) -> None:
    pass


@dataclass
class Cell:
    """One thing to time: an ASGI app with one request, or a plain function."""

    label: str
    app: ASGIApp | None = None
    scope: dict[str, Any] | None = None
    func: Callable[[], object] | None = None
    expect_status: int | None = None
    expect_acao: str | None = None  # "" means: must be absent
    times: list[float] = field(default_factory=list)

    def run(self, loop: asyncio.AbstractEventLoop, n: int) -> float:
        """Seconds per call, over ``n`` calls."""
        if self.func is not None:
            func = self.func
            start = time.process_time()
            for _ in range(n):
                func()
            return (time.process_time() - start) / n
        app, scope = self.app, self.scope
        assert app is not None and scope is not None

        async def many() -> float:
            start = time.process_time()
            for _ in range(n):
                # The router writes into the scope (route, path params): a fresh copy each
                # time, the same small cost for every variant.
                await app(dict(scope), _receive, _send)
            return time.process_time() - start

        return loop.run_until_complete(many()) / n

    def check(self, loop: asyncio.AbstractEventLoop) -> None:
        """Fail loudly if the request does not get the answer the case is about."""
        if self.app is None or self.scope is None:
            return
        started: list[Message] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                started.append(message)

        loop.run_until_complete(self.app(dict(self.scope), _receive, capture))
        status = started[0]["status"]
        headers = {k.decode().lower(): v.decode() for k, v in started[0].get("headers", [])}
        acao = headers.get("access-control-allow-origin", "")
        if self.expect_status is not None and status != self.expect_status:
            raise AssertionError(f"{self.label}: status {status}, expected {self.expect_status}")
        if self.expect_acao is not None and acao != self.expect_acao:
            raise AssertionError(f"{self.label}: ACAO {acao!r}, expected {self.expect_acao!r}")


@dataclass
class Case:
    title: str
    cells: list[Cell]
    note: str = ""

    def cell(self, label: str) -> Cell:
        return next(c for c in self.cells if c.label == label)


@dataclass
class Target:
    """A measured value (a ratio, or seconds) and the limit the issue sets for it."""

    name: str
    measure: Callable[[], float]
    limit: float
    unit: str = "x"

    def value(self) -> float:
        return self.measure()

    def met(self) -> bool:
        return self.value() <= self.limit


def paired_ratio(numerator: Cell, denominator: Cell) -> float:
    return statistics.median(a / b for a, b in zip(numerator.times, denominator.times, strict=True))


def ratio(name: str, numerator: Cell, denominator: Cell, limit: float) -> Target:
    return Target(name, lambda: paired_ratio(numerator, denominator), limit)


def seconds(name: str, cell: Cell, limit: float) -> Target:
    return Target(name, lambda: statistics.median(cell.times), limit, unit="s")


def extra_ratio(name: str, big: Cell, small: Cell, base: Cell, limit: float) -> Target:
    """(big - base) / (small - base), per round: how the extra cost grows with the input."""

    def measure() -> float:
        triples = zip(big.times, small.times, base.times, strict=True)
        return statistics.median((b - z) / max(s - z, 1e-9) for b, s, z in triples)

    return Target(name, measure, limit)


def _variant_cells(
    app_for: Callable[[str], ASGIApp],
    scope: dict[str, Any],
    variants: tuple[str, ...],
    status: dict[str, int] | int,
    acao: dict[str, str] | str | None,
    suffix: str = "",
) -> list[Cell]:
    cells = []
    for variant in variants:
        cells.append(
            Cell(
                label=variant + suffix,
                app=app_for(variant),
                scope=scope,
                expect_status=status[variant] if isinstance(status, dict) else status,
                expect_acao=acao[variant] if isinstance(acao, dict) else acao,
            )
        )
    return cells


PREFLIGHT_STATUS = {MIDDLEWARE: 200, CORS_ROUTES: 204}


def build_cases() -> tuple[list[Case], list[Target]]:
    cases: list[Case] = []
    targets: list[Target] = []
    memo: dict[tuple[Any, ...], ASGIApp] = {}

    def app(variant: str, **kwargs: Any) -> ASGIApp:
        key = (variant, *sorted((k, repr(v)) for k, v in kwargs.items()))
        if key not in memo:
            memo[key] = apps.build(variant, **kwargs)
        return memo[key]

    one = {NONE: "", MIDDLEWARE: ALLOWED, CORS_ROUTES: ALLOWED}

    # 1. Simple GET from an allowed and from a disallowed origin.
    for name, origin, acao in (("allowed", ALLOWED, one), ("disallowed", DISALLOWED, "")):
        case = Case(
            f"1. simple GET {TARGET} from {'an' if name == 'allowed' else 'a'} {name} origin",
            _variant_cells(app, get(TARGET, origin), apps.VARIANTS, 200, acao),
        )
        cases.append(case)
        targets += [
            ratio(
                f"simple GET ({name} origin): cors_routes / no CORS",
                case.cell(CORS_ROUTES),
                case.cell(NONE),
                1.04,
            ),
            ratio(
                f"simple GET ({name} origin): cors_routes / CORSMiddleware",
                case.cell(CORS_ROUTES),
                case.cell(MIDDLEWARE),
                0.95,
            ),
        ]

    # 2. Preflight with the target route last in a table of 1, 100 and 1000 routes.
    for size in (1, 100, 1000):
        before = size - 1
        cells = _variant_cells(
            lambda v, b=before: app(v, routes_before=b),
            preflight(TARGET),
            (MIDDLEWARE, CORS_ROUTES),
            PREFLIGHT_STATUS,
            ALLOWED,
            " preflight",
        )
        cells.append(
            Cell(
                "no CORS: GET of the same route",
                app(NONE, routes_before=before),
                get(TARGET, ALLOWED),
                expect_status=200,
            )
        )
        case = Case(f"2. preflight of {TARGET}, last of {size} route(s)", cells)
        cases.append(case)
        if size == 1:
            targets.append(
                ratio(
                    "preflight at 1 route: cors_routes / CORSMiddleware",
                    case.cell(CORS_ROUTES + " preflight"),
                    case.cell(MIDDLEWARE + " preflight"),
                    1.2,
                )
            )
        if size == 1000:
            targets += [
                ratio(
                    "preflight at 1000 routes: cors_routes / no-CORS GET of the route",
                    case.cell(CORS_ROUTES + " preflight"),
                    case.cell("no CORS: GET of the same route"),
                    1.0,
                ),
                ratio(
                    "stretch: preflight at 1000 routes: cors_routes / CORSMiddleware",
                    case.cell(CORS_ROUTES + " preflight"),
                    case.cell(MIDDLEWARE + " preflight"),
                    2.0,
                ),
            ]

    # 3. The routing tax: a request to a non-CORS route behind 1000 CORS routes.
    case = Case(
        f"3. GET {PLAIN} (no CORS) behind 1000 routes, no Origin",
        _variant_cells(
            lambda v: app(v, routes_before=999), get(PLAIN, None), apps.VARIANTS, 200, ""
        ),
        note="no CORS = the same table of plain APIRoutes",
    )
    cases.append(case)
    targets.append(
        ratio(
            "routing tax: non-CORS GET behind 1000 CORS routes / plain APIRoutes",
            case.cell(CORS_ROUTES),
            case.cell(NONE),
            1.02,
        )
    )

    # 4. Origin checks: 1 origin against 10,000 exact origins + 1,000 subdomain patterns.
    big, small = apps.big_policy(), apps.one_pattern_policy()
    big_cr = app(CORS_ROUTES, policy=big)
    exact_hit, pattern_hit = "https://site9999.example", "https://a.b.tenant999.example"
    miss = "https://site10000.example"
    cells = [
        Cell("1 origin: allowed", app(CORS_ROUTES), get(TARGET, ALLOWED), None, 200, ALLOWED),
        Cell("1 origin: not allowed", app(CORS_ROUTES), get(TARGET, miss), None, 200, ""),
        Cell("11k: exact hit", big_cr, get(TARGET, exact_hit), None, 200, exact_hit),
        Cell("11k: pattern hit", big_cr, get(TARGET, pattern_hit), None, 200, pattern_hit),
        Cell("11k: not allowed", big_cr, get(TARGET, miss), None, 200, ""),
        Cell(
            "CORSMiddleware 11k: exact hit",
            app(MIDDLEWARE, policy=big),
            get(TARGET, exact_hit),
            None,
            200,
            exact_hit,
        ),
    ]
    policies = {"1": apps.DEFAULT_POLICY.cors_policy(), "1+1p": small.cors_policy()}
    policies["11k"] = big.cors_policy()
    for policy_name, origin_name, origin in (
        ("1", "exact hit", ALLOWED),
        ("11k", "exact hit", exact_hit),
        ("1+1p", "pattern hit", pattern_hit),
        ("11k", "pattern hit", pattern_hit),
        ("1", "not allowed", miss),
        ("1+1p", "not allowed", miss),
        ("11k", "not allowed", miss),
    ):
        check = policies[policy_name].origin_value
        encoded = origin.encode()
        cells.append(
            Cell(f"check only, {policy_name}: {origin_name}", func=lambda c=check, o=encoded: c(o))
        )
    case = Case(
        f"4. origin check: GET {TARGET} with 1 origin vs 10,000 origins + 1,000 patterns",
        cells,
        note="11k = 10,000 exact origins + 1,000 patterns; 1+1p = 1 origin + 1 pattern; "
        "'check only' = CORSPolicy.origin_value alone",
    )
    cases.append(case)
    for label in ("exact hit", "pattern hit", "not allowed"):
        targets.append(
            ratio(
                f"origin check, GET: 11k {label} / 1 origin",
                case.cell(f"11k: {label}"),
                case.cell(
                    "1 origin: allowed" if label != "not allowed" else "1 origin: not allowed"
                ),
                1.2,
            )
        )

    # 5. Adversarial preflights.
    unit = "x-token, "
    adversarial = [
        ("ACRH 1 KiB of names", (unit * (KIB // len(unit)))[:-2]),
        ("ACRH 2 KiB of names", (unit * (2 * KIB // len(unit)))[:-2]),
        ("ACRH 4 KiB of names", (unit * (4 * KIB // len(unit)))[:-2]),
        ("ACRH 8 KiB of names", (unit * (8 * KIB // len(unit)))[:-2]),
        ("ACRH 1000 empty elements", "," * 1000),
        ("ACRH 8 KiB of whitespace", " " * (8 * KIB - 100)),
        ("ACRH 1 MiB of whitespace", " " * MIB),
        ("ACRH 4 MiB of whitespace", " " * (4 * MIB)),
    ]
    cells = [Cell("plain preflight", app(CORS_ROUTES), preflight(TARGET), None, 204, ALLOWED)]
    for label, value in adversarial:
        cells.append(Cell(label, app(CORS_ROUTES), preflight(TARGET, acrh=value), None, None))
    for label, value in adversarial:
        cells.append(
            Cell(f"CORSMiddleware: {label}", app(MIDDLEWARE), preflight(TARGET, acrh=value))
        )
    case = Case(
        "5. adversarial preflights (cors_routes, then CORSMiddleware for comparison)",
        cells,
        note="names = 'x-token' repeated (an allowed name): the worst case, parsed and echoed",
    )
    cases.append(case)
    for label, _ in adversarial:
        targets.append(seconds(f"adversarial: {label}", case.cell(label), 100e-6))
    # Linear in size: 8 KiB of names costs no more than 8x the extra of 1 KiB (plus slack
    # for noise), and megabytes cost what the first byte over the limit costs.
    targets.append(
        extra_ratio(
            "adversarial: extra cost of 8 KiB / of 1 KiB of names (linear: ~8)",
            case.cell("ACRH 8 KiB of names"),
            case.cell("ACRH 1 KiB of names"),
            case.cell("plain preflight"),
            10.0,
        )
    )
    targets.append(
        ratio(
            "adversarial: 4 MiB / 1 MiB of whitespace (refused by size: flat)",
            case.cell("ACRH 4 MiB of whitespace"),
            case.cell("ACRH 1 MiB of whitespace"),
            1.2,
        )
    )

    # 6. A route inside an included router with a prefix.
    path = "/api" + TARGET
    case = Case(
        f"6. included router, prefix /api: GET and preflight of {path}",
        _variant_cells(
            lambda v: app(v, prefix="/api"), get(path, ALLOWED), apps.VARIANTS, 200, one, " GET"
        )
        + _variant_cells(
            lambda v: app(v, prefix="/api"),
            preflight(path),
            (MIDDLEWARE, CORS_ROUTES),
            PREFLIGHT_STATUS,
            ALLOWED,
            " preflight",
        ),
    )
    # Not a target of the issue: shown for the cost of include_router's double matching.
    cases.append(case)
    return cases, targets


def run(
    rounds: int, sample_seconds: float, log: Callable[[str], None]
) -> tuple[list[Case], list[Target]]:
    loop = asyncio.new_event_loop()
    try:
        log("building the apps...")
        cases, targets = build_cases()
        # The apps (1000-route tables, 11,000-origin policies) live for the whole run: out of
        # the collector's way, so a collection costs what it costs in a real server.
        gc.collect()
        gc.freeze()
        calls: dict[int, int] = {}
        for case in cases:
            for cell in case.cells:
                cell.check(loop)
                cell.run(loop, 3)  # warm up (middleware stack, caches)
                once = cell.run(loop, 20)
                calls[id(cell)] = max(3, int(sample_seconds / max(once, 1e-7)))
        log(f"timing {sum(len(c.cells) for c in cases)} cells x {rounds} rounds...")
        for round_index in range(rounds):
            for case in cases:
                shift = round_index % len(case.cells)
                for cell in case.cells[shift:] + case.cells[:shift]:
                    cell.times.append(cell.run(loop, calls[id(cell)]))
        return cases, targets
    finally:
        loop.close()
