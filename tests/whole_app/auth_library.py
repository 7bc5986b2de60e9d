"""Stands for an auth package: it builds its own router, of plain APIRoutes, in a function."""

from fastapi import APIRouter


def get_auth_router() -> APIRouter:
    router = APIRouter()

    @router.post("/login")
    def login() -> dict[str, str]:
        return {"token": "t"}

    @router.post("/logout")
    def logout() -> None:
        return None

    return router
