"""Shadowing, convertor by convertor: a route declared earlier takes the requests of a later
CORS route on every concrete path both match, not only on identical templates.

An earlier route without a policy (a plain ``APIRoute``, a CORS route without a policy, a
``@no_cors`` route) that serves the method gets the actual request, and its preflight,
without CORS; a plain route serving OPTIONS takes the preflights. (Routes without a policy
are also reported as ``uncovered-route``, tested in test_lint.py; left out here.)
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.applications import Starlette
from starlette.convertors import StringConvertor, register_url_convertor
from starlette.responses import PlainTextResponse
from starlette.routing import Mount

from cors_routes import CORSRoute, cors, no_cors
from cors_routes.lint import _sample_paths, check_app
from cors_routes.starlette import CORSRoute as StarletteCORSRoute

APP = "https://app.example"


def cors_app() -> FastAPI:
    app = FastAPI(openapi_url=None)  # no docs routes: they are not what these tests are about
    app.router.route_class = CORSRoute
    return app


def plain(app: FastAPI, path: str, method: str = "DELETE") -> None:
    def plain_endpoint() -> str:
        return "plain"

    app.router.add_api_route(path, plain_endpoint, methods=[method], route_class_override=APIRoute)


def with_cors(app: FastAPI | APIRouter, path: str, method: str = "DELETE") -> None:
    @cors(allow_origins=[APP])
    def cors_endpoint() -> str:
        return "cors"

    router = app if isinstance(app, APIRouter) else app.router
    router.add_api_route(path, cors_endpoint, methods=[method])


def findings(app):
    return [(f.code, f.where, f.message) for f in check_app(app) if f.code != "uncovered-route"]


def test_an_int_route_before_a_str_route_takes_its_numeric_paths():
    app = cors_app()
    plain(app, "/items/{item_id:int}")
    with_cors(app, "/items/{name}")
    ((code, where, message),) = findings(app)
    assert (code, where) == ("shadowed-route", "DELETE /items/{name}")
    assert message.startswith(
        "DELETE /items/{item_id:int} (plain_endpoint) is declared before it on a path this "
        "route matches too (/items/1) and serves DELETE"
    )


def test_routes_that_share_paths_are_compared_whatever_their_literal_segments():
    # the lint indexes routes by their leading literal segments: a parameter at any depth
    # still meets every literal below it, and a literal route meets a parameter above it
    app = cors_app()
    plain(app, "/api/{version}/items")
    with_cors(app, "/api/v1/items")
    with_cors(app, "/api/v2/items/{item_id}")
    plain(app, "/{anything}/v3/things")
    with_cors(app, "/api/v3/things")
    with_cors(app, "/apis/v1/items")  # another literal segment: shares no path
    assert [(code, where) for code, where, _ in findings(app)] == [
        ("shadowed-route", "DELETE /api/v1/items"),
        ("shadowed-route", "DELETE /api/v3/things"),
    ]


def test_other_convertor_pairs_that_share_paths():
    for earlier, later, shared in (
        ("/items/{x:float}", "/items/{y:int}", "/items/1"),  # every path of the later one
        ("/items/{x:uuid}", "/items/{y}", "/items/00000000-0000-4000-8000-000000000000"),
        ("/files/{x:path}", "/files/{y}/raw", "/files/1/raw"),
        ("/items/special", "/items/{name}", "/items/special"),  # a literal path first
        ("/{version}/items", "/v1/{what}", "/v1/items"),
    ):
        app = cors_app()
        plain(app, earlier)
        with_cors(app, later)
        ((code, _, message),) = findings(app)
        assert code == "shadowed-route", (earlier, later)
        assert f"({shared}" in message, (earlier, later, message)


def test_convertors_that_share_no_path_are_not_reported():
    for earlier, later in (
        ("/items/{x:int}", "/items/{y:uuid}"),
        ("/items/{x:uuid}", "/items/{y:float}"),
        ("/items/{x}", "/items/{y}/raw"),
        ("/items/special", "/items/{y:int}"),
        ("/orders/{x}", "/items/{y}"),
    ):
        app = cors_app()
        plain(app, earlier)
        with_cors(app, later)
        assert findings(app) == [], (earlier, later)
    # the CORS route declared first takes its requests itself
    app = cors_app()
    with_cors(app, "/items/{name}")
    plain(app, "/items/{item_id:int}")
    assert findings(app) == []


def test_routes_without_a_policy_are_reported_whatever_their_class():
    # @no_cors, and a CORS route class without a default policy: both behave like APIRoute
    opted_out = cors_app()

    @opted_out.delete("/items/{item_id}")
    @no_cors
    def remove(item_id: int) -> None: ...

    with_cors(opted_out, "/items/{item_id}")
    no_policy = cors_app()
    no_policy.router.add_api_route("/items/{item_id}", lambda item_id: None, methods=["DELETE"])
    with_cors(no_policy, "/items/{item_id}")
    for app, name in ((opted_out, "remove"), (no_policy, "<lambda>")):
        ((code, where, message),) = findings(app)
        assert (code, where) == ("shadowed-route", "DELETE /items/{item_id}")
        assert message.startswith(
            f"DELETE /items/{{item_id}} ({name}) is declared before it on the same path"
        )


def test_a_plain_options_route_on_numeric_paths_answers_their_preflights():
    app = cors_app()

    def options_item(item_id: int) -> str:
        return ""

    app.router.add_api_route(
        "/items/{item_id:int}", options_item, methods=["OPTIONS"], route_class_override=APIRoute
    )
    with_cors(app, "/items/{name}", "PUT")
    ((code, where, message),) = findings(app)
    assert (code, where) == ("shadowed-preflight", "PUT /items/{name}")
    assert message.startswith(
        "its preflights for paths such as /items/1 never reach cors_routes: OPTIONS "
        "/items/{item_id:int} (options_item) serves OPTIONS there"
    )


def test_an_options_route_of_the_cors_route_class_is_no_shadow():
    app = cors_app()

    @app.options("/items/{item_id:int}")
    def options_item(item_id: int) -> str:
        return ""

    with_cors(app, "/items/{name}", "PUT")
    assert findings(app) == []


def test_a_mount_taking_some_of_a_routes_paths():
    @cors(allow_origins=[APP])
    async def items(request):
        return PlainTextResponse("y")

    app = Starlette(
        routes=[
            Mount("/v1", routes=[]),
            StarletteCORSRoute("/{version}/items", items, methods=["GET"]),
        ]
    )
    ((code, where, message),) = findings(app)
    assert (code, where) == ("shadowed-route", "GET, HEAD /{version}/items")
    assert message.startswith("Mount /v1 is declared before it")


class Slug(StringConvertor):
    regex = "[a-z-]+"


register_url_convertor("lint_test_slug", Slug())


def test_slash_redirect_when_only_some_slash_less_paths_are_served():
    router = APIRouter(route_class=CORSRoute)
    with_cors(router, "/items/{name}/", "GET")
    app = cors_app()
    app.include_router(router)
    with_cors(app, "/items/{slug:lint_test_slug}", "GET")  # serves /items/x, not /items/1
    ((code, where, _),) = findings(app)
    assert (code, where) == ("slash-redirect", "GET /items/{name}/")
    with_cors(app, "/items/{item_id:int}", "GET")  # /items/1.5 still redirects
    assert [code for code, _, _ in findings(app)] == ["slash-redirect"]
    with_cors(app, "/items/{name}", "GET")
    assert findings(app) == []


def test_sample_paths_per_convertor():
    uuid = "00000000-0000-4000-8000-000000000000"
    assert _sample_paths("/a/{x:int}") == ("/a/1",)
    assert _sample_paths("/a/{x:float}") == ("/a/1", "/a/1.5")
    assert _sample_paths("/a/{x:uuid}") == (f"/a/{uuid}",)
    assert _sample_paths("/a/{x}") == ("/a/1", "/a/1.5", f"/a/{uuid}", "/a/x")
    assert _sample_paths("/a/{x:path}") == ("/a/1", "/a/1.5", f"/a/{uuid}", "/a/x", "/a/x/y", "/a/")
    assert len(_sample_paths("/{a}/{b}/{c}/{d}")) == 64  # combinations are capped
    assert _sample_paths("/a/{x}", ("special",))[-1] == "/a/special"
