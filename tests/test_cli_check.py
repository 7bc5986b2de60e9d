"""``cors-routes check APP``: the lint from the command line; exit 1 on errors."""

from __future__ import annotations

import json

from _cli import run


def test_clean_app_exits_0():
    result = run("check", "tests.cli_apps:good")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "no problems found (5 CORS routes checked)\n"


def test_errors_exit_1_and_name_the_route_and_the_fix():
    result = run("check", "tests.cli_apps:bad")
    assert result.returncode == 1
    out = " ".join(result.stdout.split())  # undo the wrapping
    assert "error cors-middleware app Starlette's CORSMiddleware is installed" in out
    assert "error ignored-policy GET /plain plain_endpoint has a @cors policy" in out
    # one finding for the two routes behind the same catch-all
    assert (
        "error shadowed-preflight GET /shadowed and GET /me its preflights never reach "
        "cors_routes: OPTIONS /{path:path} (options_everything) serves OPTIONS there"
    ) in out
    assert out.count("shadowed-preflight") == 1
    assert "error credentials-any-origin GET /me" in out
    assert out.endswith("4 errors, 0 warnings")


def test_warnings_exit_0_unless_strict():
    result = run("check", "tests.cli_apps:suspicious")
    assert result.returncode == 0
    out = " ".join(result.stdout.split())
    assert "warning slash-redirect GET /things/" in out
    assert "warning regex-unescaped-dot GET /regex" in out
    assert "warning regex-allows-null GET /null" in out
    assert run("check", "tests.cli_apps:suspicious", "--strict").returncode == 1


def test_json_and_script():
    result = run("check", "tests.cli_apps:bad", "--json", script=True)
    assert result.returncode == 1
    findings = json.loads(result.stdout)
    assert {f["code"] for f in findings} == {
        "cors-middleware",
        "ignored-policy",
        "shadowed-preflight",
        "credentials-any-origin",
    }
    assert all(
        set(f) == {"severity", "code", "where", "routes", "policy", "message"} for f in findings
    )
    assert all(f["policy"] is None for f in findings)  # none is about install()'s default
    (shadowed,) = [f for f in findings if f["code"] == "shadowed-preflight"]
    assert shadowed["routes"] == ["GET /shadowed", "GET /me"]
    assert shadowed["where"] == "GET /shadowed"
    (plain,) = [f for f in findings if f["code"] == "ignored-policy"]
    assert plain["routes"] == [plain["where"]] == ["GET /plain"]


def test_identical_findings_on_many_routes_are_one_finding_listing_them():
    result = run("check", "tests.cli_apps:many_shadowed")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == ("error    shadowed-preflight  GET /r0; GET /r1; GET /r2 and 2 more")
    out = " ".join(result.stdout.split())
    assert "5 routes: GET /r0; GET /r1; GET /r2; GET /r3; GET /r4" in out
    assert out.endswith("1 error, 0 warnings")
    (finding,) = json.loads(run("check", "tests.cli_apps:many_shadowed", "--json").stdout)
    assert finding["routes"] == [f"GET /r{i}" for i in range(5)]
    assert finding["where"] == "GET /r0"


def test_mount_before_route():
    result = run("check", "tests.cli_apps:mounted_first")
    assert result.returncode == 1
    assert "shadowed-route  GET, HEAD /api/items" in result.stdout


def test_starlette_app_without_cors_routes():
    result = run("check", "tests.cli_apps:starlette_app")
    assert result.returncode == 0
    assert "no problems found" in result.stdout


def test_a_finding_on_installs_default_is_said_once_for_the_default():
    """Not one line per route: the default's finding names the default and counts its routes."""
    result = run("check", "tests.cli_apps:real")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "warning  regex-unescaped-dot  the install() default policy (28 routes)"
    assert "/api/v1/" not in result.stdout  # no route is listed
    assert len(lines) <= 6  # the head, the message (wrapped), the summary
    assert result.stdout.endswith("\n0 errors, 1 warning\n")
    (finding,) = json.loads(run("check", "tests.cli_apps:real", "--json").stdout)
    assert finding["policy"] == "install() default"
    assert len(finding["routes"]) == 28  # every HTTP route the default covers, for machines
    assert "GET /api/v1/billing/{item_id}" in finding["routes"]
    assert finding["where"] == finding["routes"][0]


def test_only_the_default_is_a_shared_policy():
    from cli_apps import real, suspicious

    from cors_routes.lint import check_app

    (finding,) = check_app(real)
    assert finding.shared_policy == "install() default"
    assert str(finding).startswith(
        "warning [regex-unescaped-dot] the install() default policy (28 routes): "
    )
    # an endpoint's own policy, even on several routes, is about those routes
    assert all(not finding.shared_policy for finding in check_app(suspicious))
