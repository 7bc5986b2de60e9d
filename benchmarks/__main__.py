"""``python -m benchmarks``: the in-process cases, the HTTP run, and the issue's targets.

Prints Markdown tables (pasted as-is into the README). ``--quick`` is a smoke run for CI:
the same cases and checks with few repetitions, so its ratios are only indicative.

``--instructions`` instead counts instructions per request under valgrind (see
``benchmarks.instructions``): deterministic enough to check 1 % targets on a noisy machine.
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
from .apps import ALL_VARIANTS
from .inprocess import Target
from .instruction_cases import GROUPS


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


def _short(variant: str) -> str:
    return "install()" if variant == http_load.INSTALL else variant


def print_http(runs: list[http_load.Run]) -> list[Target]:
    print("\n**HTTP: uvicorn on loopback, wrk -t1 (requests/s, median of the rounds)**\n")
    columns = http_variants()
    ratio_columns = [v for v in (http_load.CORS_ROUTES, http_load.INSTALL) if v in columns]
    header = ["app", "request", *map(_short, columns)]
    header += [f"{_short(v)} / CORSMiddleware" for v in ratio_columns]
    print("| " + " | ".join(header) + " |")
    print("| --- | --- |" + " ---: |" * (len(header) - 2))
    targets = []
    for app in (http_load.SMALL, http_load.ROUTES_1000):
        for kind, preflight in (("GET /items, allowed Origin", False), ("preflight", True)):
            by_variant = {r.variant: r for r in runs if r.preflight == preflight and r.app == app}
            cells = [f"{by_variant[v].median:,.0f}" if v in by_variant else "-" for v in columns]
            mw = by_variant[http_load.MIDDLEWARE]
            ratios = []
            for variant in ratio_columns:
                paired = sorted(
                    a / b for a, b in zip(by_variant[variant].rates, mw.rates, strict=True)
                )
                ratios.append(paired[len(paired) // 2])
            shown = [f"{r:.3f}" for r in ratios]
            print(f"| {app} | {kind} | {' | '.join(cells)} | {' | '.join(shown)} |")
            if app == http_load.SMALL:
                # Requests/s must be >= CORSMiddleware's: as a "<= limit" target, mw / cr <= 1.
                ratio = ratios[0]
                targets.append(
                    Target(
                        f"HTTP {kind}: CORSMiddleware req/s / cors_routes req/s",
                        lambda r=ratio: 1 / r,
                        1.0,
                    )
                )
    return targets


def http_variants() -> tuple[str, ...]:
    return http_load.variants()


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


def _instructions(quick: bool, only: str | None, variants: str | None, code: str) -> int:
    from . import instruction_report, instructions

    started = time.monotonic()
    groups = list(GROUPS) if only is None else only.split(",")
    chosen = ALL_VARIANTS if variants is None else tuple(variants.split(","))
    for name, known, wrong in (
        ("--only", GROUPS, [g for g in groups if g not in GROUPS]),
        ("--variants", ALL_VARIANTS, [v for v in chosen if v not in ALL_VARIANTS]),
    ):
        if wrong:
            raise SystemExit(f"{name}: unknown {', '.join(wrong)}; choose from {', '.join(known)}")
    results = instructions.run(groups, chosen, quick, code, _log)
    if isinstance(results, str):
        print(f"Instruction mode skipped: {results}.")
        return 0
    print(f"Machine: {environment()}")
    met, checked = instruction_report.print_report(results)
    elapsed = time.monotonic() - started
    print(f"\n{met} of {checked} measured targets met; run time {elapsed:.0f} s.")
    for (app, variant), why in sorted(results.failed.items()):
        print(f"# FAILED: {app} / {variant}: {why}", file=sys.stderr)
    return 1 if results.failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke run (CI): ~20 s")
    parser.add_argument("--rounds", type=int, help="in-process rounds (default 15, quick 3)")
    parser.add_argument("--no-http", action="store_true", help="skip the uvicorn + wrk run")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="count instructions per request under valgrind instead (quick: smaller N)",
    )
    parser.add_argument(
        "--only", help=f"instruction mode: comma-separated case groups of {', '.join(GROUPS)}"
    )
    parser.add_argument(
        "--variants",
        help=f"instruction mode: comma-separated variants of {', '.join(ALL_VARIANTS)}",
    )
    parser.add_argument(
        "--code",
        default="worktree",
        help="instruction mode: the code to measure, 'worktree' (default) or a git revision",
    )
    args = parser.parse_args(argv)
    if args.instructions:
        return _instructions(args.quick, args.only, args.variants, args.code)
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
