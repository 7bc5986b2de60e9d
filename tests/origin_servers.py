"""Servers for the origin-store tests: a throwaway PostgreSQL (scripts/postgres.sh) and the
example app under uvicorn in processes of its own, all on loopback, all stopped on exit.

PostgreSQL is skipped when it cannot be started, except under ``CI=true``, where its absence
fails the tests (as Chromium's does): CI installs it (scripts/test.sh).
``CORS_ROUTES_POSTGRES_URL`` names a server to use instead of starting one.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "postgres.sh"
IN_CI = os.environ.get("CI", "").lower() == "true"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # for `examples.tenant_origins`, as uvicorn imports it


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def unavailable(message: str) -> None:
    if IN_CI:
        pytest.fail(f"{message} (CI=true: PostgreSQL is required)", pytrace=False)
    pytest.skip(message)


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server (``postgresql://...``) for this test session."""
    given = os.environ.get("CORS_ROUTES_POSTGRES_URL")
    if given:
        yield given
        return
    try:
        import asyncpg  # noqa: F401
    except ImportError:
        unavailable("the PostgreSQL tests need asyncpg: pip install 'cors-routes[store]'")
    directory = tempfile.mkdtemp(prefix="cors-routes-pg-")
    started = subprocess.run(
        ["bash", str(SCRIPT), "start", directory, str(free_port())],
        capture_output=True,
        text=True,
        timeout=120,
    )
    try:
        if started.returncode != 0:
            unavailable(f"could not start PostgreSQL: {started.stderr.strip()[-500:]}")
        yield started.stdout.strip()
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop", directory], timeout=60, check=False)


_databases = itertools.count()


def new_database(server_url: str) -> str:
    """A new empty database on the server: its SQLAlchemy URL (asyncpg driver)."""
    import asyncpg

    name = f"origins_{os.getpid()}_{next(_databases)}"

    async def create() -> None:
        connection = await asyncpg.connect(server_url)
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    asyncio.run(create())
    base = server_url.rsplit("/", 1)[0]
    return base.replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{name}"


def sqlite_url(directory: Path) -> str:
    return f"sqlite+aiosqlite:///{directory / 'origins.db'}"


@contextlib.contextmanager
def example_servers(database_url: str, count: int, **env: str) -> Iterator[list[str]]:
    """``examples/tenant_origins.py`` under uvicorn in ``count`` processes of their own (the
    workers of one app, or its hosts), started together: their base URLs."""
    ports = [free_port() for _ in range(count)]
    processes: list[subprocess.Popen[str]] = []
    try:
        for port in ports:
            processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "uvicorn",
                        "examples.tenant_origins:app",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                        "--log-level",
                        "warning",
                        "--no-access-log",
                    ],
                    cwd=ROOT,
                    env={
                        **os.environ,
                        "PYTHONPATH": os.pathsep.join(
                            filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])
                        ),
                        "DATABASE_URL": database_url,
                        **env,
                    },
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        for process, base in zip(processes, bases, strict=True):
            _wait_ready(process, base)
        yield bases
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stderr is not None:
                process.stderr.close()


def _wait_ready(process: subprocess.Popen[str], base: str) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            stderr = process.stderr.read() if process.stderr else ""
            raise RuntimeError(f"the example server exited: {stderr}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{base}/api/items", timeout=2).status_code == 200:
                return
        if time.monotonic() > deadline:
            raise RuntimeError("the example server did not start within 60 s")
        time.sleep(0.05)


def wait_until(condition: Callable[[], bool], deadline_seconds: float, what: str) -> float:
    """Poll ``condition`` until it holds; how long it took. Fails at the deadline."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > deadline_seconds:
            pytest.fail(f"{what}: not within {deadline_seconds} s")
        time.sleep(0.02)
    return time.monotonic() - start
