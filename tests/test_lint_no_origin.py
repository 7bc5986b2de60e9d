"""The lint's ``allows-no-origin``: a policy that allows no origin at all (what an unset
setting gives) loads, as an empty policy also means "same-origin only", but is reported."""

from __future__ import annotations

import json

import pytest
from _cli import run
from fastapi import FastAPI

from cors_routes import CORSPolicy, CORSRoute, cors, install
from cors_routes.lint import Finding, check_app


def policy_findings(policy: CORSPolicy) -> list[Finding]:
    """The lint's findings about ``policy``, as the default of an app with one route."""
    app = FastAPI(openapi_url=None)
    install(app, default=policy)
    app.add_api_route("/items", lambda: [], methods=["GET"])
    return check_app(app)


MESSAGE = (
    "allows no origin: every cross-origin request is refused; set allow_origins (is an "
    "environment variable unset?)"
)


@pytest.mark.parametrize(
    "policy",
    [
        CORSPolicy(),
        CORSPolicy(allow_origins=[]),
        CORSPolicy(allow_origins=[], allow_origin_regex=""),  # both settings unset
        CORSPolicy(allow_origins=[], allow_credentials=True, allow_headers=["X-Token"]),
        CORSPolicy(allow_origins=["https://a.example"]).replace(allow_origins=()),
    ],
)
def test_a_policy_that_allows_no_origin_is_a_warning(policy):
    (finding,) = [f for f in policy_findings(policy) if f.code == "allows-no-origin"]
    assert finding.severity == "warning"
    assert finding.message == MESSAGE
    assert policy.origin_value(b"https://a.example") is None  # and it does refuse them


@pytest.mark.parametrize(
    "policy",
    [
        CORSPolicy(allow_origins=["https://a.example"]),
        CORSPolicy(allow_origins=["*"]),
        CORSPolicy(allow_origins=["https://*.example.com"]),
        CORSPolicy(allow_origin_regex=r"https://[a-z]+\.example\.com"),
        CORSPolicy(allow_origin_func=lambda origin: False),  # a predicate decides at run time
    ],
)
def test_a_policy_that_allows_some_origin_is_not_reported(policy):
    assert "allows-no-origin" not in [f.code for f in policy_findings(policy)]


def test_reported_once_for_every_route_of_a_route_class_app():
    app = FastAPI(openapi_url=None)
    app.router.route_class = CORSRoute
    empty = CORSPolicy(allow_origins=[])
    for path in ("/a", "/b"):
        app.add_api_route(path, cors(empty)(lambda: "x"), methods=["GET"])
    (finding,) = check_app(app)
    assert (finding.code, finding.routes, finding.message) == (
        "allows-no-origin",
        ("GET /a", "GET /b"),
        MESSAGE,
    )


def test_reported_under_install():
    app = FastAPI(openapi_url=None)
    install(app, default=CORSPolicy(allow_origins=[]))
    app.add_api_route("/items", lambda: [], methods=["GET"])
    assert [(f.severity, f.code) for f in check_app(app)] == [("warning", "allows-no-origin")]


def test_check_no_longer_says_no_problems_found():
    result = run("check", "tests.cli_apps:unset_origins")
    assert result.returncode == 0, result.stderr  # a warning
    assert "no problems found" not in result.stdout
    out = " ".join(result.stdout.split())
    assert f"warning allows-no-origin the install() default policy (GET /items) {MESSAGE}" in out
    assert out.endswith("0 errors, 1 warning")
    assert run("check", "tests.cli_apps:unset_origins", "--strict").returncode == 1
    (finding,) = json.loads(run("check", "tests.cli_apps:unset_origins", "--json").stdout)
    assert finding["code"] == "allows-no-origin"
