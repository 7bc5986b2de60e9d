"""One small API twice, for docs/contract.md: with Starlette's CORSMiddleware (``before``) and
migrated to ``install()`` as docs/migration.md says (``after``).

``examples/cors-contract.json`` is the contract of ``before``:
``python -m cors_routes snapshot examples.contract_migration:before``.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from pydantic import BaseModel

from cors_routes import CORSPolicy, install

SETTINGS = dict(
    allow_origins=["https://app.example"],
    allow_credentials=True,
    allow_methods=["*"],
    allow_headers=["*"],
    expose_headers=["X-Total-Count"],
)


class Item(BaseModel):
    name: str


def items_router() -> APIRouter:
    router = APIRouter(prefix="/items")

    @router.get("")
    async def list_items() -> list[Item]:
        return []

    @router.delete("/{item_id}")
    async def delete_item(item_id: int) -> dict[str, int]:
        return {"deleted": item_id}

    return router


def create_app(*, migrated: bool) -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(items_router())
    if not migrated:
        app.add_middleware(CORSMiddleware, **SETTINGS)  # type: ignore[arg-type]
        return app
    return install(app, default=CORSPolicy(**SETTINGS))  # type: ignore[arg-type]


before = create_app(migrated=False)
after = create_app(migrated=True)
