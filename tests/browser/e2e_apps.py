"""The apps the browser scenarios call, built for the ports the suite picked.

``build_apps(ports)`` returns ``{"fastapi": ..., "starlette": ..., "installed": ...}`` (the
keys of ``scenarios.APP_URLS``); every policy names its origins with the templates of ``scenarios``,
so the table and the policies cannot drift apart. ``page_app()`` is the page the fetches run in.
"""

from __future__ import annotations

import asyncio
import re
from urllib.parse import urlsplit

import scenarios as s
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from cors_routes import CORSPolicy, CORSRoute, cors, install, no_cors
from cors_routes.starlette import CORSRoute as StarletteCORSRoute


def build_apps(ports: dict[str, int]) -> dict[str, object]:
    return {
        "fastapi": build_fastapi(ports),
        "starlette": build_starlette(ports),
        "installed": build_installed(ports),
    }


def build_fastapi(ports: dict[str, int]) -> FastAPI:
    page, localhost, other = (o.format(**ports) for o in (s.PAGE, s.LOCALHOST, s.OTHER))
    app = FastAPI()
    app.router.route_class = CORSRoute

    # -- origins ---------------------------------------------------------------------------------
    @app.get("/exact")
    @cors(allow_origins=[page])
    async def exact():
        return {"endpoint": "exact"}

    @app.get("/any")
    @cors(allow_origins=["*"])
    async def any_origin():
        return {"endpoint": "any"}

    @app.get("/subdomains")
    @cors(allow_origins=["http://*.shop.test:{page}".format(**ports)])
    async def subdomains():
        return {"endpoint": "subdomains"}

    @app.get("/regex")
    @cors(allow_origin_regex=r"http://(app|beta)\.regex\.test:" + re.escape(str(ports["page"])))
    async def regex():
        return {"endpoint": "regex"}

    def is_localhost(origin: str) -> bool:
        return urlsplit(origin).hostname == "localhost"

    async def is_localhost_async(origin: str) -> bool:
        await asyncio.sleep(0)
        return urlsplit(origin).hostname == "localhost"

    def broken(origin: str) -> bool:
        raise LookupError("the origin database is down")

    @app.get("/func/sync")
    @cors(allow_origin_func=is_localhost)
    def func_sync():
        return {"endpoint": "func_sync"}

    @app.get("/func/async")
    @cors(allow_origin_func=is_localhost_async)
    async def func_async():
        return {"endpoint": "func_async"}

    @app.get("/func/raises")
    @cors(allow_origin_func=broken)
    async def func_raises():
        return {"endpoint": "func_raises"}

    # -- JSON POST, per-method policies on one path -----------------------------------------------
    @app.post("/orders")
    @cors(allow_origins=[page])
    async def create_order(order: dict):
        return {"created": order}

    @app.get("/items/{item_id}")
    @cors(allow_origins=["*"])
    async def read_item(item_id: int):
        return {"id": item_id}

    @app.put("/items/{item_id}")
    @cors(allow_origins=[page])
    async def replace_item(item_id: int, item: dict):
        return {"id": item_id, "replaced": item}

    @app.patch("/items/{item_id}")
    @cors(allow_origins=[localhost])
    async def update_item(item_id: int, item: dict):
        return {"id": item_id, "updated": item}

    @app.delete("/items/{item_id}")
    @cors(allow_origins=[other])
    async def delete_item(item_id: int):
        return {"deleted": item_id}

    # -- request headers --------------------------------------------------------------------------
    @app.get("/custom-header")
    @cors(allow_origins=[page], allow_headers=["X-Request-Id"])
    async def custom_header(request: Request):
        return {"x-request-id": request.headers.get("x-request-id")}

    @app.get("/auth/star")
    @cors(allow_origins=[page], allow_headers=["*"])
    async def auth_star(request: Request):
        return {"authorization": request.headers.get("authorization")}

    @app.get("/auth/star-credentials")
    @cors(allow_origins=[page], allow_headers=["*"], allow_credentials=True)
    async def auth_star_credentials(request: Request):
        return {"authorization": request.headers.get("authorization")}

    # -- credentials, expose headers --------------------------------------------------------------
    @app.get("/me")
    @cors(allow_origins=[page], allow_credentials=True)
    async def me(request: Request):
        return {"session": request.cookies.get("session")}

    def with_extra_headers() -> JSONResponse:
        return JSONResponse({"id": 42}, headers={"X-Order-Id": "42", "X-Internal": "secret"})

    @app.get("/exposed")
    @cors(allow_origins=[page], expose_headers=["X-Order-Id"])
    async def exposed():
        return with_extra_headers()

    @app.get("/exposed-credentials")
    @cors(allow_origins=[page], expose_headers=["X-Order-Id"], allow_credentials=True)
    async def exposed_credentials():
        return with_extra_headers()

    # -- max-age ----------------------------------------------------------------------------------
    @app.put("/cached")
    @cors(allow_origins=[page], max_age=600)
    async def cached():
        return {"endpoint": "cached"}

    @app.put("/uncached")
    @cors(allow_origins=[page], max_age=0)
    async def uncached():
        return {"endpoint": "uncached"}

    # -- errors -----------------------------------------------------------------------------------
    def logged_in(request: Request) -> None:
        if "authorization" not in request.headers:
            raise HTTPException(401, "log in first")

    @app.get("/errors/http-exception")
    @cors(allow_origins=[page])
    async def conflict():
        raise HTTPException(409, "already ordered")

    @app.get("/errors/dependency", dependencies=[Depends(logged_in)])
    @cors(allow_origins=[page])
    async def guarded():
        return {"endpoint": "guarded"}

    @app.get("/errors/validation")
    @cors(allow_origins=[page])
    async def validated(count: int):
        return {"count": count}

    @app.get("/errors/method")
    @cors(allow_origins=[page])
    async def get_only():
        return {"endpoint": "get_only"}

    @app.get("/errors/crash")
    @cors(allow_origins=[page])
    async def crash():
        raise RuntimeError("the browser suite's deliberate crash")

    @app.get("/stream")
    @cors(allow_origins=[page])
    async def stream():
        async def chunks():
            for n in range(1, 4):
                yield f"chunk-{n}\n"

        return StreamingResponse(chunks(), media_type="text/plain")

    # -- a router-wide default, included with a prefix --------------------------------------------
    class PartnerRoute(CORSRoute):
        cors_policy = CORSPolicy(allow_origins=[localhost])

    partner = APIRouter(route_class=PartnerRoute)

    @partner.get("/stock")
    async def stock():
        return {"teapot": 7}

    @partner.get("/stock/export")
    @cors(allow_origins=[page])
    async def export():
        return {"export": "csv"}

    @partner.get("/stock/debug")
    @no_cors
    async def debug():
        return {"debug": True}

    @partner.delete("/stock/debug")
    @no_cors
    async def debug_reset():
        return {"reset": True}

    # Declared last: its path also matches /stock/debug, and for a preflight no route serves,
    # the first route whose path matches answers (a refusal either way).
    @partner.put("/stock/{sku}")
    async def set_stock(sku: str, body: dict):
        return {"sku": sku, **body}

    app.include_router(partner, prefix="/partner")
    return app


def build_starlette(ports: dict[str, int]) -> Starlette:
    @cors(allow_origins=[s.PAGE.format(**ports)])
    async def items(request: StarletteRequest) -> Response:
        if request.method == "PUT":
            return PlainTextResponse((await request.body()).decode())
        return PlainTextResponse("[1,2,3]")

    return Starlette(routes=[StarletteCORSRoute("/items", items, methods=["GET", "PUT"])])


def build_installed(ports: dict[str, int]) -> FastAPI:
    """An app built as real apps are (plain routers from "other modules", a library's router,
    a mounted app, docs), given its CORS by one install() call; one router comes later."""
    page, other = s.PAGE.format(**ports), s.OTHER.format(**ports)
    api = APIRouter(prefix="/api")

    @api.get("/items")
    async def list_items():
        return {"endpoint": "list_items"}

    @api.put("/items")
    async def put_items(body: dict):
        return {"endpoint": "put_items", **body}

    @api.delete("/items/{item_id}")
    @cors(allow_origins=[other])  # its own policy: only the "admin" page
    async def delete_item(item_id: int):
        return {"deleted": item_id}

    @api.get("/internal")
    @no_cors
    async def internal():
        return {"endpoint": "internal"}

    @api.get("/boom")
    async def boom():
        raise RuntimeError("an unhandled error")

    library = APIRouter()  # as an auth package builds its router: plain APIRoutes

    @library.post("/auth/login")
    async def login(body: dict):
        return {"token": "t"}

    async def opaque(scope, receive, send):  # a mounted ASGI app (as StaticFiles is)
        await PlainTextResponse("static file")(scope, receive, send)

    app = FastAPI()
    app.include_router(api)
    app.include_router(library)
    app.mount("/static", opaque)
    install(
        app,
        default=CORSPolicy(
            allow_origins=[page], allow_credentials=True, allow_methods=["*"], allow_headers=["*"]
        ),
    )
    late = APIRouter()

    @late.get("/late")
    async def late_endpoint():
        return {"endpoint": "late"}

    app.include_router(late)  # after install(): covered all the same
    return app


# For tools that take ``module:attribute`` (``cors-routes explain``), built for EXAMPLE_PORTS.
fastapi_app = build_fastapi(s.EXAMPLE_PORTS)
starlette_app = build_starlette(s.EXAMPLE_PORTS)

PAGE_HTML = (
    "<!doctype html><html><head><title>cors_routes e2e page</title></head><body></body></html>"
)


def page_app() -> Starlette:
    """The page every fetch runs in, served on its own port(s) for any host name."""

    async def page(request: StarletteRequest) -> Response:
        return HTMLResponse(PAGE_HTML)

    async def favicon(request: StarletteRequest) -> Response:
        return Response(status_code=204)

    return Starlette(routes=[Route("/", page), Route("/favicon.ico", favicon)])
