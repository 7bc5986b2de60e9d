"""A FastAPI app shaped like a real one, with about 500 routes: the first-request case.

Twenty resource modules, each an ``APIRouter`` of 25 routes (list, create, read, update,
patch, delete, sub-resources, actions) with pydantic models, path parameters, query
parameters and dependencies, included under ``/api/v1/<resource>`` through an API router
(included routers in included routers, as apps are organised), plus a health route, the
docs routes and a few ``@cors`` endpoints. Three variants: no CORS, ``CORSMiddleware``, and
``install()``. Used by ``benchmarks.first_request`` and by the tests that count the first
request's work.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query
from pydantic import BaseModel
from starlette.middleware.cors import CORSMiddleware

from cors_routes import CORSPolicy, cors, install

NONE, MIDDLEWARE, INSTALL = "no CORS", "CORSMiddleware", "cors_routes.install()"
VARIANTS = (NONE, MIDDLEWARE, INSTALL)
RESOURCES = 20
ORIGIN = "https://app.example"
PARTNER = "https://partner.example"
FIRST_PATH = "/api/v1/resource0/"
LAST_PATH = "/api/v1/resource19/7/notes"


class Page(BaseModel):
    offset: int = 0
    limit: int = 50


class ItemIn(BaseModel):
    name: str
    description: str | None = None
    tags: list[str] = []


class Item(ItemIn):
    id: int
    owner: str


class Note(BaseModel):
    id: int
    text: str


class User(BaseModel):
    name: str
    scopes: list[str] = []


def session() -> dict[str, Any]:
    return {}


def current_user(db: Annotated[dict[str, Any], Depends(session)]) -> User:
    return User(name="ada")


def paging(
    offset: Annotated[int, Query(ge=0)] = 0, limit: Annotated[int, Query(le=500)] = 50
) -> Page:
    return Page(offset=offset, limit=limit)


UserDep = Annotated[User, Depends(current_user)]
PageDep = Annotated[Page, Depends(paging)]

PARTNER_POLICY = CORSPolicy(allow_origins=[PARTNER], allow_methods=["GET"])


def resource_router(index: int) -> APIRouter:
    """25 routes about one resource, each endpoint a function of its own (as in a real
    module), with the models and dependencies a real one has."""
    router = APIRouter(tags=[f"resource{index}"])

    @router.get("/", response_model=list[Item])
    def list_items(user: UserDep, page: PageDep, q: str | None = None) -> list[Item]:
        return []

    @router.post("/", response_model=Item, status_code=201)
    def create_item(item: ItemIn, user: UserDep) -> Item:
        return Item(id=1, owner=user.name, **item.model_dump())

    @router.get("/search", response_model=list[Item])
    def search_items(user: UserDep, page: PageDep, text: str = "") -> list[Item]:
        return []

    @router.get("/count")
    def count_items(user: UserDep) -> dict[str, int]:
        return {"count": 0}

    @router.post("/bulk", response_model=list[Item])
    def bulk_create(items: list[ItemIn], user: UserDep) -> list[Item]:
        return []

    @router.delete("/bulk", status_code=204)
    def bulk_delete(ids: list[int], user: UserDep) -> None:
        return None

    @router.get("/export")
    def export_items(user: UserDep, fmt: str = "csv") -> dict[str, str]:
        return {"format": fmt}

    @router.get("/{item_id}", response_model=Item)
    def read_item(item_id: int, user: UserDep) -> Item:
        return Item(id=item_id, owner=user.name, name="x")

    @router.put("/{item_id}", response_model=Item)
    def replace_item(item_id: int, item: ItemIn, user: UserDep) -> Item:
        return Item(id=item_id, owner=user.name, **item.model_dump())

    @router.patch("/{item_id}", response_model=Item)
    def update_item(item_id: int, item: ItemIn, user: UserDep) -> Item:
        return Item(id=item_id, owner=user.name, **item.model_dump())

    @router.delete("/{item_id}", status_code=204)
    def delete_item(item_id: int, user: UserDep) -> None:
        return None

    @router.get("/{item_id}/notes", response_model=list[Note])
    def list_notes(item_id: int, user: UserDep, page: PageDep) -> list[Note]:
        return []

    @router.post("/{item_id}/notes", response_model=Note, status_code=201)
    def add_note(item_id: int, note: Note, user: UserDep) -> Note:
        return note

    @router.get("/{item_id}/notes/{note_id}", response_model=Note)
    def read_note(item_id: int, note_id: int, user: UserDep) -> Note:
        return Note(id=note_id, text="")

    @router.put("/{item_id}/notes/{note_id}", response_model=Note)
    def replace_note(item_id: int, note_id: int, note: Note, user: UserDep) -> Note:
        return note

    @router.delete("/{item_id}/notes/{note_id}", status_code=204)
    def delete_note(item_id: int, note_id: int, user: UserDep) -> None:
        return None

    @router.get("/{item_id}/history")
    def history(item_id: int, user: UserDep, page: PageDep) -> list[dict[str, str]]:
        return []

    @router.post("/{item_id}/archive", response_model=Item)
    def archive(item_id: int, user: UserDep) -> Item:
        return Item(id=item_id, owner=user.name, name="x")

    @router.post("/{item_id}/restore", response_model=Item)
    def restore(item_id: int, user: UserDep) -> Item:
        return Item(id=item_id, owner=user.name, name="x")

    @router.post("/{item_id}/share")
    def share(item_id: int, user: UserDep, to: str) -> dict[str, str]:
        return {"shared": to}

    @router.get("/{item_id}/owners", response_model=list[User])
    def owners(item_id: int, user: UserDep) -> list[User]:
        return [user]

    @router.get("/{item_id}/tags")
    def item_tags(item_id: int, user: UserDep) -> list[str]:
        return []

    @router.put("/{item_id}/tags")
    def set_tags(item_id: int, tags: list[str], user: UserDep) -> list[str]:
        return tags

    @router.get("/{item_id}/public")
    @cors(PARTNER_POLICY)
    def public_view(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    @router.get("/{item_id}/audit")
    def audit(item_id: int, user: UserDep, since: str | None = None) -> list[str]:
        return []

    return router


def build(variant: str, *, lint: bool = True) -> FastAPI:
    """The app in ``variant``: its routes are the same in every variant."""
    app = FastAPI(title="large app")

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    api = APIRouter()
    for index in range(RESOURCES):
        api.include_router(resource_router(index), prefix=f"/resource{index}")
    app.include_router(api, prefix="/api/v1")
    if variant == MIDDLEWARE:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=[ORIGIN],
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["authorization", "content-type"],
        )
    elif variant == INSTALL:
        default = CORSPolicy(
            allow_origins=[ORIGIN],
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["authorization", "content-type"],
        )
        install(app, default=default, lint=lint)
    return app


def route_count(app: FastAPI) -> int:
    from fastapi.routing import iter_route_contexts

    return sum(1 for _ in iter_route_contexts(app.routes))
