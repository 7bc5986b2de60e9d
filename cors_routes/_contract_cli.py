"""``cors-routes snapshot`` and ``cors-routes diff``: the contract on the command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from typing import Any, TextIO

from ._app_options import add_app_arguments

USAGE_ERROR = 2
COMMANDS = ("snapshot", "diff")


def add_commands(commands: Any) -> None:
    """Register ``snapshot`` and ``diff`` with the options every command that reads an app
    shares (APP, ``--factory``, ``--app-dir``, ``--lifespan``). They load APP themselves:
    ``diff`` compares two files when APP is one."""
    snapshot = commands.add_parser(
        "snapshot",
        help="print the app's CORS contract (JSON): what browsers may do, probed in process",
        description="Probe the app in process (preflights and actual requests, from the "
        "origins its configuration names, those given with --origin, and origins no policy "
        "should allow) and print what a browser lets each origin do on each route and "
        "method, and on the router's 404, 405, slash redirects and mounted apps. The "
        "endpoints run: point it at a test configuration. "
        "cors-routes snapshot main:app > cors-contract.json",
    )
    add_app_arguments(snapshot)
    _shared(snapshot)

    diff = commands.add_parser(
        "diff",
        help="compare a contract with the app (or with another contract), in words",
        description="List every change from CONTRACT to the app's CORS (or to the contract "
        "in the file NEW), classified widened, narrowed or changed. Exit code 0: nothing "
        "widened; 1: something widened (any change, with --strict); 2: usage error, an "
        "unreadable contract, or an app that failed to load or start.",
    )
    diff.add_argument("contract", metavar="CONTRACT", help="the committed contract (JSON)")
    add_app_arguments(diff)
    diff.add_argument("--json", action="store_true", help="print JSON: the counts and every change")
    diff.add_argument("--strict", action="store_true", help="exit 1 on any change")
    _shared(diff)


def _shared(command: argparse.ArgumentParser) -> None:
    command.set_defaults(handler=_run, command_parser=command, loads_app_itself=True)
    command.add_argument(
        "--origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="probe this origin too (repeatable)",
    )
    if not any(action.dest == "lifespan" for action in command._actions):
        command.add_argument(
            "--lifespan",
            action="store_true",
            help="run the app's start-up before the probes (and its shutdown after)",
        )


def _run(app: None, args: argparse.Namespace, out: TextIO) -> int:
    return run(args, args.command_parser)


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ._asgi import StartupFailed
    from ._contract_model import ContractError, parse

    out = sys.stdout
    try:
        old = None
        if args.command == "diff":
            old = parse(_read(args.contract, parser), args.contract)
            if _is_file(args.app):
                new = parse(_read(args.app, parser), args.app)
                return _report(old, new, args, out)
        app = _load(args, parser)
        if app is None:
            return USAGE_ERROR
        from ._contract_model import build, render

        contract = build(app, origins=args.origin, carried=old, lifespan=args.lifespan)
        if old is None:
            out.write(render(contract))
            return 0
        return _report(old, contract, args, out)
    except ContractError as error:
        print(f"cors-routes: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except StartupFailed as error:
        print(
            f"cors-routes: error: the app's start-up failed: {error.message.rstrip()}",
            file=sys.stderr,
        )
        return USAGE_ERROR


def _is_file(value: str) -> bool:
    return value.endswith(".json") or os.path.isfile(value)


def _read(path: str, parser: argparse.ArgumentParser) -> str:
    try:
        with open(path, encoding="utf-8") as file:
            return file.read()
    except OSError as error:
        parser.error(f"cannot read {path}: {error.strerror or error}")
    raise AssertionError("unreachable")  # parser.error exits


def _load(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Any:
    from ._loading import AppLoadError, load_app

    try:
        return load_app(args.app, factory=args.factory, app_dir=getattr(args, "app_dir", None))
    except AppLoadError as error:
        parser.error(str(error))
    except Exception:
        traceback.print_exc()
        doing = "calling the factory" if args.factory else "importing"
        print(f"cors-routes: error: {doing} {args.app} failed (above)", file=sys.stderr)
    return None


def _report(old: dict[str, Any], new: dict[str, Any], args: argparse.Namespace, out: TextIO) -> int:
    from ._contract_diff import KINDS, WIDENED, compare, summary

    changes = compare(old, new)
    failed = any(change.kind == WIDENED for change in changes) or (args.strict and changes)
    if args.json:
        counts = {kind: sum(change.kind == kind for change in changes) for kind in KINDS}
        json.dump({**counts, "changes": [change.as_dict() for change in changes]}, out, indent=2)
        out.write("\n")
        return 1 if failed else 0
    if not changes:
        out.write("no change: browsers may do what the contract says\n")
        return 0
    out.write(summary(changes) + "\n")
    for kind in KINDS:
        chosen = [change for change in changes if change.kind == kind]
        if chosen:
            out.write(f"\n{kind}:\n")
            out.writelines(f"  {change.text}\n" for change in chosen)
    return 1 if failed else 0
