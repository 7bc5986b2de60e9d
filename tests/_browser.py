"""Real-server, real-browser helpers shared by the hardening tests (issue 6).

A uvicorn server in a thread on a free loopback port, and a headless Chromium (the Debian
package, driven by Playwright's Python package; never ``playwright install``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve(app: Any, port: int | None = None) -> Iterator[int]:
    """Run ``app`` with uvicorn on 127.0.0.1 in a thread; yield its port."""
    import uvicorn

    port = port or free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ws="websockets-sansio",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)


@contextlib.contextmanager
def chromium_page() -> Iterator[Any]:
    """A fresh headless Chromium page; skips the test when no browser is available."""
    # In CI (CI=true) a missing browser fails the test instead of skipping it.
    missing = pytest.fail if os.environ.get("CI") == "true" else pytest.skip
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        missing(f"no Chromium at {CHROMIUM}")
    try:
        from playwright import sync_api
    except ImportError:
        missing("the playwright package is not installed")
    with tempfile.TemporaryDirectory() as profile, sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        try:
            yield context.new_page()
        finally:
            context.close()
