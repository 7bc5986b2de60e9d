"""``cors-routes routes APP``: every route and its effective policy, as a table or JSON."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys

from _cli import ROOT, run
from cli_apps import MANY


def rows(stdout: str) -> dict[str, list[str]]:
    """Table rows by path, split on the column gaps (two spaces or more)."""
    import re

    return {
        cells[0]: cells
        for line in stdout.splitlines()[1:]
        if line.strip() and not line.startswith(" ")
        for cells in [re.split(r"\s{2,}", line.strip())]
    }


def test_table_lists_every_route_with_its_policy():
    result = run("routes", "tests.cli_apps:good")
    assert result.returncode == 0, result.stderr
    table = rows(result.stdout)
    assert table["/products"] == [
        "/products",
        "GET",
        "CORSRoute",
        "@cors",
        "*",
        "GET",
        "(safelisted)",
        "no",
        "600",
    ]
    assert table["/orders"][4:] == ["https://shop.example", "POST", "authorization", "yes", "600"]
    # included router: prefixed path, the router's route class and its default policy
    assert table["/partner/stock"][2:5] == [
        "PartnerRoute",
        "route-class default",
        "https://partner.example",
    ]
    assert table["/partner/stock"][-1] == "3600"
    assert table["/partner/stock/debug"][3:5] == ["no_cors", "opted out"]
    assert table["/health"][3:5] == ["no_cors", "opted out"]
    # mounted sub-app and the route inside it
    assert table["/legacy"][2] == "Mount (Starlette)"
    assert table["/legacy/items"][4] == "https://shop.example"
    assert "8 routes, 5 with CORS" in result.stdout


def test_columns_are_aligned_and_plain_when_not_a_terminal():
    result = run("routes", "tests.cli_apps:good")
    lines = [line for line in result.stdout.splitlines() if line.startswith("/")]
    header = result.stdout.splitlines()[0]
    assert "\x1b[" not in result.stdout
    column = header.index("ROUTE CLASS")
    assert all(line[column - 2 : column] == "  " for line in lines)


def test_colour_only_on_a_terminal():
    leader, follower = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "cors_routes", "routes", "tests.cli_apps:good"],
        cwd=ROOT,
        env=env,
        stdout=follower,
        stderr=subprocess.DEVNULL,
    )
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    process.wait(timeout=60)
    os.close(leader)
    assert process.returncode == 0
    assert b"\x1b[1m" in output  # the bold header


def test_json():
    result = run("routes", "tests.cli_apps:good", "--json")
    assert result.returncode == 0, result.stderr
    entries = {entry["path"]: entry for entry in json.loads(result.stdout)}
    assert entries["/orders"]["cors"] == {
        "allowOrigins": ["https://shop.example"],
        "allowMethods": ["POST"],
        "allowHeaders": ["authorization"],
        "allowCredentials": True,
        "exposeHeaders": ["x-order-id"],
        "maxAge": 600,
    }
    assert entries["/partner/stock/debug"]["cors"] == "opted out"
    assert entries["/health"]["cors"] == "opted out"
    assert entries["/legacy"]["kind"] == "mount"


def test_installed_script():
    result = run("routes", "tests.cli_apps:good", script=True)
    assert result.returncode == 0, result.stderr
    assert "/partner/stock" in result.stdout


def test_usage_errors_exit_2():
    for args in (
        ("routes", "tests.cli_apps"),  # no attribute
        ("routes", "tests.cli_apps:missing"),
        ("routes", "tests.no_such_module:app"),
        ("routes", "tests.cli_apps:not_an_app"),
        ("check", "tests.cli_apps:not_an_app"),
        (
            "explain",
            "tests.cli_apps:not_an_app",
            "--origin",
            "https://a.example",
            "--method",
            "GET",
            "--path",
            "/",
        ),
        ("routes",),
        ("frobnicate",),
    ):
        result = run(*args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert "error" in result.stderr


def test_factory_is_called_with_no_arguments():
    for command in (("routes",), ("check",)):
        result = run(*command, "tests.cli_apps:make_app", "--factory")
        assert result.returncode == 0, result.stderr
    assert "/built" in run("routes", "tests.cli_apps:make_app", "--factory").stdout
    explained = run(
        "explain",
        "tests.cli_apps:make_app",
        "--factory",
        "--origin",
        "https://shop.example",
        "--method",
        "GET",
        "--path",
        "/built",
    )
    assert explained.returncode == 0, explained.stdout + explained.stderr
    assert "ALLOWED" in explained.stdout


def usage_error(*args: str) -> str:
    result = run(*args)
    assert result.returncode == 2, (args, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    return result.stderr.splitlines()[-1]


def test_objects_that_are_not_apps_are_usage_errors():
    # a factory without --factory: named as such
    assert usage_error("routes", "tests.cli_apps:make_app") == (
        "cors-routes routes: error: tests.cli_apps:make_app is not an ASGI application (function "
        "make_app() -> 'FastAPI'): it cannot be called with (scope, receive, send); if it "
        "builds the application, pass --factory"
    )
    assert usage_error("routes", "tests.cli_apps:not_an_app") == (
        "cors-routes routes: error: tests.cli_apps:not_an_app is not an ASGI application: 42"
    )
    # an ASGI callable is an app, but one without routes gives the diagnostics nothing to read
    for command in ("routes", "check"):
        assert "tests.cli_apps:bare_asgi is an ASGI callable without routes" in usage_error(
            command, "tests.cli_apps:bare_asgi"
        )
    # --factory on an app, on a function that needs arguments, on one returning a non-app
    assert (
        "tests.cli_apps:good is an application (FastAPI), not a function that builds one: "
        "drop --factory" in usage_error("routes", "tests.cli_apps:good", "--factory")
    )
    assert "make_app_with cannot be called without arguments" in usage_error(
        "check", "tests.cli_apps:make_app_with", "--factory"
    )
    assert usage_error("routes", "tests.cli_apps:make_nothing", "--factory") == (
        "cors-routes routes: error: the factory tests.cli_apps:make_nothing returned 42, which "
        "is not an ASGI application"
    )


def test_a_factory_that_fails_shows_its_traceback():
    result = run("routes", "tests.cli_apps:broken_factory", "--factory")
    assert result.returncode == 2
    assert "RuntimeError: the settings are missing" in result.stderr
    assert result.stderr.endswith(
        "cors-routes: error: calling the factory tests.cli_apps:broken_factory failed (above)\n"
    )


def test_long_origin_lists_fold_to_the_terminal_width():
    result = run("routes", "tests.cli_apps:many_origins", columns=160)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    table_lines = lines[: lines.index("")]
    assert max(len(line) for line in table_lines) <= 160
    header = table_lines[0]
    column = header.index("CORS ORIGINS")
    start = next(i for i, line in enumerate(table_lines) if line.startswith("/tenants"))
    end = next(i for i, line in enumerate(table_lines) if line.startswith("/one"))
    first, *continued = table_lines[start:end]
    assert first.startswith("/tenants ")
    assert len(continued) >= 2
    # continuation lines hold only the rest of the list, starting in its column
    assert all(line[:column].strip() == "" and line[column] != " " for line in continued)
    pieces = [first[column:].split("  ")[0], *(line[column:] for line in continued)]
    assert all(piece.endswith(",") for piece in pieces[:-1])
    assert max(piece.count(", ") for piece in pieces) >= 1  # as many per line as fit
    assert " ".join(pieces) == ", ".join(MANY)
    # the other columns stay aligned on the row's first line
    assert first[header.index("ALLOW METHODS") :].split() == ["GET", "(safelisted)", "yes", "600"]
    assert rows(result.stdout)["/one"][3:] == [
        "@cors",
        "https://shop.example",
        "GET",
        "(safelisted)",
        "no",
        "600",
    ]


def test_no_folding_when_the_width_is_unknown():
    result = run("routes", "tests.cli_apps:many_origins")  # a pipe, COLUMNS unset
    assert result.returncode == 0, result.stderr
    assert rows(result.stdout)["/tenants"][4] == ", ".join(MANY)


def test_the_source_column_says_where_each_policy_comes_from_under_install():
    result = run("routes", "tests.cli_apps:installed")
    assert result.returncode == 0, result.stderr
    table = rows(result.stdout)
    assert table["/items"][3:5] == ["install default", "https://app.example"]
    # the default's unset allow_methods is CORSMiddleware's GET, whatever else a route serves
    assert table["/items/{item_id}"][1] == "DELETE, GET"
    assert table["/items/{item_id}"][5] == "GET"
    assert table["/library-orders"][5] == "(none)"  # POST only: no preflight is granted
    assert table["/special"][3:5] == ["@cors", "https://shop.example"]
    assert table["/internal"][3:5] == ["no_cors", "opted out"]
    assert table["/docs"][3] == "install default"
    entries = {
        e["path"]: e for e in json.loads(run("routes", "tests.cli_apps:installed", "--json").stdout)
    }
    assert entries["/items"]["source"] == "install default"
    assert entries["/items/{item_id}"]["cors"]["allowMethods"] == ["GET"]
    assert entries["/internal"]["source"] == "no_cors"


def test_lifespan_runs_the_start_up_that_includes_routers():
    assert "/started" not in run("routes", "tests.cli_apps:starting").stdout
    result = run("routes", "tests.cli_apps:starting", "--lifespan")
    assert result.returncode == 0, result.stderr
    assert rows(result.stdout)["/started"][3] == "install default"
    checked = run("check", "tests.cli_apps:starting", "--lifespan")
    assert checked.returncode == 0 and "(1 CORS routes checked)" in checked.stdout
