"""Loading an application from ``module:attribute``, as uvicorn does."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any


class AppLoadError(Exception):
    """APP does not name an importable application."""


def load_app(spec: str) -> Any:
    """Import ``module:attribute`` (the attribute may be dotted: ``pkg.mod:api.app``).

    The current directory is importable, as with ``uvicorn``. A factory is not called: name
    the application object.
    """
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise AppLoadError(f"APP must be 'module:attribute', like 'main:app', not {spec!r}")
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name and module_name.startswith(error.name):
            raise AppLoadError(f"cannot import module {module_name!r}: {error}") from error
        raise
    value: Any = module
    for part in attribute.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            raise AppLoadError(f"module {module_name!r} has no attribute {attribute!r}") from None
    if not callable(value):
        raise AppLoadError(f"{spec} is not an ASGI application: {value!r}")
    return value
