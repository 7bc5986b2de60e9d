"""python -m cors_routes (or cors-routes): CORS diagnostics for an app, and the demo.

  routes APP    every route with its effective CORS policy
  explain APP   what a browser concludes about one request, and why (exit 0 allowed, 1 blocked)
  check APP     the CORS lint (exit 1 on errors)
  snapshot APP  the app's CORS contract (JSON): what browsers may do, probed in process
  diff CONTRACT APP|NEW.json   every change from a contract, in words (exit 1 if widened)

APP is module:attribute, as for uvicorn (main:app); with --factory, APP names a function
that builds the application and is called with no arguments. Exit code 2: a usage error, or
an application that cannot be imported, built or started (its start-up, or lifespan, failed).

Start-up lint: the first request a CORS route serves runs the same lint as `check` and
reports its findings as warnings (to the cors_routes logger when warnings are errors); set
CORS_ROUTES_LINT=off (or 0, false, no) to turn it off.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import textwrap
import traceback
from collections.abc import Sequence
from typing import Any, TextIO

USAGE_ERROR = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "demo":
        from . import demo  # type: ignore[attr-defined, unused-ignore]

        return int(demo.run(host=args.host, port=args.port))
    if args.command in ("snapshot", "diff"):
        from ._contract_cli import run

        return run(args, parser)
    from ._loading import AppLoadError, load_app

    try:
        app = load_app(args.app, factory=args.factory, app_dir=args.app_dir)
    except AppLoadError as error:
        parser.error(str(error))
    except Exception:
        traceback.print_exc()
        doing = "calling the factory" if args.factory else "importing"
        print(f"cors-routes: error: {doing} {args.app} failed (above)", file=sys.stderr)
        return USAGE_ERROR
    out = sys.stdout
    from ._asgi import StartupFailed

    try:
        if args.command == "explain":
            return _explain(app, args, out, parser)  # it runs the app's lifespan itself
        command = _routes if args.command == "routes" else _check
        if not args.lifespan:
            return command(app, args, out)
        return _with_lifespan(app, lambda: command(app, args, out))
    except StartupFailed as error:
        # Not 1, which says "blocked" or "errors found": nothing was asked of the app.
        _startup_failed(error.message, args.command)
        return USAGE_ERROR


def _startup_failed(message: str, command: str) -> None:
    """Say on stderr that the app's start-up failed, with what the app said."""
    if command == "explain":
        hint = "explain runs it as a server would: give it the settings or services it needs"
    else:
        hint = "without --lifespan, the routes declared before start-up are read"
    message = message.rstrip()
    if "\n" in message:  # a traceback (Starlette sends one): shown as it is, then the verdict
        print(message, file=sys.stderr)
        print(f"cors-routes: error: the app's start-up failed (above); {hint}", file=sys.stderr)
    else:
        said = f": {message}" if message else " (it gave no reason)"
        print(f"cors-routes: error: the app's start-up failed{said}; {hint}", file=sys.stderr)


def _with_lifespan(app: Any, run: Any) -> int:
    """``run()`` between the app's start-up and shutdown, for apps that add routes there."""
    import asyncio

    from ._asgi import lifespan

    async def started() -> int:
        async with lifespan(app):
            return int(run())

    return asyncio.run(started())


def _lifespan_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lifespan",
        action="store_true",
        help="run the app's start-up first (and its shutdown after): for apps that include "
        "routers when they start",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cors-routes",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser("demo", help="run the browser demo on loopback")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)

    routes = commands.add_parser("routes", help="list every route and its effective CORS policy")
    _app_arguments(routes)
    _lifespan_argument(routes)
    routes.add_argument("--json", action="store_true", help="print JSON instead of a table")

    explain = commands.add_parser(
        "explain",
        help="what a browser concludes about one cross-origin request, and why",
        description="Run one request in-process the way a browser sends it (preflight first "
        "if the browser would send one) and print the browser's verdict and the reason. "
        "The endpoint runs: point it at a test or staging configuration. "
        "Exit code 0: allowed; 1: blocked; 2: usage error, or the app failed to load or "
        "start.",
    )
    _app_arguments(explain)
    explain.add_argument(
        "--origin", required=True, help="the page's origin, e.g. https://app.example"
    )
    explain.add_argument("--method", required=True, help="the method the script uses")
    explain.add_argument("--path", required=True, help="the request's path (and query)")
    explain.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="NAME[:VALUE]",
        help="a request header the script sets (repeatable); without a value, Content-Type "
        "means application/json",
    )
    explain.add_argument(
        "--credentials",
        action="store_true",
        help="the script sends credentials (fetch credentials: 'include')",
    )
    explain.add_argument("--data", default=None, help="the request body, as text")
    explain.add_argument("--json", action="store_true", help="print JSON")

    check = commands.add_parser(
        "check",
        help="the CORS lint; exit 1 on errors",
        description="Run the CORS lint. A finding that is the same for several routes is "
        "reported once, naming them all. Exit code 0: no error; 1: errors (or warnings, "
        "with --strict); 2: usage error, or the app failed to load or start.",
    )
    _app_arguments(check)
    _lifespan_argument(check)
    check.add_argument(
        "--json",
        action="store_true",
        help="print JSON: a list of {severity, code, where, routes, message}, where 'routes' "
        "lists every place the finding applies to and 'where' is the first of them",
    )
    check.add_argument("--strict", action="store_true", help="exit 1 on warnings too")

    from ._contract_cli import add_commands

    add_commands(commands, _app_arguments)
    return parser


def _app_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("app", metavar="APP", help="the application, as module:attribute")
    command.add_argument(
        "--factory",
        action="store_true",
        help="APP is a function returning the application: call it with no arguments",
    )
    command.add_argument(
        "--app-dir",
        default=None,
        metavar="DIR",
        help="look for APP's module in DIR (put first on sys.path), as uvicorn --app-dir",
    )


# -- routes --------------------------------------------------------------------------------------


def _routes(app: Any, args: argparse.Namespace, out: TextIO) -> int:
    from ._inventory import iter_routes
    from ._openapi import cors_extension
    from ._terminal import Style, table

    routes = iter_routes(app)
    if args.json:
        entries = []
        for info in routes:
            cors: Any = None
            if info.policy is not None:
                cors = cors_extension(info.policy, info.methods, unset_methods=info.unset_methods)
            elif info.opted_out:
                cors = "opted out"
            elif info.ignored_policy is not None:
                cors = "ignored"
            elif info.policy_name is not None and not info.installed:
                cors = "unresolved"
            entries.append(
                {
                    "path": info.path,
                    "methods": None if info.methods is None else sorted(info.methods),
                    "kind": info.kind,
                    "route_class": info.route_class,
                    "name": info.name,
                    "source": info.source or None,
                    "cors": cors,
                }
            )
        json.dump(entries, out, indent=2)
        out.write("\n")
        return 0
    style = Style(out)
    rows = [_route_row(info) for info in routes]
    headers = ["PATH", "METHODS", "ROUTE CLASS", "POLICY FROM", "CORS ORIGINS", "ALLOW METHODS"]
    headers += ["ALLOW HEADERS", "CREDENTIALS", "MAX-AGE"]
    # Long origin lists wrap to the terminal's width (COLUMNS if set); not folded when the
    # output is not a terminal and COLUMNS is unset.
    width = shutil.get_terminal_size((0, 0)).columns
    out.write(table(headers, rows, style, width=width, fold=4) + "\n")
    with_cors = sum(info.policy is not None for info in routes)
    out.write(style(f"\n{len(routes)} routes, {with_cors} with CORS\n", "dim"))
    return 0


def _route_row(info: Any) -> list[str]:
    route_class = info.route_class
    if info.kind == "mount":
        inner = getattr(info.route, "app", None)
        route_class = f"Mount ({type(inner).__name__})"
    methods = "*" if info.methods is None else ", ".join(sorted(info.methods))
    if info.kind == "websocket":
        methods = "WebSocket"
    policy = info.policy
    if policy is None:
        if info.opted_out:
            what = "opted out"
        elif info.ignored_policy is not None:
            what = "IGNORED @cors (see check)"
        elif info.policy_name is not None and not info.installed:
            what = "UNRESOLVED name (see check)"
        else:
            what = "no CORS"
        return [info.path, methods, route_class, info.source or "-", what, "", "", "", ""]
    origins = list(policy.allow_origins)
    if policy.allow_origin_regex is not None:
        origins.append(f"regex {policy.allow_origin_regex}")
    if policy.allow_origin_func is not None:
        origins.append(f"func {getattr(policy.allow_origin_func, '__name__', '?')}()")
    allowed = info.allowed_methods()
    return [
        info.path,
        methods,
        route_class,
        info.source,
        ", ".join(origins) or "(none)",
        "*" if allowed is None else ", ".join(sorted(allowed)) or "(none)",
        ", ".join(policy.allow_headers) or "(safelisted)",
        "yes" if policy.allow_credentials else "no",
        str(policy.max_age),
    ]


# -- check ---------------------------------------------------------------------------------------


def _check(app: Any, args: argparse.Namespace, out: TextIO) -> int:
    from ._inventory import iter_routes
    from ._terminal import Style
    from .lint import _ERROR, check_app

    findings = check_app(app)
    errors = sum(finding.severity == _ERROR for finding in findings)
    warnings = len(findings) - errors
    failed = errors > 0 or (args.strict and warnings > 0)
    if args.json:
        json.dump([finding.as_dict() for finding in findings], out, indent=2)
        out.write("\n")
        return 1 if failed else 0
    style = Style(out)
    if not findings:
        routes = iter_routes(app)
        with_cors = sum(info.policy is not None for info in routes)
        out.write(style("no problems found", "green") + f" ({with_cors} CORS routes checked)\n")
        return 0
    width = min(shutil.get_terminal_size((100, 24)).columns, 100)
    indent = " " * 9
    for finding in findings:
        colour = "red" if finding.severity == _ERROR else "yellow"
        severity = style(finding.severity.ljust(7), colour, "bold")
        out.write(f"{severity}  {finding.code}  {finding.summary()}\n")
        body = textwrap.fill(
            finding.message, width=width, initial_indent=indent, subsequent_indent=indent
        )
        out.write(body + "\n")
        if len(finding.places) > 3:  # the head line names only the first ones
            every = "; ".join(finding.places)
            text = f"{len(finding.places)} routes: {every}"
            out.write(
                textwrap.fill(text, width=width, initial_indent=indent, subsequent_indent=indent)
                + "\n"
            )
    summary = f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
    out.write("\n" + style(summary, "red" if failed else "yellow") + "\n")
    return 1 if failed else 0


# -- explain -------------------------------------------------------------------------------------


def _explain(
    app: Any, args: argparse.Namespace, out: TextIO, parser: argparse.ArgumentParser
) -> int:
    from .browser import FetchError
    from .explain import explain

    headers: list[tuple[str, str | None]] = []
    for item in args.header:
        name, sep, value = item.partition(":")
        headers.append((name.strip(), value.strip() if sep else None))
    if not args.path.startswith("/"):
        parser.error(f"--path must start with '/', not {args.path!r}")
    try:
        result = explain(
            app,
            origin=args.origin,
            method=args.method,
            path=args.path,
            headers=headers,
            credentials=args.credentials,
            body=args.data,
        )
    except FetchError as error:
        parser.error(str(error))
    if args.json:
        json.dump(_explanation_json(result), out, indent=2)
        out.write("\n")
    else:
        _print_explanation(result, out)
    return 0 if result.allowed else 1


def _explanation_json(result: Any) -> dict[str, Any]:
    return {
        "verdict": "allowed" if result.allowed else "blocked",
        "reason": result.reason,
        "browser_reason": result.browser_reason,
        "route": None if result.route is None else result.route.label(),
        "preflight": result.preflighted,
        "steps": [
            {
                "kind": step.kind,
                "method": step.exchange.method,
                "path": step.exchange.path,
                "request_headers": [list(h) for h in step.exchange.request_headers],
                "status": step.exchange.status,
                "response_headers": [list(h) for h in step.exchange.headers],
                "ok": step.check.ok,
            }
            for step in result.steps
        ],
        "readable_headers": result.readable,
        "notes": result.notes,
    }


_SHOWN_RESPONSE_HEADERS = ("vary", "location")


def _print_explanation(result: Any, out: TextIO) -> None:
    from ._terminal import Style

    style = Style(out)
    fetch = result.request
    credentials = "include" if fetch.credentials else "same-origin (none sent cross-origin)"
    out.write(
        f"request   {fetch.method} {fetch.url} from {fetch.origin}, credentials {credentials}\n"
    )
    if result.route is not None:
        info = result.route
        out.write(f"route     {info.label()} ({info.name}, {info.route_class})\n")
    else:
        out.write("route     none serves this method and path\n")
    if not result.preflighted:
        out.write(
            "preflight not needed: a "
            f"{fetch.method} with only CORS-safelisted headers is a simple request\n"
        )
    for step in result.steps:
        exchange = step.exchange
        title = "preflight" if step.kind == "preflight" else "request"
        out.write(f"\n{style(title, 'bold')}  {exchange.method} {exchange.path}\n")
        for name, value in exchange.request_headers:
            out.write(f"  > {name}: {value}\n")
        out.write(f"  < {exchange.status}\n")
        for name, value in exchange.headers:
            if name.startswith("access-control-") or name in _SHOWN_RESPONSE_HEADERS:
                out.write(f"  < {name}: {value}\n")
        verdict = style("passes", "green") if step.check.ok else style("fails", "red")
        out.write(
            f"  {verdict} the browser's {'preflight' if step.kind == 'preflight' else 'CORS'} check"
        )
        out.write(f": {step.check.reason}\n" if not step.check.ok else "\n")
    for note in result.notes:
        out.write(f"\nnote: {note}")
    out.write("\n" if result.notes else "")
    out.write("\n")
    if result.allowed:
        status = result.steps[-1].exchange.status
        readable = ", ".join(result.readable) or "none"
        out.write(
            style("ALLOWED", "green", "bold")
            + f": the script reads the response (status {status}); readable headers: {readable}\n"
        )
    else:
        out.write(style("BLOCKED", "red", "bold") + f": {result.reason}\n")
        if result.browser_reason and result.browser_reason != result.reason:
            out.write(f"browser: {result.browser_reason}\n")


if __name__ == "__main__":
    raise SystemExit(main())
