"""HTTP-level run: each app variant under uvicorn on loopback, loaded by ``wrk``.

Two app shapes: the small app, and one with 999 CORS routes before the target (the 1,000th
route), where a request passes every route before it. The servers run side by side on their
own ports for the whole run, and the ``wrk`` runs against them are interleaved (rotating
order) and repeated; a figure is the median. The ``install()`` variant runs when the
installed cors_routes has it.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .apps import (
    ALLOWED,
    CORS_ROUTES,
    INSTALL,
    MIDDLEWARE,
    NONE,
    TARGET,
    VARIANTS,
    install_available,
)

ROOT = Path(__file__).resolve().parent.parent
SMALL, ROUTES_1000 = "small app", "1,000 routes"
_ROUTES_BEFORE = {SMALL: 0, ROUTES_1000: 999}

_PREFLIGHT_SCRIPT = f"""
wrk.method = "OPTIONS"
wrk.headers["Origin"] = "{ALLOWED}"
wrk.headers["Access-Control-Request-Method"] = "GET"
wrk.headers["Access-Control-Request-Headers"] = "x-token"
"""


@dataclass
class Run:
    label: str
    variant: str
    preflight: bool
    rates: list[float] = field(default_factory=list)
    app: str = SMALL

    @property
    def median(self) -> float:
        return statistics.median(self.rates)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def variants() -> tuple[str, ...]:
    return (*VARIANTS, INSTALL) if install_available() else VARIANTS


@contextmanager
def _servers() -> Iterator[dict[tuple[str, str], int]]:
    ports: dict[tuple[str, str], int] = {}
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for app, routes_before in _ROUTES_BEFORE.items():
            for variant in variants():
                port = _free_port()
                env = {**os.environ, "BENCH_VARIANT": variant, "PYTHONPATH": str(ROOT)}
                env["BENCH_ROUTES_BEFORE"] = str(routes_before)
                command = [sys.executable, "-m", "uvicorn", "--factory"]
                command += ["benchmarks.apps:http_app", "--host", "127.0.0.1"]
                command += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
                procs.append(subprocess.Popen(command, env=env, cwd=ROOT))
                ports[app, variant] = port
        for (_, variant), port in ports.items():
            _wait_ready(port, variant)
        yield ports
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _wait_ready(port: int, variant: str) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}{TARGET}", headers={"Origin": ALLOWED}
            )
            with urllib.request.urlopen(request, timeout=2) as response:
                acao = response.headers.get("access-control-allow-origin")
                expected = None if variant == NONE else ALLOWED
                if acao != expected:
                    raise RuntimeError(f"{variant}: ACAO {acao!r}, expected {expected!r}")
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _wrk(port: int, seconds: float, connections: int, script: str | None) -> float:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{round(seconds)}s", "-H", f"Origin: {ALLOWED}"]
    if script is not None:
        command += ["-s", script]
    command.append(f"http://127.0.0.1:{port}{TARGET}")
    done = subprocess.run(command, capture_output=True, text=True)
    output = done.stdout
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{output}{done.stderr}")
    if "Non-2xx" in output:
        raise RuntimeError(f"wrk saw error responses:\n{output}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if match is None:
        raise RuntimeError(f"cannot read wrk's output:\n{output}")
    return float(match[1])


def _install_wrk() -> None:
    """Install wrk with apt when it is missing and we can (root with apt-get)."""
    if shutil.which("wrk") is not None or os.geteuid() != 0 or shutil.which("apt-get") is None:
        return
    print("# wrk is missing: apt-get install -y wrk ...", file=sys.stderr, flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]):
        if subprocess.run(command, env=env, stdout=sys.stderr, stderr=sys.stderr).returncode:
            return


def available() -> str | None:
    """Why the HTTP run cannot happen here, or None (installs wrk first if it can)."""
    _install_wrk()
    if shutil.which("wrk") is None:
        return "wrk is not installed (apt-get install wrk; needs root)"
    try:
        import uvicorn  # noqa: F401
    except ImportError:
        return "uvicorn is not installed"
    return None


def run(rounds: int, seconds: float, connections: int, log: Callable[[str], None]) -> list[Run]:
    runs = []
    for app in _ROUTES_BEFORE:
        runs += [Run(f"{app}, {v}: GET", v, False, app=app) for v in variants()]
        runs += [Run(f"{app}, {v}: preflight", v, True, app=app) for v in variants() if v != NONE]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script_file:
        script_file.write(_PREFLIGHT_SCRIPT)
    try:
        log("starting uvicorn servers...")
        with _servers() as ports:
            for port in ports.values():  # warm up
                _wrk(port, 1, connections, None)
            log(f"wrk: {len(runs)} runs x {rounds} rounds x {seconds:g} s...")
            for round_index in range(rounds):
                shift = round_index % len(runs)
                for item in runs[shift:] + runs[:shift]:
                    script = script_file.name if item.preflight else None
                    port = ports[item.app, item.variant]
                    item.rates.append(_wrk(port, seconds, connections, script))
    finally:
        os.unlink(script_file.name)
    return runs


def rate(runs: list[Run], variant: str, preflight: bool, app: str = SMALL) -> Run:
    return next(
        r for r in runs if r.variant == variant and r.preflight == preflight and r.app == app
    )


__all__ = [
    "CORS_ROUTES",
    "INSTALL",
    "MIDDLEWARE",
    "NONE",
    "ROUTES_1000",
    "SMALL",
    "Run",
    "available",
    "rate",
    "run",
    "variants",
]
