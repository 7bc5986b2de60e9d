"""The command line's own options and errors: --version, --app-dir, a usage error shown with
the subcommand's usage, and a reader that goes away (``| head``) ending it quietly."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path

import pytest
from _cli import ROOT, environment, run

EXPLAIN = ("--origin", "https://shop.example", "--method", "GET", "--path", "/products")


# -- usage errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "command", "message"),
    [
        (("routes",), "routes", "the following arguments are required: APP"),
        (
            ("explain", "tests.cli_apps:good", *EXPLAIN, "--bogus"),
            "explain",
            "unrecognized arguments: --bogus",
        ),
        (("check", "tests.cli_apps:good", "--strict", "extra"), "check", "unrecognized arguments"),
        (("explain", "tests.cli_apps:good", "--origin", "https://a.example"), "explain", "--path"),
        (
            ("explain", "tests.cli_apps:good", *EXPLAIN[:4], "--path", "products"),
            "explain",
            "argument --path: must start with '/', not 'products'",
        ),
        (("check", "tests.cli_apps:missing"), "check", "has no attribute 'missing'"),
        (("routes", "tests.cli_apps:make_app"), "routes", "pass --factory"),
        (
            ("explain", "tests.cli_apps:good", "--origin", "x", "--method", "TRACE", "--path", "/"),
            "explain",
            "forbidden method",
        ),
    ],
)
def test_a_usage_error_shows_the_subcommands_usage(args, command, message):
    result = run(*args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.startswith(f"usage: cors-routes {command} ")
    last = result.stderr.splitlines()[-1]
    assert last.startswith(f"cors-routes {command}: error: ") and message in last


def test_an_unknown_command_shows_the_commands():
    result = run("frobnicate")
    assert result.returncode == 2
    assert result.stderr.startswith("usage: cors-routes [-h] [--version] COMMAND ...")
    assert "invalid choice: 'frobnicate'" in result.stderr


# -- --version -----------------------------------------------------------------------------------


def test_version_is_the_installed_distributions():
    for script in (False, True):
        result = run("--version", script=script)
        assert result.returncode == 0, result.stderr
        assert result.stdout == f"cors-routes {metadata.version('cors-routes')}\n"


def test_version_of_a_checkout_that_is_not_installed(monkeypatch):
    from cors_routes import __main__

    def not_installed(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", not_installed)
    assert __main__._version() == "(version unknown: not installed)"


# -- --app-dir -----------------------------------------------------------------------------------

ORDERS_SERVICE = """
from fastapi import FastAPI
from pydantic import BaseModel

from cors_routes import CORSPolicy, install


class Order(BaseModel):
    sku: str
    quantity: int = 1


app = FastAPI(openapi_url=None)
install(app, default=CORSPolicy(allow_origins=["https://shop.example"]))


@app.post("/orders")
async def create_order(order: Order) -> Order:
    return order


@app.get("/orders/{order_id}")
async def read_order(order_id: int) -> Order:
    return Order(sku=str(order_id))
"""


@pytest.fixture
def service(tmp_path: Path) -> Path:
    """An app in a directory of its own, importable only from there."""
    directory = tmp_path / "service"
    directory.mkdir()
    (directory / "orders_service_app.py").write_text(textwrap.dedent(ORDERS_SERVICE))
    (tmp_path / "elsewhere").mkdir()
    return directory


def test_app_dir_imports_the_app_from_another_directory(service: Path):
    elsewhere = service.parent / "elsewhere"
    app = "orders_service_app:app"
    missing = run("routes", app, cwd=elsewhere)
    assert missing.returncode == 2
    assert "cannot import module 'orders_service_app' from" in missing.stderr
    assert "pass --app-dir" in missing.stderr
    for directory in (str(service), "../service"):  # absolute, or relative to where it runs
        routes = run("routes", app, "--app-dir", directory, cwd=elsewhere)
        assert routes.returncode == 0, routes.stderr
        assert "/orders/{order_id}" in routes.stdout
        assert "install default" in routes.stdout
    checked = run("check", app, "--app-dir", str(service), cwd=elsewhere)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout == "no problems found (2 CORS routes checked)\n"
    explained = run(
        "explain",
        app,
        "--app-dir",
        str(service),
        "--origin",
        "https://shop.example",
        "--method",
        "GET",
        "--path",
        "/orders/3",
        cwd=elsewhere,
    )
    assert explained.returncode == 0, explained.stdout + explained.stderr
    assert "ALLOWED" in explained.stdout


def test_app_dir_that_does_not_exist_is_a_usage_error(tmp_path: Path):
    result = run("check", "main:app", "--app-dir", str(tmp_path / "nowhere"), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("usage: cors-routes check ")
    assert result.stderr.endswith(f"--app-dir {tmp_path / 'nowhere'}: no such directory\n")


def test_the_current_directory_stays_the_default():
    result = run("routes", "tests.cli_apps:good")  # from the repository's root
    assert result.returncode == 0, result.stderr


# -- a closed pipe -------------------------------------------------------------------------------


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "cors_routes", *args]


@pytest.mark.parametrize(
    "args",
    [
        ("routes", "tests.cli_apps:good"),
        ("routes", "tests.cli_apps:good", "--json"),
        ("check", "tests.cli_apps:bad"),
        ("explain", "tests.cli_apps:good", *EXPLAIN, "--json"),
        ("explain", "tests.cli_apps:good", *EXPLAIN),
        ("--help",),
    ],
)
def test_output_into_a_closed_pipe_ends_quietly(args):
    """The reader is gone before the command writes (``... | true``): every write fails."""
    reader, writer = os.pipe()
    os.close(reader)
    try:
        process = subprocess.run(
            command(*args),
            cwd=ROOT,
            env=environment(),
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(writer)
    assert process.stderr == ""  # no traceback, no "Exception ignored"
    if args == ("--help",):
        # argparse writes --help itself: Python 3.11+ ignores the failed write (exit 0);
        # on 3.10 the write fails when flushed, and the command ends as any other (141).
        assert process.returncode in (0, 141)
    else:
        assert process.returncode == 141


def test_a_reader_that_stops_early_like_head():
    """``cors-routes routes APP --json | head -1``: far more output than a pipe holds, so the
    command is still writing when the reader closes its end."""
    with subprocess.Popen(
        command("routes", "tests.cli_apps:crowded", "--json"),
        cwd=ROOT,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        assert process.stdout.readline() == b"[\n"
        process.stdout.close()
        stderr = process.stderr.read()
        returncode = process.wait(timeout=60)
    assert stderr == b""
    assert returncode == 141
