"""The framework names cors_routes relies on, checked on the installed FastAPI and Starlette.

Every private or version-specific name lives in ``cors_routes/_framework.py``; this file is
its contract. CI runs it on the oldest and the newest supported lines (scripts/matrix.sh):
when a release renames or drops one of them, the test that fails names it, before a user's
preflight is answered by the wrong route.
"""

from __future__ import annotations

import fastapi
import pytest
import starlette
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.applications import Starlette
from starlette.endpoints import HTTPEndpoint
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Match, Mount, Route, Router

from cors_routes import _framework, _selection


def _version(module) -> tuple[int, ...]:
    return tuple(int(part) for part in module.__version__.split(".")[:3] if part.isdigit())


FASTAPI_WRAPS_INCLUDED_ROUTERS = _version(fastapi) >= (0, 163)
STARLETTE_1 = _version(starlette) >= (1, 0)


def _endpoint(request):
    return PlainTextResponse("x")


def test_fastapi_exposes_included_routes_as_select_reads_them():
    inner = APIRouter()
    inner.add_api_route("/items", _endpoint, methods=["GET"])
    app = FastAPI()
    app.include_router(inner, prefix="/p")
    if FASTAPI_WRAPS_INCLUDED_ROUTERS:
        # FastAPI >= 0.163: one wrapper per include_router, opened by iter_route_contexts.
        wrappers = [route for route in app.router.routes if hasattr(route, "original_router")]
        assert wrappers, "FastAPI no longer keeps included routers behind original_router"
        assert list(_framework.included_routers(app.router.routes)) == [inner]
        assert hasattr(fastapi.routing, "iter_route_contexts")
        assert hasattr(fastapi.routing, _framework._CONTEXT_KEY_NAME)
    else:
        # Older lines copy the included routes into the app's own list.
        assert any(getattr(route, "path", None) == "/p/items" for route in app.router.routes)
    entries = list(_framework.route_entries(app.router.routes))
    declared = [entry[2] for entry in entries if entry[2].path in ("/items", "/p/items")]
    assert declared and isinstance(declared[0], APIRoute)


def test_an_included_api_route_matches_with_its_prefix_through_fastapis_context():
    inner = APIRouter()
    inner.add_api_route("/items/{item_id}", _endpoint, methods=["GET"])
    app = FastAPI()
    app.include_router(inner, prefix="/p")
    scope = {"type": "http", "method": "GET", "path": "/p/items/1", "root_path": "", "headers": []}
    selection = _selection.select(app.router, scope, "GET")
    assert isinstance(selection, _selection.Served)
    # the declared route serves itself (older lines serve a prefixed copy)
    assert selection.route.path.endswith("/items/{item_id}")
    assert isinstance(_selection.select(app.router, scope, "DELETE"), _selection.Partial)


def test_fastapi_routes_version_is_read_where_it_exists():
    router = APIRouter()
    version = getattr(router, "_routes_version", None)
    if FASTAPI_WRAPS_INCLUDED_ROUTERS:
        assert isinstance(version, int), "FastAPI no longer counts route changes"
        router.add_api_route("/x", _endpoint)
        assert router._routes_version != version


def test_api_route_puts_itself_in_the_scope_it_matches():
    # install() reads scope["route"] to know which route served a response.
    route = APIRoute("/x", _endpoint, methods=["GET"])
    matched, child_scope = route.matches(
        {"type": "http", "method": "GET", "path": "/x", "root_path": "", "headers": []}
    )
    assert matched is Match.FULL
    assert child_scope["route"] is route


def test_the_router_records_itself_and_mounts_keep_the_outer_root_path():
    seen: dict[str, object] = {}

    async def inner_endpoint(request):
        seen.update(
            router=request.scope.get("router"), root=_framework.app_root_path(request.scope)
        )
        return PlainTextResponse("x")

    app = Starlette(
        routes=[Mount("/m", routes=[Route("/x", inner_endpoint)])],
    )
    import asyncio

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        pass

    # As a server behind a proxy prefix sends it: the path whole, the prefix as root_path.
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/base/m/x",
        "root_path": "/base",
        "query_string": b"",
        "headers": [],
    }
    asyncio.run(app(scope, receive, send))
    assert seen["router"] is app.router  # the outermost router, not the mount's
    assert seen["root"] == "/base"


def test_mount_keeps_the_app_it_serves_apart_from_its_middleware():
    class Passthrough:
        def __init__(self, app):
            self.app = app

        async def __call__(self, scope, receive, send):
            await self.app(scope, receive, send)

    router = Router(routes=[Route("/x", _endpoint)])
    plain = Mount("/m", app=router)
    assert _framework.mount_layers(plain) == (router, False)
    wrapped = Mount("/m", app=router, middleware=[Middleware(Passthrough)])
    assert _framework.mount_layers(wrapped) == (router, True)


def test_class_endpoint_methods_are_the_ones_starlette_dispatches():
    class Items(HTTPEndpoint):
        async def get(self, request):
            return PlainTextResponse("x")

        async def delete(self, request):
            return PlainTextResponse("x")

        async def purge(self, request):
            return PlainTextResponse("x")

    served = _framework.served_by_class_endpoint(Items)
    assert {"GET", "HEAD", "DELETE"} <= served
    # Starlette 1.x dispatches a fixed list of methods; older lines any handler's name.
    assert ("PURGE" in served) is (not STARLETTE_1)


@pytest.mark.skipif(not hasattr(APIRouter(), "_match_low_priority"), reason="no frontend routes")
def test_fastapi_low_priority_routes_are_asked_through_its_own_matcher():
    router = APIRouter()
    found, route = _framework.low_priority_route(
        router,
        {"type": "http", "method": "GET", "path": "/nothing", "root_path": "", "headers": []},
    )
    assert (found, route) == (False, None)
