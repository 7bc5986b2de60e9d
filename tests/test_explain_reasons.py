"""explain names the cause a user can act on: a route without a policy, a redirect."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from warning_guard import FASTAPI_DOCS_WITHOUT_CORS, expected_finding

from cors_routes import CORSPolicy, CORSRoute, cors, install
from cors_routes._inventory import iter_routes
from cors_routes.explain import explain

# Route-class apps keep FastAPI's docs without CORS; the lint's finding about them is not
# what these tests are about (tests/warning_guard.py).
pytestmark = FASTAPI_DOCS_WITHOUT_CORS

APP = "https://app.example"


@expected_finding("uncovered-route")  # the route without a policy is the point
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


def test_an_unset_allow_methods_means_get_in_the_default_and_the_routes_own_elsewhere():
    # install()'s default replaces CORSMiddleware, whose unset allow_methods is ("GET",);
    # the same policy object given by an endpoint or a route class is theirs: its routes'
    # methods. explain and the routes listing say what the preflights do.
    default = CORSPolicy(allow_origins=[APP])

    class DefaultRoute(CORSRoute):
        cors_policy = default

    app = FastAPI()

    @app.api_route("/items/{item_id}", methods=["GET", "DELETE"])
    def item(item_id: int):
        return {}

    @app.delete("/own/{item_id}")
    @cors(default)
    def delete_own(item_id: int):
        return {}

    classed = APIRouter(route_class=DefaultRoute)

    @classed.delete("/classed/{item_id}")
    def delete_classed(item_id: int):
        return {}

    app.include_router(classed)
    install(app, default=default)

    refused = explain(app, origin=APP, method="DELETE", path="/items/1")
    assert not refused.allowed
    assert refused.reason.startswith(
        "method DELETE is not allowed: the policy on DELETE /items/{item_id} allows GET"
    )
    assert "unset in install()'s default, which means GET as in CORSMiddleware" in refused.reason
    for path in ("/own/1", "/classed/1"):
        assert explain(app, origin=APP, method="DELETE", path=path).allowed, path

    listed = {info.path: info for info in iter_routes(app) if info.kind == "http"}
    assert (listed["/items/{item_id}"].source, listed["/items/{item_id}"].allowed_methods()) == (
        "install default",
        {"GET"},
    )
    assert (listed["/own/{item_id}"].source, listed["/own/{item_id}"].allowed_methods()) == (
        "@cors",
        {"DELETE"},
    )
    assert (
        listed["/classed/{item_id}"].source,
        listed["/classed/{item_id}"].allowed_methods(),
    ) == ("route-class default", {"DELETE"})
