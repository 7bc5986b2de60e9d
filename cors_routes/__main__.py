"""python -m cors_routes (or cors-routes): CORS diagnostics for an app, and the demo.

  routes APP    every route with its effective CORS policy
  explain APP   what a browser concludes about one request, and why (exit 0 allowed, 1 blocked)
  check APP     the CORS lint (exit 1 on errors)
  snapshot APP  the app's CORS contract (JSON): what browsers may do, probed in process
  diff CONTRACT APP|NEW.json   every change from a contract, in words (exit 1 if widened)

APP is module:attribute, as for uvicorn (main:app); with --factory, APP names a function
that builds the application and is called with no arguments; --app-dir DIR imports it from
DIR instead of the current directory. Exit code 2: a usage error, or an application that
cannot be imported, built or started (its start-up, or lifespan, failed); 141: the output's
reader went away (| head). Output fits the terminal's width (COLUMNS if set).

Start-up lint: the first request a CORS route serves runs the same lint as `check` and
reports its findings as warnings (to the cors_routes logger when warnings are errors); set
CORS_ROUTES_LINT=off (or 0, false, no) to turn it off.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from ._app_options import Handler, UsageError, add_app_arguments, run_on_app

BROKEN_PIPE = 141
"""The exit code when the reader of our output went away (``... | head``): 128 + SIGPIPE,
what a shell reports for a command a closed pipe stopped; not 1, which says "blocked" or
"errors found"."""


def main(argv: Sequence[str] | None = None) -> int:
    try:
        try:
            return _main(argv)  # argparse's exits (--help, --version, usage errors) included
        finally:
            sys.stdout.flush()  # here, so that a closed pipe is noticed while it can be handled
    except BrokenPipeError:
        return _output_closed()


def _main(argv: Sequence[str] | None) -> int:
    parser = _parser()
    args, unknown = parser.parse_known_args(argv)
    command: argparse.ArgumentParser = args.command_parser
    if unknown:  # reported by the subcommand, with its usage, not the top-level one
        command.error(f"unrecognized arguments: {' '.join(unknown)}")
    if not hasattr(args, "app") or args.loads_app_itself:
        # The demo reads no app; diff may compare two files, so it loads APP when it is one.
        try:
            return int(args.handler(None, args, sys.stdout))
        except UsageError as error:
            command.error(str(error))
    return run_on_app(args, command, args.handler)


def _output_closed() -> int:
    """Python's advice for a closed stdout (docs: signal, "Note on SIGPIPE"): point it at
    devnull, so that the interpreter's last flush does not raise again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (AttributeError, ValueError, OSError):  # stdout without a file descriptor
        pass
    return BROKEN_PIPE


def _demo(app: None, args: argparse.Namespace, out: TextIO) -> int:
    from . import demo  # type: ignore[attr-defined, unused-ignore]

    return int(demo.run(host=args.host, port=args.port))


def _version() -> str:
    """The installed distribution's version; a checkout that is not installed says so."""
    from importlib import metadata

    try:
        return metadata.version("cors-routes")
    except metadata.PackageNotFoundError:
        import cors_routes

        found = getattr(cors_routes, "__version__", None)
        return str(found) if found else "(version unknown: not installed)"


def _add_command(
    commands: Any, name: str, handler: Handler, **kwargs: Any
) -> argparse.ArgumentParser:
    """A subcommand that ``handler(app, args, stdout)`` runs, returning the exit code. With
    :func:`add_app_arguments` on it, it reads APP, --factory, --app-dir and --lifespan and
    gets the loaded app; without, ``app`` is None. A ``UsageError`` it raises is shown with
    its usage (exit 2)."""
    command: argparse.ArgumentParser = commands.add_parser(name, **kwargs)
    command.set_defaults(handler=handler, command_parser=command, loads_app_itself=False)
    return command


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cors-routes",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"cors-routes {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = _add_command(commands, "demo", _demo, help="run the browser demo on loopback")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)

    routes = _add_command(
        commands,
        "routes",
        _routes,
        help="list every route and its effective CORS policy",
        description="Every route and its effective CORS policy: a table, one line per route, "
        "when it fits the terminal (COLUMNS if set); else each route on a line of its own, "
        "its policy on indented lines. Not on a terminal and without COLUMNS: the table, "
        "unwrapped.",
    )
    add_app_arguments(routes)
    routes.add_argument("--json", action="store_true", help="print JSON instead of a table")

    explain = _add_command(
        commands,
        "explain",
        _explain,
        help="what a browser concludes about one cross-origin request, and why",
        description="Run one request in-process the way a browser sends it (preflight first "
        "if the browser would send one) and print the browser's verdict and the reason. "
        "The endpoint runs: point it at a test or staging configuration. "
        "Exit code 0: allowed; 1: blocked; 2: usage error, or the app failed to load or "
        "start.",
    )
    add_app_arguments(explain, lifespan=False)  # it runs the app's lifespan itself
    explain.add_argument(
        "--origin", required=True, help="the page's origin, e.g. https://app.example"
    )
    explain.add_argument("--method", required=True, help="the method the script uses")
    explain.add_argument(
        "--path", required=True, type=_request_path, help="the request's path (and query)"
    )
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

    check = _add_command(
        commands,
        "check",
        _check,
        help="the CORS lint; exit 1 on errors",
        description="Run the CORS lint. A finding that is the same for several routes is "
        "reported once, naming them all (or, for a policy they share, such as install()'s "
        "default, how many use it). Exit code 0: no error; 1: errors (or warnings, with "
        "--strict); 2: usage error, or the app failed to load or start.",
    )
    add_app_arguments(check)
    check.add_argument(
        "--json",
        action="store_true",
        help="print JSON: a list of {severity, code, where, routes, message}, where 'routes' "
        "lists every place the finding applies to and 'where' is the first of them",
    )
    check.add_argument("--strict", action="store_true", help="exit 1 on warnings too")

    from ._contract_cli import add_commands

    add_commands(commands)
    return parser


def _request_path(value: str) -> str:
    if not value.startswith("/"):
        raise argparse.ArgumentTypeError(f"must start with '/', not {value!r}")
    return value


# -- routes --------------------------------------------------------------------------------------


def _routes(app: Any, args: argparse.Namespace, out: TextIO) -> int:
    from ._inventory import iter_routes
    from ._openapi import cors_extension
    from ._route_listing import listing
    from ._terminal import Style, width

    routes = iter_routes(app)
    if args.json:
        entries = []
        for info in routes:
            cors: Any = None
            if info.policy is not None and info.kind == "websocket":
                cors = _origin_check_json(info.policy)
            elif info.policy is not None:
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
    out.write(listing(routes, style, width(out)) + "\n")
    with_cors = sum(info.policy is not None for info in routes)
    out.write(style(f"\n{len(routes)} routes, {with_cors} with CORS\n", "dim"))
    return 0


def _origin_check_json(policy: Any) -> dict[str, Any]:
    """A WebSocket route's policy: only its handshake's Origin is checked."""
    check: dict[str, Any] = {"originCheck": True, "allowOrigins": list(policy.allow_origins)}
    if policy.allow_origin_regex is not None:
        check["allowOriginRegex"] = policy.allow_origin_regex
    if policy.allow_origin_func is not None:
        check["allowOriginFunc"] = True
    return check


# -- check ---------------------------------------------------------------------------------------


def _check(app: Any, args: argparse.Namespace, out: TextIO) -> int:
    from ._inventory import iter_routes
    from ._terminal import Style, fill, prose_width
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
    width = prose_width(out)
    indent = " " * 9
    for finding in findings:
        colour = "red" if finding.severity == _ERROR else "yellow"
        severity = finding.severity.ljust(7)
        head = fill(f"{severity}  {finding.code}  {finding.summary()}", width, hang=indent)
        head[0] = style(severity, colour, "bold") + head[0][len(severity) :]
        lines = head + fill(finding.message, width, indent)
        # The head line names only the first routes; a shared policy's routes are not listed
        # (`routes` shows which use it, `--json` lists them).
        if len(finding.places) > 3 and not finding.shared_policy:
            every = "; ".join(finding.places)
            lines += fill(f"{len(finding.places)} routes: {every}", width, indent)
        out.write("\n".join(lines) + "\n")
    summary = f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
    out.write("\n" + style(summary, "red" if failed else "yellow") + "\n")
    return 1 if failed else 0


# -- explain -------------------------------------------------------------------------------------


def _explain(app: Any, args: argparse.Namespace, out: TextIO) -> int:
    from .browser import FetchError
    from .explain import explain

    headers: list[tuple[str, str | None]] = []
    for item in args.header:
        name, sep, value = item.partition(":")
        headers.append((name.strip(), value.strip() if sep else None))
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
        raise UsageError(str(error)) from None
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
    """The exchange as a browser makes it, word-wrapped to the terminal (at most 100
    columns) with hanging indents, as ``check`` prints; a header value or URL longer than
    the line is never split."""
    from ._terminal import Style, fill, prose_width

    style = Style(out)
    width = prose_width(out)
    lines: list[str] = []

    def say(text: str, hang: int, *, indent: str = "", styled: tuple[str, ...] = ()) -> None:
        wrapped = fill(indent + text, width, hang=" " * hang)
        if styled:  # colour the first word (after the wrapping, which counts characters)
            word = text.split(" ", 1)[0].rstrip(":")
            wrapped[0] = wrapped[0].replace(word, style(word, *styled), 1)
        lines.extend(wrapped)

    fetch = result.request
    credentials = "include" if fetch.credentials else "same-origin (none sent cross-origin)"
    say(f"request   {fetch.method} {fetch.url} from {fetch.origin}, credentials {credentials}", 10)
    if result.route is not None:
        info = result.route
        say(f"route     {info.label()} ({info.name}, {info.route_class})", 10)
    else:
        say("route     none serves this method and path", 10)
    if not result.preflighted:
        say(
            f"preflight not needed: a {fetch.method} with only CORS-safelisted headers is a "
            "simple request",
            10,
        )
    for step in result.steps:
        exchange = step.exchange
        title = "preflight" if step.kind == "preflight" else "request"
        lines.append("")
        say(f"{title}  {exchange.method} {exchange.path}", len(title) + 2, styled=("bold",))
        for name, value in exchange.request_headers:
            say(f"> {name}: {value}", 6, indent="  ")
        say(f"< {exchange.status}", 6, indent="  ")
        for name, value in exchange.headers:
            if name.startswith("access-control-") or name in _SHOWN_RESPONSE_HEADERS:
                say(f"< {name}: {value}", 6, indent="  ")
        check = "preflight" if step.kind == "preflight" else "CORS"
        if step.check.ok:
            say(f"passes the browser's {check} check", 4, indent="  ", styled=("green",))
        else:
            reason = step.check.reason
            say(f"fails the browser's {check} check: {reason}", 4, indent="  ", styled=("red",))
    if result.notes:
        lines.append("")
    for note in result.notes:
        say(f"note: {note}", 6)
    lines.append("")
    if result.allowed:
        status = result.steps[-1].exchange.status
        readable = ", ".join(result.readable) or "none"
        say(
            f"ALLOWED: the script reads the response (status {status}); readable headers: "
            f"{readable}",
            9,
            styled=("green", "bold"),
        )
    else:
        say(f"BLOCKED: {result.reason}", 9, styled=("red", "bold"))
        if result.browser_reason and result.browser_reason != result.reason:
            say(f"browser: {result.browser_reason}", 9)
    out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
