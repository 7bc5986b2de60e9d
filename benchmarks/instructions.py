"""``python -m benchmarks --instructions``: instructions per request, counted by valgrind.

Wall-clock ratios on a noisy 2-core machine cannot check a 1 % target; instruction counts
can. Each (app, variant) is one process under cachegrind (``benchmarks.bench_case``); per
request kind it forks one child per N, and the per-request cost is
``(I refs(N2) - I refs(N1)) / (N2 - N1)``, which cancels start-up, import and build.

The children run a snapshot of the code taken when the run starts (the working tree, or a
git revision with ``--code REV``), byte-compiled once: edits made meanwhile cannot leak
into half of a pair. Jobs run in parallel, one per core (counts do not depend on load).
"""

from __future__ import annotations

import compileall
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import instruction_cases as cases
from .apps import INSTALL

ROOT = Path(__file__).resolve().parent.parent
_I_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")

Log = Callable[[str], None]


@dataclass
class Measured:
    """One (app, variant, request kind): instructions per request, and the answer seen."""

    per_request: float
    ns: tuple[int, int]
    status: int
    acao: str | None


@dataclass
class Results:
    cells: dict[tuple[str, str, str], Measured]
    failed: dict[tuple[str, str], str]  # (app, variant) -> why
    install: str | None  # None if install() was measured, else why not
    code: str  # which code was measured
    valgrind: str
    planned: frozenset[tuple[str, str, str]]  # what was asked for, measured or not
    cpu_seconds: float  # used by the valgrind jobs
    workers: int
    load: tuple[float, float]  # 1-minute load average when the jobs started, and ended

    def get(self, app: str, variant: str, kind: str) -> Measured | None:
        return self.cells.get((app, variant, kind))


def ensure_valgrind(log: Log) -> str | None:
    """None when valgrind can run; otherwise why the instruction mode is skipped."""
    if shutil.which("valgrind") is None:
        if os.geteuid() != 0 or shutil.which("apt-get") is None:
            return "valgrind is not installed, and installing it needs root and apt-get"
        log("valgrind is missing: apt-get install -y valgrind ...")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (
            ["apt-get", "update", "-qq"],
            ["apt-get", "install", "-y", "-qq", "valgrind"],
        ):
            if subprocess.run(command, env=env, stdout=sys.stderr, stderr=sys.stderr).returncode:
                return f"valgrind is not installed and `{' '.join(command)}` failed"
        if shutil.which("valgrind") is None:
            return "valgrind is not installed (apt-get ran, but there is no valgrind)"
    version = subprocess.run(["valgrind", "--version"], capture_output=True, text=True)
    if version.returncode != 0:
        return f"valgrind does not run: {version.stderr.strip()}"
    return None


def _git(*args: str) -> str:
    done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else ""


def snapshot(code: str, into: Path) -> str:
    """Copy the package (working tree, or git revision ``code``) and benchmarks/ into
    ``into``, byte-compiled; returns a description of what was copied."""
    if code == "worktree":
        shutil.copytree(
            ROOT / "cors_routes", into / "cors_routes", ignore=shutil.ignore_patterns("__pycache__")
        )
        head = _git("rev-parse", "--short", "HEAD") or "unknown"
        dirty = _git("status", "--porcelain", "--", "cors_routes")
        described = f"working tree at {head}" + (" + uncommitted changes" if dirty else "")
    else:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", code, "cors_routes"], capture_output=True
        )
        if archive.returncode != 0:
            raise SystemExit(f"--code {code}: {archive.stderr.decode().strip()}")
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(into, filter="data")
        described = f"git {code} ({_git('rev-parse', '--short', code)})"
    shutil.copytree(
        ROOT / "benchmarks", into / "benchmarks", ignore=shutil.ignore_patterns("__pycache__")
    )
    digest = hashlib.sha256()
    for path in sorted((into / "cors_routes").rglob("*.py")):
        digest.update(path.relative_to(into).as_posix().encode() + b"\0" + path.read_bytes())
    compileall.compile_dir(str(into), quiet=1)
    return f"{described}, sources sha256 {digest.hexdigest()[:12]}"


def _child_env(snapshot_dir: Path) -> dict[str, str]:
    # A fixed, minimal environment: its strings are copied into the process's heap, and a
    # different heap layout moves the counts by ~0.1 %. PYTHONPATH puts the snapshot before
    # the editable install's finder; a fixed hash seed makes every process hash alike.
    env = {name: os.environ[name] for name in ("PATH", "HOME") if name in os.environ}
    env.update(
        LANG="C.UTF-8",
        PYTHONPATH=str(snapshot_dir),
        PYTHONHASHSEED="0",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def _is_stale(path: Path, owner: Path) -> bool:
    try:
        os.kill(int(owner.read_text()), 0)
    except FileNotFoundError:
        # Just created by a run that has not written its pid yet, or left half-made.
        try:
            return time.time() - path.stat().st_mtime > 60
        except OSError:
            return False
    except (ProcessLookupError, ValueError):
        return True
    except OSError:
        return False  # alive, owned by someone we may not signal
    return False


@contextmanager
def _snapshot_dir() -> Iterator[Path]:
    """A directory for the code snapshot, at the same path from run to run when runs do not
    overlap: the path ends up in the processes' strings, and a random one moves the counts
    by ~0.1 %. A directory left by a run that died is taken over."""
    base = Path(tempfile.gettempdir())
    for index in range(100):
        path = base / f"cors-routes-bench-{index}"
        owner = path / ".owner-pid"
        try:
            path.mkdir()
        except FileExistsError:
            if not _is_stale(path, owner):
                continue  # another run is using it
            shutil.rmtree(path, ignore_errors=True)
            try:
                path.mkdir()
            except FileExistsError:
                continue
        owner.write_text(str(os.getpid()))
        try:
            yield path
        finally:
            shutil.rmtree(path, ignore_errors=True)
        return
    raise SystemExit(f"no free snapshot directory under {base}/cors-routes-bench-*")


def _has_install(snapshot_dir: Path) -> bool:
    done = subprocess.run(
        [sys.executable, "-c", "import cors_routes; print(hasattr(cors_routes, 'install'))"],
        env=_child_env(snapshot_dir),
        cwd=snapshot_dir,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip() == "True"


def _no_aslr_prefix() -> list[str]:
    # Address-space randomisation moves a few thousand instructions between runs (object
    # addresses feed some hashes); turn it off where the container lets us.
    if shutil.which("setarch") is None:
        return []
    probe = subprocess.run(["setarch", "-R", "true"], capture_output=True)
    return ["setarch", "-R"] if probe.returncode == 0 else []
    return []


def _run_job(
    app: str,
    variant: str,
    kinds: tuple[str, ...],
    quick: bool,
    snapshot_dir: Path,
    prefix: list[str],
) -> tuple[dict[tuple[str, str, str], Measured], str | None, float]:
    """The job's measurements, or why it failed; and the CPU seconds it used."""
    spec = cases.APPS[app]
    ns = spec.quick_ns if quick else spec.ns
    warmup = min(spec.warmup, 10) if quick else spec.warmup
    job = {"app": app, "variant": variant, "kinds": list(kinds), "ns": list(ns), "warmup": warmup}
    with tempfile.TemporaryDirectory(prefix="bench-vg-") as logs:
        command = [
            *prefix,
            "valgrind",
            "--tool=cachegrind",
            "--cache-sim=no",
            "--cachegrind-out-file=/dev/null",
            f"--log-file={logs}/vg.%p",
            sys.executable,
            "-m",
            "benchmarks.bench_case",
            json.dumps(job),
        ]
        code, stdout, stderr, cpu = _run_timed(command, snapshot_dir, Path(logs))
        lines = stdout.strip().splitlines()
        if code != 0 or not lines:
            tail = (stderr.strip().splitlines() or ["no output"])[-1]
            return {}, f"exit {code}: {tail}", cpu
        report = json.loads(lines[-1])
        counts: dict[tuple[str, int], int] = {}
        for child in report["children"]:
            text = Path(logs, f"vg.{child['pid']}").read_text()
            found = _I_REFS.search(text)
            if found is None:
                return {}, f"no I refs in valgrind's log of {child['kind']} N={child['n']}", cpu
            counts[child["kind"], child["n"]] = int(found[1].replace(",", ""))
    measured = {}
    for kind in kinds:
        status, acao = report["answers"][kind]
        per_request = (counts[kind, ns[1]] - counts[kind, ns[0]]) / (ns[1] - ns[0])
        measured[app, variant, kind] = Measured(per_request, ns, status, acao)
    return measured, None, cpu


def _run_timed(command: list[str], cwd: Path, logs: Path) -> tuple[int, str, str, float]:
    """Run ``command``: (exit code, stdout, stderr, CPU seconds of it and its children).

    The CPU time says what the run would take on an idle machine, whatever else is running.
    """
    with open(logs / "stdout", "w+") as stdout, open(logs / "stderr", "w+") as stderr:
        process = subprocess.Popen(
            command, env=_child_env(cwd), cwd=cwd, stdout=stdout, stderr=stderr
        )
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        return process.returncode, stdout.read(), stderr.read(), usage.ru_utime + usage.ru_stime


def _weight(app: str, kinds: tuple[str, ...]) -> float:
    """A rough cost, to start the longest jobs first and finish both cores together."""
    routes = cases.APPS[app].routes
    return 1 + routes / 400 + len(kinds) * (1 + routes / 2000)


def run(
    groups: list[str], variants: tuple[str, ...], quick: bool, code: str, log: Log
) -> Results | str:
    """Measure; or the reason the instruction mode is skipped."""
    unavailable = ensure_valgrind(log)
    if unavailable is not None:
        return unavailable
    valgrind = subprocess.run(["valgrind", "--version"], capture_output=True, text=True)
    planned = frozenset(
        (app, variant, kind)
        for (app, variant), kinds in cases.plan(groups, variants).items()
        for kind in kinds
    )
    with _snapshot_dir() as snapshot_dir:
        described = snapshot(code, snapshot_dir)
        log(f"measuring {described}")
        install: str | None = None
        if INSTALL in variants and not _has_install(snapshot_dir):
            install = "install() not available"
            variants = tuple(v for v in variants if v != INSTALL)
        jobs = sorted(cases.plan(groups, variants).items(), key=lambda j: -_weight(j[0][0], j[1]))
        prefix = _no_aslr_prefix()
        cells: dict[tuple[str, str, str], Measured] = {}
        failed: dict[tuple[str, str], str] = {}
        workers = max(1, os.cpu_count() or 1)
        log(f"{len(jobs)} valgrind jobs, {workers} at a time")
        started = time.monotonic()
        load_before = os.getloadavg()[0]
        cpu = 0.0
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = {
                pool.submit(_run_job, app, variant, kinds, quick, snapshot_dir, prefix): (
                    app,
                    variant,
                )
                for (app, variant), kinds in jobs
            }
            for done, future in enumerate(as_completed(futures), 1):
                key = futures[future]
                measured, error, job_cpu = future.result()
                cpu += job_cpu
                cells.update(measured)
                if error is not None:
                    failed[key] = error
                state = "FAILED: " + error if error else "done"
                elapsed = time.monotonic() - started
                log(
                    f"[{done}/{len(jobs)}] {key[0]} / {key[1]} {state} "
                    f"(CPU {job_cpu:.0f} s; {elapsed:.0f} s since start)"
                )
        load = (load_before, os.getloadavg()[0])
    if install is None and INSTALL in variants:
        errors = {why for (_, variant), why in failed.items() if variant == INSTALL}
        if errors and not any(variant == INSTALL for _, variant, _ in cells):
            install = f"install() failed: {sorted(errors)[0]}"
    return Results(
        cells, failed, install, described, valgrind.stdout.strip(), planned, cpu, workers, load
    )
