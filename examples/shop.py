"""An example API with a different CORS policy per endpoint.

Run it with ``uvicorn examples.shop:app`` (from the repository root) and call it from a page on
http://127.0.0.1:8001 or http://localhost:8001. ``python -m cors_routes demo`` starts the same
kind of API (``cors_routes/demo.py``) together with such a page.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Header, HTTPException

from cors_routes import CORSPolicy, CORSRoute, cors, no_cors

APP_ORIGIN = "http://127.0.0.1:8001"

# A named policy, shared by every endpoint the browser app calls with cookies.
BROWSER_APP = CORSPolicy(
    allow_origins=[APP_ORIGIN, "http://localhost:8001"],
    allow_credentials=True,
    allow_headers=["Authorization", "Content-Type"],
    expose_headers=["X-Order-Id"],
)


class PartnerRoute(CORSRoute):
    """Every route of the partner router defaults to the partner policy."""

    cors_policy = CORSPolicy(allow_origins=["https://partner.example"], max_age=3600)


app = FastAPI(title="cors_routes example shop")
app.router.route_class = CORSRoute


@app.get("/products")
@cors(allow_origins=["*"])
async def list_products() -> list[dict[str, object]]:
    """Public read: any site may read the catalogue (no credentials)."""
    return [{"id": 1, "name": "teapot", "price": 20}]


@app.post("/orders")
@cors(BROWSER_APP)
async def create_order(authorization: str | None = Header(default=None)) -> dict[str, object]:
    """The credentialed browser app only."""
    if authorization is None:
        raise HTTPException(401, "log in first")
    return {"id": 42, "status": "created"}


@app.delete("/products/{product_id}")
@cors(allow_origins=["https://admin.example"], allow_credentials=True)
async def delete_product(product_id: int) -> dict[str, object]:
    """Admin only, on the same path family as the public read."""
    return {"deleted": product_id}


@app.get("/internal/health")
async def health() -> dict[str, str]:
    """No CORS: not for browsers on other origins."""
    return {"status": "ok"}


partner = APIRouter(route_class=PartnerRoute)


@partner.get("/stock")
async def stock() -> dict[str, int]:
    return {"teapot": 7}


@partner.get("/stock/debug")
@no_cors
async def stock_debug() -> dict[str, str]:
    return {"detail": "server-side only"}


app.include_router(partner, prefix="/partner")
