"""Apps the contract tests snapshot, importable as ``tests.contract_apps:NAME`` by the CLI."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, FastAPI, Header, Path, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

from cors_routes import CORSPolicy, install

APP = "https://app.example"
LOCAL = "http://localhost:5173"
STATIC = FilePath(__file__).resolve().parent / "whole_app"

SETTINGS = dict(
    allow_origins=[APP, LOCAL],
    allow_credentials=True,
    allow_methods=["*"],
    allow_headers=["*"],
    expose_headers=["X-Total-Count"],
)


class Item(BaseModel):
    name: str


def items_router() -> APIRouter:
    router = APIRouter()

    @router.get("/items")
    async def list_items(response: Response) -> list[Item]:
        response.headers["X-Total-Count"] = "0"
        return []

    @router.post("/items/")
    async def create_item(item: Item) -> Item:
        return item

    @router.delete("/items/{item_id}")
    async def delete_item(item_id: Annotated[int, Path(ge=0)]) -> dict[str, int]:
        return {"deleted": item_id}

    @router.get("/files/{file_path:path}")
    async def read_file(file_path: str) -> dict[str, str]:
        return {"path": file_path}

    @router.get("/tokens/{token:uuid}")
    async def read_token(token: uuid.UUID) -> dict[str, str]:
        return {"token": str(token)}

    @router.get("/things/{thing_id:int}")
    async def thing_by_id(thing_id: int) -> dict[str, int]:
        return {"id": thing_id}

    @router.get("/things/{slug}")
    async def thing_by_slug(slug: str) -> dict[str, str]:
        return {"slug": slug}

    @router.get("/events")
    async def events() -> StreamingResponse:
        async def forever() -> AsyncIterator[bytes]:
            while True:
                yield b"data: tick\n\n"

        return StreamingResponse(forever(), media_type="text/event-stream")

    @router.get("/me")
    async def me(authorization: Annotated[str | None, Header()] = None) -> dict[str, bool]:
        return {"signed_in": authorization is not None}

    return router


def build(*, middleware: bool) -> FastAPI:
    app = FastAPI()
    app.include_router(items_router(), prefix="/api")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    if middleware:
        app.add_middleware(CORSMiddleware, **SETTINGS)  # type: ignore[arg-type]
        return app
    return install(app, default=CORSPolicy(**SETTINGS))  # type: ignore[arg-type]


before = build(middleware=True)
after = build(middleware=False)


def any_origin_with_credentials() -> FastAPI:
    """CORSMiddleware's ``*`` with credentials: it reflects every origin (a factory)."""
    app = FastAPI()

    @app.get("/profile")
    async def profile() -> dict[str, str]:
        return {"name": "Ada"}

    app.add_middleware(
        CORSMiddleware, allow_origins=["*"], allow_credentials=True, allow_methods=["*"]
    )
    return app


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    late = APIRouter()

    @late.get("/late")
    async def late_route() -> dict[str, bool]:
        return {"late": True}

    app.include_router(late)
    yield


started = install(FastAPI(lifespan=_lifespan), default=CORSPolicy(allow_origins=[APP]))
