"""The start-up lint (the first request a CORS route handles) never breaks a request, can be
turned off, and reports a finding shared by several routes once."""

from __future__ import annotations

import logging
import warnings

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from cors_routes import CORSRoute, _startup, cors
from cors_routes.lint import CORSLintWarning

APP = "https://app.example"


def any_site(origin: str) -> bool:  # with credentials: the credentials-any-origin error
    return origin.startswith(("https://", "http://"))


def app_with_a_finding(*paths: str) -> FastAPI:
    app = FastAPI(openapi_url=None)  # no docs routes: only the one finding
    app.router.route_class = CORSRoute
    for path in paths or ("/items",):

        @cors(allow_origin_func=any_site, allow_credentials=True)
        def items() -> list[int]:
            return [1]

        app.router.add_api_route(path, items, methods=["GET"])
    return app


def lint_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "cors_routes" and "CORS lint" in r.message]


def test_warnings_as_errors_never_break_the_first_request(caplog):
    caplog.set_level(logging.WARNING, logger="cors_routes")
    client = TestClient(app_with_a_finding())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        response = client.get("/items", headers={"Origin": APP})
    assert response.status_code == 200
    assert response.json() == [1]
    assert response.headers["access-control-allow-origin"] == APP
    (record,) = lint_records(caplog)
    assert record.levelno == logging.WARNING
    assert record.getMessage().startswith(
        "CORS lint: error [credentials-any-origin] GET /items: allow_credentials=True with an "
        "allow_origin_func that accepts any origin"
    )


def test_a_warning_when_warnings_are_warnings(caplog):
    caplog.set_level(logging.WARNING, logger="cors_routes")
    with pytest.warns(CORSLintWarning, match=r"error \[credentials-any-origin\] GET /items"):
        TestClient(app_with_a_finding()).get("/items")
    assert lint_records(caplog) == []


@pytest.mark.parametrize("value", ["off", "0", "false", "no", "OFF", "False", " No "])
def test_the_environment_turns_it_off(value, monkeypatch, caplog):
    monkeypatch.setenv("CORS_ROUTES_LINT", value)
    caplog.set_level(logging.DEBUG, logger="cors_routes")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning would fail the test
        response = TestClient(app_with_a_finding()).get("/items", headers={"Origin": APP})
    assert response.headers["access-control-allow-origin"] == APP
    assert lint_records(caplog) == []


def test_the_environment_is_read_when_the_lint_would_run(monkeypatch):
    app = app_with_a_finding("/a", "/b")
    client = TestClient(app)
    monkeypatch.setenv("CORS_ROUTES_LINT", "off")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client.get("/a")
    monkeypatch.setenv("CORS_ROUTES_LINT", "on")
    with pytest.warns(CORSLintWarning, match="credentials-any-origin"):
        client.get("/b")  # another route's first request: the lint runs now


def test_skip_turns_it_off_for_one_app(caplog):
    caplog.set_level(logging.DEBUG, logger="cors_routes")
    skipped, linted = app_with_a_finding(), app_with_a_finding()
    _startup.skip(skipped)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert TestClient(skipped).get("/items").status_code == 200
    assert lint_records(caplog) == []
    with pytest.warns(CORSLintWarning):
        TestClient(linted).get("/items")


def test_one_warning_for_a_finding_shared_by_several_routes():
    app = app_with_a_finding("/a", "/b", "/c", "/d", "/e")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        TestClient(app).get("/a")
    lint_warnings = [str(w.message) for w in caught if issubclass(w.category, CORSLintWarning)]
    assert len(lint_warnings) == 1
    assert lint_warnings[0].startswith(
        "error [credentials-any-origin] GET /a; GET /b; GET /c and 2 more: "
    )
