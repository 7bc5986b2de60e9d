"""explain names the policy that refused a request a mounted app answered, not a 404.

A mounted app (StaticFiles here) has no routes explain can list, but it answers: the file
is served with a 200, and under install() the default policy decides its CORS. When that
policy refuses the origin, the reason must say so, not that no route matches.
"""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from warning_guard import expected_finding

from cors_routes import CORSPolicy, install
from cors_routes.explain import explain

APP = "https://app.example"
OTHER = "https://other.example"


def fastapi_app(directory) -> FastAPI:
    app = FastAPI()
    app.mount("/static", StaticFiles(directory=directory), name="static")
    return app


def starlette_app(directory) -> Starlette:
    return Starlette(routes=[Mount("/static", app=StaticFiles(directory=directory))])


@pytest.mark.parametrize(
    "default",
    [CORSPolicy(), CORSPolicy(allow_origins=[OTHER])],
    ids=["allows no origin", "allows another origin"],
)
@expected_finding("allows-no-origin")  # one case is a default that allows no origin
@pytest.mark.parametrize("make", [fastapi_app, starlette_app], ids=["fastapi", "starlette"])
def test_a_refused_static_file_is_explained_by_the_install_default(tmp_path, make, default):
    (tmp_path / "logo.txt").write_text("logo")
    app = install(make(tmp_path), default=default)
    result = explain(app, origin=APP, method="GET", path="/static/logo.txt")
    assert not result.allowed
    assert result.steps[-1].kind == "request"
    assert result.steps[-1].exchange.status == 200  # the file was served
    reason = result.reason
    assert "404" not in reason and "no route" not in reason, reason
    assert "default" in reason, reason  # the install() default is the policy that refused
    assert APP in reason and "not allowed" in reason, reason
    assert "200" in reason, reason
