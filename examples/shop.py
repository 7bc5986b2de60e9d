"""An example shop API, built as real apps are: routers, an app factory, origins from settings.

Run it with ``uvicorn examples.shop:app`` (from the repository root) and call it from a page on
http://127.0.0.1:8001 or http://localhost:8001 (``SHOP_CORS_ORIGINS`` changes the list).
``python -m cors_routes demo`` starts the same kind of API together with such a page.
"""

from __future__ import annotations

import os

from fastapi import APIRouter, FastAPI, Header, HTTPException

from cors_routes import CORSPolicy, CORSRoute, cors, install, no_cors

# -- what would be the app's modules: each builds a plain APIRouter ---------------------------

products = APIRouter(prefix="/products", tags=["products"])


@products.get("")
@cors(allow_origins=["*"])  # public read: any site may read the catalogue (no credentials)
async def list_products() -> list[dict[str, object]]:
    return [{"id": 1, "name": "teapot", "price": 20}]


@products.delete("/{product_id}")
@cors(allow_origins=["https://admin.example"], allow_credentials=True)  # admin only
async def delete_product(product_id: int) -> dict[str, object]:
    return {"deleted": product_id}


orders = APIRouter(prefix="/orders", tags=["orders"])


@orders.post("")  # no @cors of its own: the app's default policy applies
async def create_order(authorization: str | None = Header(default=None)) -> dict[str, object]:
    if authorization is None:
        raise HTTPException(401, "log in first")
    return {"id": 42, "status": "created"}


class PartnerRoute(CORSRoute):
    """Every route of the partner router defaults to the partner policy."""

    cors_policy = CORSPolicy(allow_origins=["https://partner.example"], max_age=3600)


partner = APIRouter(prefix="/partner", route_class=PartnerRoute)


@partner.get("/stock")
async def stock() -> dict[str, int]:
    return {"teapot": 7}


internal = APIRouter(prefix="/internal")


@internal.get("/health")
@no_cors  # not for browsers on other origins
async def health() -> dict[str, str]:
    return {"status": "ok"}


# -- the app factory --------------------------------------------------------------------------


def create_app(origins: str | None = None) -> FastAPI:
    """The app, with the browser app's origins from ``SHOP_CORS_ORIGINS`` (comma-separated)."""
    listed = origins or os.environ.get(
        "SHOP_CORS_ORIGINS", "http://127.0.0.1:8001,http://localhost:8001"
    )
    browser_app = CORSPolicy(
        allow_origins=[origin.strip() for origin in listed.split(",") if origin.strip()],
        allow_credentials=True,
        allow_methods=["GET", "POST"],  # unset, the default would grant GET only, as CORSMiddleware
        allow_headers=["Authorization", "Content-Type"],
        expose_headers=["X-Order-Id"],
    )
    app = FastAPI(title="cors_routes example shop")
    for router in (products, orders, partner, internal):
        app.include_router(router)
    return install(app, default=browser_app)


app = create_app()
