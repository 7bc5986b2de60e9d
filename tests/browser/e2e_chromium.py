"""Headless Chromium and loopback uvicorn servers for every real-server, real-browser test.

Used by the Chromium suite (this folder), the demo's test and the hardening tests (WebSocket,
slash redirects, soak). The ``pythonpath`` setting of pytest in pyproject.toml puts this
folder on ``sys.path``, so any test module can ``from e2e_chromium import ...``.

Chromium is Debian's package at /usr/bin/chromium (``CORS_ROUTES_CHROMIUM`` overrides the
path), driven by the ``playwright`` Python package; ``playwright install`` is never needed.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM = os.environ.get("CORS_ROUTES_CHROMIUM", "/usr/bin/chromium")

# ../shared/NOTES.md section 3: without the networking flags Chromium floods refused
# connections; the resolver rule maps every *.test host name to loopback, so subdomain
# patterns are checked with real host names and nothing leaves the machine.
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP *.test 127.0.0.1",
]

INSTALL_HINT = (
    "install it with `sudo apt-get update && sudo apt-get install -y chromium` (Debian/Ubuntu; "
    "`bash scripts/test.sh` does it when run as root) and `pip install -e '.[dev]'` for playwright"
)


def require_chromium() -> None:
    """Skip (fail when CI=true) unless Chromium and playwright are available."""
    problems = []
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        problems.append(f"Chromium not found at {CHROMIUM}")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("the playwright package is not installed")
    if problems:
        message = f"browser tests need Chromium: {'; '.join(problems)}: {INSTALL_HINT}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI=true: a missing browser is a failure)", pytrace=False)
        pytest.skip(message)


class _Shared:
    """One Playwright driver and browser per process: the sync API cannot nest."""

    users = 0
    playwright: object = None
    browser: object = None


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    """A headless Chromium (a fresh profile), closed when its last user is done.

    Callers open pages with ``browser.new_page()`` or ``browser.new_context()``: each gets its
    own cookies and caches.
    """
    require_chromium()
    if _Shared.users == 0:
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        try:
            _Shared.browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS
            )
        except BaseException:
            playwright.stop()
            raise
        _Shared.playwright = playwright
    _Shared.users += 1
    try:
        yield _Shared.browser
    finally:
        _Shared.users -= 1
        if _Shared.users == 0:
            try:
                _Shared.browser.close()
            finally:
                _Shared.playwright.stop()
                _Shared.browser = _Shared.playwright = None


@contextlib.contextmanager
def chromium_page() -> Iterator[Any]:
    """A page of the shared Chromium in a fresh context (its own cookies and caches)."""
    browser: Any
    with chromium() as browser:
        context = browser.new_context()
        try:
            yield context.new_page()
        finally:
            context.close()


def loopback_socket(port: int = 0) -> socket.socket:
    """A TCP socket bound on 127.0.0.1 (a free port when 0); uvicorn starts listening on it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


def free_port() -> int:
    """A port that is free on 127.0.0.1 now (for a server started soon after)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serving(apps: dict[str, tuple[object, socket.socket]], ws: str = "auto") -> Iterator[None]:
    """Run each ASGI app under uvicorn in a thread on its socket; stop them all on exit.

    ``ws`` is uvicorn's WebSocket implementation.
    """
    import uvicorn

    servers = []
    try:
        for name, (app, sock) in apps.items():
            config = uvicorn.Config(
                app,
                log_config=None,
                log_level="warning",
                access_log=False,
                lifespan="off",
                ws=ws,
            )
            server = uvicorn.Server(config)
            thread = threading.Thread(
                target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{name}", daemon=True
            )
            thread.start()
            servers.append((server, thread))
        deadline = time.monotonic() + 15
        while not all(server.started for server, _ in servers):
            if time.monotonic() > deadline or not all(t.is_alive() for _, t in servers):
                raise RuntimeError("a test server did not start")
            time.sleep(0.02)
        yield
    finally:
        for server, _ in servers:
            server.should_exit = True
        for _, thread in servers:
            thread.join(timeout=10)
        for _, sock in apps.values():
            sock.close()


@contextlib.contextmanager
def serve(app: object, port: int = 0) -> Iterator[int]:
    """Run one ASGI app (HTTP and WebSocket) on 127.0.0.1 (a free port when 0); yield its port."""
    sock = loopback_socket(port)
    with serving({"app": (app, sock)}, ws="websockets-sansio"):
        yield int(sock.getsockname()[1])
