from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.cors import CORSMiddleware

from cors_routes import CORSPolicy, install

from . import auth_library, items, users


@dataclass
class Settings:
    allow_origins: list[str] = field(default_factory=lambda: ["https://app.example"])
    static_dir: Path = Path(".")


CORS_SETTINGS = {
    "allow_credentials": True,
    "allow_methods": ["*"],
    "allow_headers": ["*"],
}


def create_app(settings: Settings, cors: str) -> FastAPI:
    app = FastAPI()
    app.include_router(users.router)
    app.include_router(items.router)
    app.include_router(auth_library.get_auth_router(), prefix="/auth", tags=["auth"])
    app.mount("/static", StaticFiles(directory=settings.static_dir), name="static")
    options = {"allow_origins": settings.allow_origins, **CORS_SETTINGS}
    if cors == "middleware":
        app.add_middleware(CORSMiddleware, **options)
    elif cors == "install":
        install(app, default=CORSPolicy(**options))  # the migration: this one line
    late = APIRouter(prefix="/late")

    @late.get("/news")
    def news() -> list[str]:
        return []

    app.include_router(late)  # after the CORS call, as a plugin system would
    return app
