"""Chromium sends ONE preflight for a PUT then a DELETE to one URL: the grant lists every
method the origin is granted there, and the browser's preflight cache (per method) covers
the second request. Under install() and with route classes; counted at the server."""

from __future__ import annotations

from typing import Any

import pytest
from e2e_chromium import chromium_page, free_port, serve
from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from cors_routes import CORSPolicy, CORSRoute, install

SEND_BOTH = """
async (url) => {
  const results = [];
  for (const method of ["PUT", "DELETE"]) {
    const init = {method, headers: {"content-type": "application/json"}};
    if (method === "PUT") init.body = JSON.stringify({name: "pen"});
    try {
      const response = await fetch(url, init);
      results.push(method + " " + response.status);
    } catch (error) {
      results.push(method + " " + error.name);
    }
  }
  return results;
}
"""


class Item(BaseModel):
    name: str


class Counted:
    """Counts the OPTIONS requests that reach the server."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.preflights = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "OPTIONS":
            self.preflights += 1
        await self.app(scope, receive, send)


def api(page_origin: str, style: str) -> FastAPI:
    policy = CORSPolicy(allow_origins=[page_origin], allow_headers=["content-type"])
    if style == "route classes":

        class Route(CORSRoute):
            cors_policy = policy

        router = APIRouter(route_class=Route)
    else:
        router = APIRouter()

    @router.put("/items/{item_id}")
    async def replace(item_id: int, item: Item) -> dict[str, str]:
        return {"name": item.name}

    @router.delete("/items/{item_id}", status_code=204, response_model=None)
    async def delete(item_id: int) -> None:
        return None

    app = FastAPI(openapi_url=None)  # no docs routes: no lint finding about them
    app.include_router(router, prefix="/api")
    if style == "install()":
        install(app, default=policy.replace(allow_methods=["GET", "PUT", "DELETE"]))
    return app


def page() -> FastAPI:
    app = FastAPI()

    @app.get("/")
    async def index() -> HTMLResponse:
        return HTMLResponse("<!doctype html><title>page</title>")

    return app


@pytest.mark.parametrize("style", ["install()", "route classes"])
def test_put_then_delete_to_one_url_costs_one_preflight(style):
    page_port = free_port()
    origin = f"http://127.0.0.1:{page_port}"
    counted = Counted(api(origin, style))
    with serve(page(), page_port), serve(counted) as api_port, chromium_page() as tab:
        tab.goto(origin + "/")
        results = tab.evaluate(SEND_BOTH, f"http://127.0.0.1:{api_port}/api/items/7")
    assert results == ["PUT 200", "DELETE 204"]
    assert counted.preflights == 1
