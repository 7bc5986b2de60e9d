"""The suite's warning configuration (pyproject's filterwarnings and tests/warning_guard.py):
a lint finding no test asserts or filters fails that test, and so does any other warning
raised from cors_routes' own code; an asserted or filtered finding does not.

It runs pytest, with this repository's configuration, on a file of probe tests in a temp dir.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBES = """
import warnings

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from cors_routes import CORSPolicy, install
from cors_routes.lint import CORSLintWarning


def request_an_app_that_allows_no_origin():
    app = FastAPI()

    @app.get("/items")
    async def items() -> list[str]:
        return []

    install(app, default=CORSPolicy())  # the lint's allows-no-origin warning
    with TestClient(app) as client:
        client.get("/items", headers={"Origin": "https://app.example"})


def test_unexpected_finding():
    request_an_app_that_allows_no_origin()


def test_asserted_finding():
    with pytest.warns(CORSLintWarning, match=r"warning \\[allows-no-origin\\]"):
        request_an_app_that_allows_no_origin()


@pytest.mark.filterwarnings("ignore::cors_routes.lint.CORSLintWarning")
def test_filtered_finding():
    request_an_app_that_allows_no_origin()


def test_another_warning_from_the_library():
    warnings.warn_explicit(
        "raised in cors_routes", UserWarning, "policy.py", 1, module="cors_routes.policy"
    )


def test_a_warning_from_elsewhere_is_only_reported():
    warnings.warn_explicit("raised elsewhere", UserWarning, "other.py", 1, module="other")
"""


def test_unexpected_lint_findings_and_library_warnings_fail_the_run(tmp_path):
    (tmp_path / "test_probes.py").write_text(PROBES)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "tests")]))
    env.pop("CORS_ROUTES_LINT", None)
    env.pop("PYTEST_ADDOPTS", None)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "test_probes.py",
            "-c",
            str(ROOT / "pyproject.toml"),
            "--rootdir",
            str(tmp_path),
            "-p",
            "warning_guard",  # what tests/conftest.py imports
            "-p",
            "no:cacheprovider",
            "-rA",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    outcomes = {
        (line.split(" ", 1)[0], line.split(" ", 2)[1].removeprefix("test_probes.py::"))
        for line in result.stdout.splitlines()
        if line.startswith(("PASSED ", "FAILED ", "ERROR "))
    }
    assert outcomes == {
        ("PASSED", "test_unexpected_finding"),  # its call passes, then
        ("ERROR", "test_unexpected_finding"),  # its teardown fails, by the guard
        ("PASSED", "test_asserted_finding"),
        ("PASSED", "test_filtered_finding"),
        ("FAILED", "test_another_warning_from_the_library"),
        ("PASSED", "test_a_warning_from_elsewhere_is_only_reported"),
    }, result.stdout + result.stderr
    assert result.returncode == 1
    assert "1 unexpected CORSLintWarning(s)" in result.stdout
    assert "warning [allows-no-origin]" in result.stdout
    assert "UserWarning: raised in cors_routes" in result.stdout
    assert "raised elsewhere" in result.stdout  # in the warnings summary, not an error
