"""The @cors policy of an endpoint is found through decorators above it that keep ``__wrapped__``.

``functools.wraps`` copies the function's ``__dict__`` (and with it the ``@cors`` marker)
only with its default ``updated``; a decorator written ``functools.wraps(func, updated=())``
or as a class whose instances keep ``__wrapped__`` does not. FastAPI and Starlette follow
``__wrapped__`` to read the endpoint's signature, so such decorators are common and work;
the endpoint's own policy must answer too, not the install() default nor nothing at all.
"""

from __future__ import annotations

import functools
from typing import Any

import fastapi
import pytest
from cors_helpers import preflight
from fastapi import APIRouter, FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient
from warning_guard import FASTAPI_DOCS_WITHOUT_CORS

from cors_routes import CORSPolicy, CORSRoute, StarletteCORSRoute, cors, install

# Route-class apps keep FastAPI's docs without CORS; the lint's finding about them is not
# what these tests are about (tests/warning_guard.py).
pytestmark = FASTAPI_DOCS_WITHOUT_CORS

PARTNER = "https://partner.example"
DEFAULT_ORIGIN = "https://default.example"
DEFAULT = CORSPolicy(allow_origins=[DEFAULT_ORIGIN])


def audited_without_dict(calls: list[str]) -> Any:
    """A decorator that keeps the name and ``__wrapped__`` but not the function's attributes."""

    def decorator(func: Any) -> Any:
        @functools.wraps(func, updated=())
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            calls.append("audit")
            return await func(*args, **kwargs)

        return wrapper

    return decorator


class Audited:
    """A class-based decorator: its instances are the endpoint, and keep ``__wrapped__``."""

    def __init__(self, func: Any, calls: list[str]) -> None:
        self.__wrapped__ = func
        self.__name__ = func.__name__
        self.__qualname__ = func.__qualname__
        self.__doc__ = func.__doc__
        self.calls = calls

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls.append("audit")
        return await self.__wrapped__(*args, **kwargs)


def audited_by_class(calls: list[str]) -> Any:
    return lambda func: Audited(func, calls)


DECORATORS = {
    "functools.wraps(updated=())": audited_without_dict,
    "a class keeping __wrapped__": audited_by_class,
}


def fastapi_app(decorator: Any, mode: str) -> FastAPI:
    app = FastAPI()
    router = APIRouter(route_class=CORSRoute) if mode == "route class" else APIRouter()

    @router.get("/reports/{report_id}")
    @decorator
    @cors(allow_origins=[PARTNER])
    async def report(report_id: int):
        return {"id": report_id}

    app.include_router(router)
    if mode == "install":
        install(app, default=DEFAULT)
    return app


def starlette_app(decorator: Any, mode: str) -> Starlette:
    @decorator
    @cors(allow_origins=[PARTNER])
    async def report(request: Request) -> Response:
        return PlainTextResponse("report " + request.path_params["report_id"])

    route_class = StarletteCORSRoute if mode == "route class" else Route
    app = Starlette(routes=[route_class("/reports/{report_id}", report)])
    if mode == "install":
        install(app, default=DEFAULT)
    return app


def assert_the_endpoints_policy_answers(client: TestClient, calls: list[str]) -> None:
    answer = preflight(client, "/reports/7", PARTNER, "GET")
    assert answer.status_code == 204, answer
    assert answer.headers["access-control-allow-origin"] == PARTNER
    actual = client.get("/reports/7", headers={"Origin": PARTNER})
    assert actual.status_code == 200
    assert actual.headers.get("access-control-allow-origin") == PARTNER
    assert calls == ["audit"]  # the decorator ran
    # The default does not answer for a route with a policy of its own.
    other = preflight(client, "/reports/7", DEFAULT_ORIGIN, "GET")
    assert "access-control-allow-origin" not in other.headers
    actual = client.get("/reports/7", headers={"Origin": DEFAULT_ORIGIN})
    assert "access-control-allow-origin" not in actual.headers


# FastAPI before 0.123.5 calls an object's async __call__ without awaiting it: such an
# endpoint does not serve at all there, with or without cors_routes.
_FASTAPI = tuple(int(part) for part in fastapi.__version__.split(".")[:3])
_AWAITS_CALLABLE_OBJECTS = _FASTAPI >= (0, 123, 5)


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param(
            name,
            marks=pytest.mark.skipif(
                name == "a class keeping __wrapped__" and not _AWAITS_CALLABLE_OBJECTS,
                reason="this FastAPI does not await an async callable object",
            ),
        )
        for name in DECORATORS
    ],
)
@pytest.mark.parametrize("mode", ["install", "route class"])
def test_fastapi_finds_the_policy_under_a_decorator_keeping_wrapped(kind, mode):
    calls: list[str] = []
    client = TestClient(fastapi_app(DECORATORS[kind](calls), mode))
    assert_the_endpoints_policy_answers(client, calls)


@pytest.mark.parametrize("mode", ["install", "route class"])
def test_starlette_finds_the_policy_under_a_decorator_keeping_wrapped(mode):
    # Starlette serves a function endpoint; an object (the class-based decorator) would be
    # an ASGI app to it, so only the function decorator is a Starlette endpoint.
    calls: list[str] = []
    client = TestClient(starlette_app(audited_without_dict(calls), mode))
    assert_the_endpoints_policy_answers(client, calls)
