"""``python -m benchmarks``: the in-process cases, the HTTP run, and the issue's targets.

Prints Markdown tables (pasted as-is into the README). ``--quick`` is a smoke run for CI:
the same cases and checks with few repetitions, so its ratios are only indicative.
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from importlib.metadata import version

from . import http_load, inprocess
from .inprocess import Target


def _log(message: str) -> None:
    print(f"# {message}", file=sys.stderr, flush=True)


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _wrk_version() -> str:
    try:
        out = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout
    except OSError:
        return "not installed"
    return out.split()[1] if out.split()[1:] else "unknown"


def environment() -> str:
    import os

    versions = ", ".join(
        f"{name} {version(name)}" for name in ("fastapi", "starlette", "uvicorn", "cors-routes")
    )
    return (
        f"{datetime.now(timezone.utc):%Y-%m-%d}, {_cpu()} ({os.cpu_count()} cores), "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"{versions}, wrk {_wrk_version()}"
    )


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:,.2f}" if seconds < 1e-4 else f"{seconds * 1e6:,.0f}"


def print_cases(cases: list[inprocess.Case]) -> None:
    for case in cases:
        print(f"\n**{case.title}**" + (f" ({case.note})" if case.note else "") + "\n")
        print("| variant | median µs | spread µs (p25-p75) | ratio to first row |")
        print("| --- | ---: | ---: | ---: |")
        first = case.cells[0]
        for cell in case.cells:
            times = sorted(cell.times)
            low, high = times[len(times) // 4], times[(3 * len(times)) // 4]
            median = sorted(cell.times)[len(times) // 2]
            ratio = inprocess.paired_ratio(cell, first)
            print(f"| {cell.label} | {_us(median)} | {_us(low)}-{_us(high)} | {ratio:.3f} |")


def print_http(runs: list[http_load.Run]) -> list[Target]:
    print("\n**HTTP: uvicorn on loopback, wrk -t1 (requests/s, median of the rounds)**\n")
    print("| request | no CORS | CORSMiddleware | cors_routes | cors_routes / CORSMiddleware |")
    print("| --- | ---: | ---: | ---: | ---: |")
    targets = []
    for kind, preflight in (("GET /items, allowed Origin", False), ("preflight", True)):
        by_variant = {r.variant: r for r in runs if r.preflight == preflight}
        cells = [
            f"{by_variant[v].median:,.0f}" if v in by_variant else "-" for v in http_variants()
        ]
        cr, mw = by_variant[http_load.CORS_ROUTES], by_variant[http_load.MIDDLEWARE]
        paired = sorted(a / b for a, b in zip(cr.rates, mw.rates, strict=True))
        ratio = paired[len(paired) // 2]
        print(f"| {kind} | {' | '.join(cells)} | {ratio:.3f} |")
        # Requests/s must be >= CORSMiddleware's: as a "<= limit" target, mw / cr <= 1.
        targets.append(
            Target(
                f"HTTP {kind}: CORSMiddleware req/s / cors_routes req/s", lambda r=ratio: 1 / r, 1.0
            )
        )
    return targets


def http_variants() -> tuple[str, str, str]:
    return (http_load.NONE, http_load.MIDDLEWARE, http_load.CORS_ROUTES)


def print_targets(targets: list[Target]) -> int:
    print("\n**Targets (issue 4)**\n")
    print("| target | measured | limit | met |")
    print("| --- | ---: | ---: | :---: |")
    missed = 0
    for target in targets:
        value = target.value()
        if target.unit == "s":
            shown, limit = f"{_us(value)} µs", f"< {_us(target.limit)} µs"
        else:
            shown, limit = f"{value:.3f}", f"<= {target.limit:g}"
        met = target.met()
        missed += not met
        print(f"| {target.name} | {shown} | {limit} | {'yes' if met else 'NO'} |")
    return missed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke run (CI): ~20 s")
    parser.add_argument("--rounds", type=int, help="in-process rounds (default 15, quick 3)")
    parser.add_argument("--no-http", action="store_true", help="skip the uvicorn + wrk run")
    args = parser.parse_args(argv)
    started = time.monotonic()
    rounds = args.rounds or (3 if args.quick else 15)
    sample = 0.005 if args.quick else 0.03

    print(f"Machine: {environment()}")
    cases, targets = inprocess.run(rounds, sample, _log)
    print(
        f"\nIn-process ASGI calls, CPU time per request, {rounds} rounds: medians; "
        "ratios are medians of per-round ratios."
    )
    print_cases(cases)

    if not args.no_http:
        unavailable = http_load.available()
        if unavailable:
            print(f"\nHTTP run skipped: {unavailable}")
        else:
            http_rounds, seconds = (1, 1.0) if args.quick else (3, 4.0)
            runs = http_load.run(http_rounds, seconds, 16, _log)
            targets += print_http(runs)

    missed = print_targets(targets)
    elapsed = time.monotonic() - started
    print(f"\n{len(targets) - missed} of {len(targets)} targets met; run time {elapsed:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
