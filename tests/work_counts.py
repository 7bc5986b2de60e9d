"""Work counted, never timed, for the tests that bound it: the same on every machine.

Both counters pause the garbage collector: a collection during the count runs finalizers
and weak-reference callbacks of other tests' garbage, which is no work of the code counted
(counting it made such tests fail now and then).
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import cors_routes

PACKAGE = os.path.dirname(os.path.abspath(cors_routes.__file__)) + os.sep


def library_lines(func: Callable[[], Any]) -> int:
    """How many lines of cors_routes' own code ``func()`` executes, however deep the call,
    in the steady state (after one warm-up call)."""
    count = 0

    def count_lines(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        if event == "line":
            count += 1
        return count_lines

    def on_call(frame: FrameType, event: str, arg: Any) -> Any:
        # Called for every new frame; only the library's frames get a line counter.
        return count_lines if frame.f_code.co_filename.startswith(PACKAGE) else None

    func()
    with _collector_paused():
        sys.settrace(on_call)
        try:
            func()
        finally:
            sys.settrace(None)
    return count


def calls_made(func: Callable[[], Any]) -> int:
    """How many functions and builtins ``func()`` calls, anywhere (no warm-up)."""
    count = 0

    def profiler(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal count
        count += event == "call" or event == "c_call"

    with _collector_paused():
        sys.setprofile(profiler)
        try:
            func()
        finally:
            sys.setprofile(None)
    return count


@contextmanager
def _collector_paused() -> Iterator[None]:
    collecting = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
