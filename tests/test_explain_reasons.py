"""explain names the cause a user can act on: a route without a policy, a redirect."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from cors_routes import CORSPolicy, CORSRoute, cors, install
from cors_routes.explain import explain

APP = "https://app.example"


def test_a_route_without_a_policy_is_said_before_anything_about_shadowing():
    # The router-class migration taken literally: the app's own routes are CORS routes,
    # an included router's are not. Its preflight reaches a CORS route first (/items is
    # also served for GET by the app), but the cause is that POST has no policy.
    app = FastAPI()
    app.router.route_class = CORSRoute

    @app.get("/items")
    @cors(allow_origins=[APP])
    def list_items():
        return []

    other = APIRouter()

    @other.post("/items")
    def create_item():
        return {}

    app.include_router(other)
    result = explain(
        app,
        origin=APP,
        method="POST",
        path="/items",
        headers=[("Content-Type", "application/json")],
    )
    assert not result.allowed
    assert result.reason.startswith("this route has no CORS policy (APIRoute): POST /items")
    assert "install(app, default=...)" in result.reason


def test_a_slash_redirect_is_reported_as_a_redirect_with_the_fix():
    app = FastAPI()
    app.router.route_class = CORSRoute

    @app.get("/items")
    @cors(allow_origins=[APP])
    def list_items():
        return []

    result = explain(app, origin=APP, method="GET", path="/items/")
    assert not result.allowed
    assert result.steps[-1].exchange.status == 307
    assert result.reason.startswith("the response is a 307 redirect to http://testserver/items")
    assert "install(app, default=...)" in result.reason and "CORSSlashRedirects" in result.reason


def test_with_install_the_same_slash_redirect_is_followed():
    app = FastAPI()

    @app.get("/items")
    def list_items():
        return []

    install(app, default=CORSPolicy(allow_origins=[APP]))
    result = explain(app, origin=APP, method="GET", path="/items/")
    assert result.allowed, result.reason
    assert any("307 redirect" in note for note in result.notes)
