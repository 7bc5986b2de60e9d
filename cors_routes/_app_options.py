"""The command line's options for naming an application, and running a command on it.

Every subcommand that reads an app gets the same options with one call,
:func:`add_app_arguments` (APP, ``--factory``, ``--app-dir``, and ``--lifespan`` unless the
command starts the app itself), and is run by :func:`run_on_app`, which loads the app, runs
its start-up when asked, and turns what goes wrong into the command's usage error (exit 2).
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable
from typing import Any, TextIO

USAGE_ERROR = 2

Handler = Callable[[Any, argparse.Namespace, TextIO], int]
"""A subcommand: ``handler(app, args, out)`` returns the exit code."""


class UsageError(Exception):
    """What the user asked for cannot be done as asked: shown with the command's usage."""


def add_app_arguments(command: argparse.ArgumentParser, *, lifespan: bool = True) -> None:
    """APP, ``--factory`` and ``--app-dir`` (and ``--lifespan`` unless ``lifespan=False``,
    for a command that runs the app's start-up itself)."""
    command.add_argument("app", metavar="APP", help="the application, as module:attribute")
    command.add_argument(
        "--factory",
        action="store_true",
        help="APP is a function returning the application: call it with no arguments",
    )
    command.add_argument(
        "--app-dir",
        metavar="DIR",
        default=None,
        help="import APP from DIR (put first on sys.path), as uvicorn does; default: the "
        "current directory",
    )
    if lifespan:
        command.add_argument(
            "--lifespan",
            action="store_true",
            help="run the app's start-up first (and its shutdown after): for apps that "
            "include routers when they start",
        )


def run_on_app(args: argparse.Namespace, command: argparse.ArgumentParser, handler: Handler) -> int:
    """Load the app ``args`` name, start it with ``--lifespan``, and return
    ``handler(app, args, stdout)``. An app that cannot be loaded is the command's usage
    error; one whose import, factory or start-up fails is shown with its traceback, exit 2."""
    from ._loading import AppLoadError, load_app

    try:
        app = load_app(args.app, factory=args.factory, app_dir=args.app_dir)
    except AppLoadError as error:
        command.error(str(error))
    except Exception:
        traceback.print_exc()
        doing = "calling the factory" if args.factory else "importing"
        print(f"cors-routes: error: {doing} {args.app} failed (above)", file=sys.stderr)
        return USAGE_ERROR
    from ._asgi import StartupFailed

    out = sys.stdout
    try:
        if not getattr(args, "lifespan", False):
            return handler(app, args, out)
        return _with_lifespan(app, lambda: handler(app, args, out))
    except UsageError as error:
        command.error(str(error))
    except StartupFailed as error:
        # Not 1, which says "blocked" or "errors found": nothing was asked of the app.
        _startup_failed(error.message, args)
        return USAGE_ERROR


def _startup_failed(message: str, args: argparse.Namespace) -> None:
    """Say on stderr that the app's start-up failed, with what the app said."""
    if hasattr(args, "lifespan"):
        hint = "without --lifespan, the routes declared before start-up are read"
    else:  # the command runs the start-up itself
        hint = (
            f"{args.command} runs it as a server would: give it the settings or services it needs"
        )
    message = message.rstrip()
    if "\n" in message:  # a traceback (Starlette sends one): shown as it is, then the verdict
        print(message, file=sys.stderr)
        print(f"cors-routes: error: the app's start-up failed (above); {hint}", file=sys.stderr)
    else:
        said = f": {message}" if message else " (it gave no reason)"
        print(f"cors-routes: error: the app's start-up failed{said}; {hint}", file=sys.stderr)


def _with_lifespan(app: Any, run: Callable[[], int]) -> int:
    """``run()`` between the app's start-up and shutdown, for apps that add routes there."""
    import asyncio

    from ._asgi import lifespan

    async def started() -> int:
        async with lifespan(app):
            return int(run())

    return asyncio.run(started())
