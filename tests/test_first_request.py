"""Under install(), the start-up lint runs when the app starts (the ASGI lifespan), not at
its first request, and nothing cors_routes does sets up every route of the app at once:
FastAPI sets an included router's routes up when a request first reaches that router.

Work is counted, never timed: calls of the lint, and FastAPI's per-route set-ups."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Annotated, Any

import fastapi.routing
import pytest
from fastapi import APIRouter, Depends, FastAPI
from pydantic import BaseModel
from starlette.testclient import TestClient

from cors_routes import CORSPolicy, cors, install, lint
from cors_routes.lint import CORSLintWarning

APP = "https://app.example"
ROUTERS = 6


class Item(BaseModel):
    id: int
    name: str


def user() -> str:
    return "ada"


def resource(index: int) -> APIRouter:
    router = APIRouter()

    @router.get("/", response_model=list[Item])
    def list_items(who: Annotated[str, Depends(user)]) -> list[Item]:
        return []

    @router.get("/{item_id}", response_model=Item)
    def read(item_id: int, who: Annotated[str, Depends(user)]) -> Item:
        return Item(id=item_id, name=who)

    @router.put("/{item_id}", response_model=Item)
    def replace(item_id: int, item: Item) -> Item:
        return item

    @router.delete("/{item_id}", status_code=204, response_model=None)
    def delete(item_id: int) -> None:
        return None

    return router


def any_site(origin: str) -> bool:  # with credentials: the credentials-any-origin error
    return origin.startswith("https://")


def app_with_routers(*, finding: bool = False) -> FastAPI:
    app = FastAPI()
    api = APIRouter()
    for index in range(ROUTERS):
        api.include_router(resource(index), prefix=f"/r{index}")
    if finding:

        @api.get("/open")
        @cors(allow_origin_func=any_site, allow_credentials=True)
        def open_to_all() -> dict[str, bool]:
            return {"ok": True}

    app.include_router(api, prefix="/api")
    install(app, default=CORSPolicy(allow_origins=[APP], allow_methods=["GET", "PUT", "DELETE"]))
    return app


@pytest.fixture
def set_ups(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """The routes FastAPI sets up (builds the handler of) from now on, in order."""
    context = getattr(fastapi.routing, "_EffectiveRouteContext", None)
    if context is None or not hasattr(context, "from_api_route"):
        pytest.skip("this FastAPI sets routes up when they are declared")
    original = context.from_api_route.__func__
    seen: list[Any] = []

    def counted(cls: Any, *, original_route: Any, include_context: Any) -> Any:
        seen.append(original_route)
        return original(cls, original_route=original_route, include_context=include_context)

    monkeypatch.setattr(context, "from_api_route", classmethod(counted))
    yield seen


@pytest.fixture
def lint_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    runs: list[int] = []
    check_app = lint.check_app

    def counted(app: Any, **options: Any) -> list[lint.Finding]:
        runs.append(1)
        return check_app(app, **options)

    monkeypatch.setattr(lint, "check_app", counted)
    return runs


def lint_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, CORSLintWarning)]


def test_the_lint_runs_at_start_up_and_the_first_request_runs_none(lint_runs):
    app = app_with_routers(finding=True)
    expected = [str(finding) for finding in lint.check_app(app, call_async_predicates=False)]
    assert expected and "credentials-any-origin" in expected[0]
    lint_runs.clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with TestClient(app) as client:
            at_start_up = lint_warnings(caught)
            assert lint_runs == [1]
            response = client.get("/api/r0/1", headers={"Origin": APP})
            assert response.headers["access-control-allow-origin"] == APP
            client.get("/api/r5/1", headers={"Origin": APP})
    # Before any request was served, the same findings as `cors-routes check` reports.
    assert at_start_up == expected
    assert lint_runs == [1]  # the requests ran none
    assert lint_warnings(caught) == expected  # and said nothing more


def test_without_a_lifespan_the_first_request_runs_it_once(lint_runs):
    app = app_with_routers(finding=True)
    client = TestClient(app)  # not entered: no lifespan, as under `--lifespan off`
    with pytest.warns(CORSLintWarning, match="credentials-any-origin"):
        client.get("/api/r0/1", headers={"Origin": APP})
    assert lint_runs == [1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client.get("/api/r1/1", headers={"Origin": APP})
    assert lint_runs == [1]


def test_lint_false_runs_it_neither_at_start_up_nor_at_a_request(lint_runs):
    app = FastAPI()
    app.include_router(resource(0), prefix="/r0")
    install(app, default=CORSPolicy(allow_origins=[APP]), lint=False)
    with TestClient(app) as client:
        client.get("/r0/1", headers={"Origin": APP})
    TestClient(app).get("/r0/1", headers={"Origin": APP})
    assert lint_runs == []


def test_the_lint_sets_up_no_route(set_ups):
    app = app_with_routers()
    assert lint.check_app(app) == []
    assert set_ups == []


def test_start_up_and_first_request_set_up_only_what_the_framework_would(set_ups):
    """FastAPI sets up the routes of each included router the router tries on the way to
    the one that serves: the first request to the first router sets up its own routes
    (4), not the app's (24), with install() as without it."""
    with TestClient(app_with_routers()) as client:
        assert set_ups == []  # start-up (the lint included) set up nothing
        client.get("/api/r0/1", headers={"Origin": APP})
    with_install = len(set_ups)
    set_ups.clear()
    plain = FastAPI()
    api = APIRouter()
    for index in range(ROUTERS):
        api.include_router(resource(index), prefix=f"/r{index}")
    plain.include_router(api, prefix="/api")
    with TestClient(plain) as client:
        client.get("/api/r0/1", headers={"Origin": APP})
    assert with_install == len(set_ups) == 4


def test_a_first_preflight_sets_up_only_the_routers_on_its_way(set_ups):
    """Finding the route a preflight is for asks the routes' own matching, which needs
    FastAPI's set-up of the included router it is in, not of every router."""
    with TestClient(app_with_routers()) as client:
        response = client.options(
            "/api/r0/1", headers={"Origin": APP, "Access-Control-Request-Method": "PUT"}
        )
    assert response.status_code == 204
    assert response.headers["access-control-allow-methods"] == "PUT, DELETE"
    assert set_ups and len(set_ups) <= 4
    assert {route.path for route in set_ups} <= {"/", "/{item_id}"}
