"""Apps of the named-policy and path-policy tests, importable by the command line too
(``python -m cors_routes routes tests.policy_apps:named_app``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, FastAPI, HTTPException, Query, WebSocket
from pydantic import AnyHttpUrl, BaseModel
from pydantic_settings import BaseSettings

from cors_routes import CORSPolicy, cors, install

STAGING = "https://staging.example"
PRODUCTION = "https://app.example"
FRONTEND = "https://www.example"


class Settings(BaseSettings):
    account_origin: AnyHttpUrl = AnyHttpUrl(PRODUCTION)
    frontend_origins: list[AnyHttpUrl] = [AnyHttpUrl(FRONTEND)]


class Profile(BaseModel):
    name: str
    age: int


accounts = APIRouter(prefix="/account")


@accounts.get("/profile")
@cors("account")
async def read_profile() -> dict[str, str]:
    return {"name": "Ada"}


@accounts.put("/profile")
@cors("account")
async def update_profile(profile: Profile) -> Profile:
    return profile


@accounts.get("/orders/{order_id}")
@cors("account")
async def read_order(order_id: int, expand: Annotated[list[str] | None, Query()] = None) -> dict:
    if order_id == 0:
        raise HTTPException(status_code=404, detail="no such order")
    return {"id": order_id, "expand": expand or []}


@accounts.websocket("/live")
@cors("account")
async def live(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text("hello")
    await websocket.close()


catalogue = APIRouter()


@catalogue.get("/products")
async def list_products() -> list[str]:
    return []


def create_app(settings: Settings) -> FastAPI:
    app = FastAPI()
    app.include_router(accounts)
    app.include_router(catalogue)
    return install(
        app,
        default=CORSPolicy(allow_origins=settings.frontend_origins),
        policies={
            "account": CORSPolicy(
                allow_origins=[settings.account_origin],
                allow_credentials=True,
                allow_headers=["content-type"],
            )
        },
        lint=False,
    )


named_app = create_app(Settings(account_origin=STAGING))


# -- policies by path: a library's router of plain APIRoutes ----------------------------------

AUTH_ORIGIN = "https://login.example"
AUTH = CORSPolicy(allow_origins=[AUTH_ORIGIN], allow_credentials=True, allow_methods=["*"])

auth_library = APIRouter()  # as an auth package builds it: plain APIRoutes, no CORS of its own


@auth_library.post("/login")
async def login(credentials: dict[str, str]) -> dict[str, str]:
    if credentials.get("password") != "secret":
        raise HTTPException(status_code=401, detail="bad credentials")
    return {"token": "t"}


@auth_library.get("/me")
async def who_am_i() -> dict[str, str]:
    return {"name": "Ada"}


admin_library = APIRouter()


@admin_library.get("/users")
async def admin_users() -> list[str]:
    return ["ada"]


def create_path_app() -> FastAPI:
    app = FastAPI()
    app.include_router(auth_library, prefix="/auth")
    app.include_router(admin_library, prefix="/admin")
    app.include_router(catalogue)
    return install(
        app,
        default=CORSPolicy(allow_origins=[FRONTEND]),
        paths={"/auth": AUTH, "/admin": None},
        lint=False,
    )


path_app = create_path_app()
