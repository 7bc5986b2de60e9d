"""``cors-routes routes APP``: every route and its effective policy, as a table or JSON."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys

from _cli import ROOT, run


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
        "*",
        "GET",
        "(safelisted)",
        "no",
        "600",
    ]
    assert table["/orders"][3:] == ["https://shop.example", "POST", "authorization", "yes", "600"]
    # included router: prefixed path, the router's route class and its default policy
    assert table["/partner/stock"][2:4] == ["PartnerRoute", "https://partner.example"]
    assert table["/partner/stock"][-1] == "3600"
    assert table["/partner/stock/debug"][3] == "opted out"
    assert table["/health"][3] == "no CORS"
    # mounted sub-app and the route inside it
    assert table["/legacy"][2] == "Mount (Starlette)"
    assert table["/legacy/items"][3] == "https://shop.example"
    assert "12 routes, 5 with CORS" in result.stdout


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
    assert entries["/health"]["cors"] is None
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
        ("routes",),
        ("frobnicate",),
    ):
        result = run(*args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert "error" in result.stderr
