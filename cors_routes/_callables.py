"""Telling async callables apart, for user-supplied predicates and handlers."""

from __future__ import annotations

import functools
import inspect
from typing import Any


def is_async_callable(func: Any) -> bool:
    while isinstance(func, functools.partial):
        func = func.func
    # A callable object's __call__ may be the coroutine function.
    return inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(
        getattr(func, "__call__", None)  # noqa: B004
    )
