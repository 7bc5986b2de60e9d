"""The start-up lint's work grows with the number of routes, not with its square.

It runs at an app's first request: comparing every route with every other made that
request take 3 s at 1,000 routes and 128 s at 10,000 (all routes under ``/api/v1/``, as in
most real apps). Work is counted (Python-level calls, the collector paused), not timed.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from work_counts import calls_made

from cors_routes import CORSPolicy, CORSRoute, lint


def app_with(routes: int) -> FastAPI:
    class Route(CORSRoute):
        cors_policy = CORSPolicy(allow_origins=["https://app.example"])

    router = APIRouter(prefix="/api/v1", route_class=Route)

    async def endpoint() -> None: ...

    for index in range(routes // 2):
        router.add_api_route(f"/things{index}", endpoint, methods=["GET"])
        router.add_api_route(f"/things{index}/{{item_id:int}}", endpoint, methods=["PUT"])
    app = FastAPI(openapi_url=None)
    app.include_router(router)
    return app


def calls_of_the_lint(app: FastAPI) -> int:
    findings: list[lint.Finding] = []
    count = calls_made(lambda: findings.extend(lint.check_app(app)))
    assert not [f for f in findings if f.severity == lint._ERROR], findings
    return count


def test_four_times_the_routes_is_about_four_times_the_work():
    small, large = calls_of_the_lint(app_with(100)), calls_of_the_lint(app_with(400))
    # linear: 4x (plus a constant); comparing routes pair by pair made it about 12x
    assert large < 5 * small, (small, large)
