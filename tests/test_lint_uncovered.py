"""uncovered-route: the routes a migration to route classes silently leaves without CORS."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from cors_routes import CORSPolicy, CORSRoute, install, no_cors
from cors_routes.lint import _ERROR, _WARNING, check_app

DEFAULT = CORSPolicy(allow_origins=["https://app.example"])


class AppRoute(CORSRoute):
    cors_policy = DEFAULT


def migrated_by_route_class() -> FastAPI:
    """The old README recipe taken literally: app.router.route_class = AppRoute covers only
    the routes declared on the app; other modules' routers and a library's stay plain."""
    app = FastAPI()
    app.router.route_class = AppRoute

    @app.get("/ping")
    def ping():
        return "pong"

    items = APIRouter()  # as in a module of its own

    @items.get("/items")
    def list_items():
        return []

    @items.post("/items")
    def create_item():
        return {}

    auth = APIRouter()  # as a library builds it

    @auth.post("/auth/login")
    def login():
        return {}

    @auth.get("/auth/health")
    @no_cors
    def auth_health():
        return "ok"

    app.include_router(items, prefix="/api")
    app.include_router(auth)
    return app


def test_every_route_without_cors_is_named_in_one_error_with_the_fix():
    findings = check_app(migrated_by_route_class())
    (error,) = [f for f in findings if f.code == "uncovered-route" and f.severity == _ERROR]
    assert error.places == ("GET /api/items", "POST /api/items", "POST /auth/login")
    assert "install(app, default=CORSPolicy(...))" in error.message
    assert "@no_cors" in error.message


def test_the_docs_routes_are_a_warning_of_their_own():
    findings = check_app(migrated_by_route_class())
    (docs,) = [f for f in findings if f.code == "uncovered-route" and f.severity == _WARNING]
    assert "GET, HEAD /openapi.json" in docs.places and "GET, HEAD /docs" in docs.places


def test_install_covers_them_all():
    app = install(migrated_by_route_class(), default=DEFAULT)
    assert [f for f in check_app(app) if f.code == "uncovered-route"] == []


def test_an_app_without_any_cors_route_is_not_reported():
    app = FastAPI()

    @app.get("/x")
    def x():
        return 1

    assert check_app(app) == []
