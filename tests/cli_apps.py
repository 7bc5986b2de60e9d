"""Small apps for the diagnostics tests, importable as ``tests.cli_apps:NAME``."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, FastAPI, WebSocket
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from cors_routes import CORSPolicy, CORSRoute, cors, install, no_cors
from cors_routes.starlette import CORSRoute as StarletteCORSRoute

SHOP = "https://shop.example"
ADMIN = "https://admin.example"
PARTNER = "https://partner.example"


# -- good: every kind of route, no lint finding ----------------------------------------------------


class PartnerRoute(CORSRoute):
    cors_policy = CORSPolicy(allow_origins=[PARTNER], max_age=3600)


good = FastAPI(openapi_url=None)  # without docs routes, which only install() covers
good.router.route_class = CORSRoute


@good.get("/products")
@cors(allow_origins=["*"])
async def list_products() -> list[int]:
    return [1, 2, 3]


@good.post("/orders")
@cors(
    allow_origins=[SHOP],
    allow_credentials=True,
    allow_headers=["Authorization"],
    expose_headers=["X-Order-Id"],
)
async def create_order() -> dict[str, int]:
    return {"id": 42}


@good.delete("/products/{product_id}")
@cors(allow_origins=[ADMIN])
async def delete_product(product_id: int) -> dict[str, int]:
    return {"deleted": product_id}


@good.get("/health")
@no_cors  # for monitoring only: no browser reads it
async def health() -> str:
    return "ok"


partner = APIRouter(route_class=PartnerRoute)


@partner.get("/stock")
async def stock() -> dict[str, int]:
    return {"teapot": 7}


@partner.get("/stock/debug")
@no_cors
async def stock_debug() -> str:
    return "server only"


good.include_router(partner, prefix="/partner")


@cors(allow_origins=[SHOP])
async def legacy_items(request: object) -> PlainTextResponse:
    return PlainTextResponse("legacy")


good.mount(
    "/legacy",
    Starlette(routes=[StarletteCORSRoute("/items", legacy_items, methods=["GET"])]),
)


# -- bad: one of each error -----------------------------------------------------------------------

bad = FastAPI(openapi_url=None)
bad.router.route_class = CORSRoute
bad.add_middleware(CORSMiddleware, allow_origins=["*"])


async def options_everything(path: str) -> str:
    return "hand-written preflight"


# A plain APIRoute serving OPTIONS: the router prefers it for every OPTIONS request.
bad.router.add_api_route(
    "/{path:path}", options_everything, methods=["OPTIONS"], route_class_override=APIRoute
)


@bad.get("/shadowed")
@cors(allow_origins=[SHOP])
async def shadowed() -> str:
    return "never preflighted"


plain = APIRouter()  # a plain APIRoute: @cors cannot be honoured


@plain.get("/plain")
@cors(allow_origins=[SHOP])
async def plain_endpoint() -> str:
    return "fails"


bad.include_router(plain)


def everyone(origin: str) -> bool:
    return True


@bad.get("/me")
@cors(allow_origin_func=everyone, allow_credentials=True)
async def me() -> str:
    return "me"


# -- warnings only ---------------------------------------------------------------------------------

suspicious = FastAPI(openapi_url=None)
suspicious.router.route_class = CORSRoute


@suspicious.get("/regex")
@cors(allow_origin_regex=r"https://.*.example.com")
async def regex() -> str:
    return "regex"


@suspicious.get("/null")
@cors(allow_origin_regex=r"[a-z]+(://[a-z.]+)?")
async def null() -> str:
    return "null"


slashy = APIRouter(route_class=CORSRoute)


@slashy.get("/")
@cors(allow_origins=[SHOP])
async def slash_list() -> list[int]:
    return []


suspicious.include_router(slashy, prefix="/things")


# -- not an app ------------------------------------------------------------------------------------

not_an_app = 42
starlette_app = Starlette(routes=[Route("/", lambda request: PlainTextResponse("x"))])
mounted_first = Starlette(
    routes=[
        Mount("/api", routes=[Route("/x", lambda request: PlainTextResponse("x"))]),
        StarletteCORSRoute("/api/items", legacy_items, methods=["GET"]),
    ]
)


@suspicious.patch("/items/{item_id}")
@cors(allow_origins=[SHOP])
async def patch_item(item_id: int) -> dict[str, int]:
    return {"patched": item_id}


# -- one finding for many routes -------------------------------------------------------------------

many_shadowed = FastAPI(openapi_url=None)
many_shadowed.router.route_class = CORSRoute


async def preflight_by_hand(path: str) -> str:
    return "hand-written preflight"


many_shadowed.router.add_api_route(
    "/{path:path}", preflight_by_hand, methods=["OPTIONS"], route_class_override=APIRoute
)


for _index in range(5):
    many_shadowed.add_api_route(
        f"/r{_index}", cors(allow_origins=[SHOP])(lambda: "r"), methods=["GET"]
    )


# -- loading: factories and callables that are not apps --------------------------------------------


def make_app() -> FastAPI:
    """A factory, as for ``uvicorn --factory``."""
    app = FastAPI()
    app.router.route_class = CORSRoute

    @app.get("/built")
    @cors(allow_origins=[SHOP])
    async def built() -> str:
        return "built"

    return app


def make_app_with(settings: dict[str, str]) -> FastAPI:
    return make_app()


def make_nothing() -> int:
    return 42


def broken_factory() -> FastAPI:
    raise RuntimeError("the settings are missing")


async def bare_asgi(scope: dict, receive: object, send: object) -> None:
    """An ASGI application without routes: explain can run it, routes has nothing to list."""
    await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
    await send({"type": "http.response.body", "body": b"bare"})  # type: ignore[operator]


# -- a long list of origins ------------------------------------------------------------------------

many_origins = FastAPI(openapi_url=None)
many_origins.router.route_class = CORSRoute
MANY = [f"https://tenant{i}.example.com" for i in range(12)]


@many_origins.get("/tenants")
@cors(allow_origins=MANY, allow_credentials=True)
async def tenants() -> list[int]:
    return []


@many_origins.get("/one")
@cors(allow_origins=[SHOP])
async def one() -> list[int]:
    return []


# -- install(): every route of an app, wherever it was declared ----------------------------------

installed = FastAPI()
_library = APIRouter()  # a plain router, as a library builds one


@_library.get("/items")
async def library_items() -> list[int]:
    return []


@_library.api_route("/items/{item_id}", methods=["GET", "DELETE"])
async def library_item(item_id: int) -> int:
    return item_id


@_library.post("/library-orders")
async def library_order() -> str:
    return "ordered"


@_library.get("/special")
@cors(allow_origins=[SHOP])
async def special() -> str:
    return "special"


@_library.get("/internal")
@no_cors
async def internal() -> str:
    return "internal"


installed.include_router(_library)
install(installed, default=CORSPolicy(allow_origins=["https://app.example"]))


# -- routers included at start-up --------------------------------------------------------------


@contextlib.asynccontextmanager
async def _include_at_startup(app: FastAPI) -> AsyncIterator[None]:
    late = APIRouter()

    @late.get("/started")
    async def started() -> str:
        return "started"

    app.include_router(late)
    yield


starting = FastAPI(openapi_url=None, lifespan=_include_at_startup)
install(starting, default=CORSPolicy(allow_origins=["https://app.example"]))


# -- origins read from a setting that is not set: no origin at all ------------------------------

_UNSET = os.environ.get("CORS_ROUTES_TESTS_NEVER_SET", "")
unset_origins = FastAPI(openapi_url=None)
install(
    unset_origins,
    default=CORSPolicy(allow_origins=[o.strip() for o in _UNSET.split(",") if o.strip()]),
)


@unset_origins.get("/items")
async def unset_items() -> list[int]:
    return []


# -- an app whose start-up fails -----------------------------------------------------------------


@contextlib.asynccontextmanager
async def _database_down(app: FastAPI) -> AsyncIterator[None]:
    raise RuntimeError("cannot reach the database at db.internal:5432")
    yield


failing_startup = FastAPI(openapi_url=None, lifespan=_database_down)
install(failing_startup, default=CORSPolicy(allow_origins=[SHOP]))


@failing_startup.get("/items")
async def failing_items() -> list[int]:
    return []


class _RefuseStartup:
    """An ASGI middleware that says the start-up failed, with a message of its own."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "no licence key"})


_unlicensed = FastAPI(openapi_url=None)
install(_unlicensed, default=CORSPolicy(allow_origins=[SHOP]))


@_unlicensed.get("/items")
async def unlicensed_items() -> list[int]:
    return []


refusing_startup = _RefuseStartup(_unlicensed)


# -- a real app's shape: four resource routers, a static mount and a WebSocket, under one
# install() default whose regex has unescaped dots (one finding, about the default) --------

REAL_ORIGINS = [
    "https://app.example.com",
    "https://admin.example.com",
    "https://staging.app.example.com",
    "http://localhost:3000",
]
REAL_REGEX = r"https://preview-[0-9]+.app.example.com"
CHAT_ORIGINS = ["https://app.example.com", "https://chat.example.com"]


class Item(BaseModel):
    name: str
    quantity: int = 1


def _resource_router(name: str) -> APIRouter:
    router = APIRouter(prefix=f"/api/v1/{name}", tags=[name])

    @router.get("")
    async def list_items(limit: int = 50) -> list[Item]:
        return []

    @router.post("")
    async def create_item(item: Item) -> Item:
        return item

    @router.get("/{item_id}")
    async def read_item(item_id: int) -> Item:
        return Item(name=str(item_id))

    @router.put("/{item_id}")
    async def replace_item(item_id: int, item: Item) -> Item:
        return item

    @router.delete("/{item_id}")
    async def delete_item(item_id: int) -> None:
        return None

    @router.get("/{item_id}/history/{revision_id}/attachments")
    async def item_attachments(item_id: int, revision_id: int) -> list[str]:
        return []

    return router


def make_real_app() -> FastAPI:
    app = FastAPI(title="real")
    for name in ("accounts", "billing", "catalogue", "notifications"):
        app.include_router(_resource_router(name))
    app.mount("/static", StaticFiles(directory="static", check_dir=False), name="static")

    @app.websocket("/ws/chat/{room}")
    @cors(allow_origins=CHAT_ORIGINS)
    async def chat(websocket: WebSocket, room: str) -> None:
        await websocket.accept()
        await websocket.close()

    @app.websocket("/ws/anyone")
    async def anyone(websocket: WebSocket) -> None:
        await websocket.close()

    default = CORSPolicy(
        allow_origins=REAL_ORIGINS,
        allow_origin_regex=REAL_REGEX,
        allow_headers=["authorization", "content-type", "x-request-id"],
        allow_credentials=True,
    )
    return install(app, default=default)


real = make_real_app()


# -- an app whose `routes --json` is far larger than a pipe's buffer (64 KiB) -------------------

crowded = FastAPI(openapi_url=None)


async def tenant_report(tenant_id: int) -> dict[str, int]:
    return {"tenant": tenant_id}


for _index in range(1000):
    crowded.add_api_route(f"/tenants/{_index}/reports/{{tenant_id}}", tenant_report)
install(crowded, default=CORSPolicy(allow_origins=REAL_ORIGINS))
