"""Loading an application from ``module:attribute``, as uvicorn does."""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from typing import Any

from ._inventory import unwrap


class AppLoadError(Exception):
    """APP does not name an importable application."""


def load_app(spec: str, *, factory: bool = False, app_dir: str | None = None) -> Any:
    """Import ``module:attribute`` (the attribute may be dotted: ``pkg.mod:api.app``).

    The current directory is importable, as with ``uvicorn``; with ``app_dir``, that directory
    is put first on ``sys.path`` instead (uvicorn's ``--app-dir``). With ``factory``, the attribute
    is a callable that builds the application: it is called with no arguments (``--factory``,
    as for uvicorn). The application must hold routes (a Starlette or FastAPI app or router,
    possibly wrapped in middleware): the diagnostics read them. A function that cannot take
    (scope, receive, send) is reported as a likely factory.
    """
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise AppLoadError(f"APP must be 'module:attribute', like 'main:app', not {spec!r}")
    _make_importable(app_dir)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name and module_name.startswith(error.name):
            where = (
                f"from --app-dir {app_dir}"
                if app_dir is not None
                else f"from {os.getcwd()} (run where the app is, or pass --app-dir)"
            )
            raise AppLoadError(f"cannot import module {module_name!r} {where}: {error}") from error
        raise
    value: Any = module
    for part in attribute.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            raise AppLoadError(f"module {module_name!r} has no attribute {attribute!r}") from None
    if factory:
        value = _call_factory(spec, value)
    where = f"the factory {spec} returned {_describe(value)}, which" if factory else spec
    if not callable(value):
        detail = "" if factory else f": {_describe(value)}"
        raise AppLoadError(f"{where} is not an ASGI application{detail}")
    if has_routes(value):
        return value
    if not _takes(value, 3):
        hint = "" if factory else "; if it builds the application, pass --factory"
        detail = "" if factory else f" ({_describe(value)})"
        raise AppLoadError(
            f"{where} is not an ASGI application{detail}: it cannot be called with "
            f"(scope, receive, send){hint}"
        )
    raise AppLoadError(
        f"{where} is an ASGI callable without routes: the diagnostics read an application's "
        "routes, so APP must be a Starlette or FastAPI application or router (or one wrapped "
        "in middleware)"
    )


def _make_importable(app_dir: str | None) -> None:
    if app_dir is None:
        if os.getcwd() not in sys.path and "" not in sys.path:
            sys.path.insert(0, os.getcwd())
        return
    path = os.path.abspath(app_dir)
    if not os.path.isdir(path):
        raise AppLoadError(f"--app-dir {app_dir}: no such directory")
    # First, as uvicorn does, so the app's own modules win over installed ones of that name.
    sys.path.insert(0, path)


def has_routes(app: Any) -> bool:
    """Whether ``app`` (or the app inside its middleware) holds routes the diagnostics read:
    a Starlette or FastAPI application, a router, or a ``Mount``."""
    return hasattr(unwrap(app)[1], "routes")


def _call_factory(spec: str, value: Any) -> Any:
    if has_routes(value):
        raise AppLoadError(
            f"--factory: {spec} is an application ({type(value).__name__}), not a function "
            "that builds one: drop --factory"
        )
    if not callable(value):
        raise AppLoadError(f"--factory: {spec} is not callable: {_describe(value)}")
    if not _takes(value, 0):
        raise AppLoadError(
            f"--factory: {spec} cannot be called without arguments ({_describe(value)}); "
            "name a function that builds the application, or drop --factory if it is the "
            "application"
        )
    return value()  # what the factory raises is the factory's error, shown as such


def _takes(function: Any, count: int) -> bool:
    """Whether ``function`` accepts ``count`` positional arguments (True when unknown)."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return True
    try:
        signature.bind(*range(count))
    except TypeError:
        return False
    return True


def _describe(value: Any) -> str:
    if inspect.isroutine(value) or inspect.isclass(value):
        try:
            return f"{type(value).__name__} {value.__qualname__}{inspect.signature(value)}"
        except (TypeError, ValueError, AttributeError):
            pass
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
