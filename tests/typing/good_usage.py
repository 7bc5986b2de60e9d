"""Code as apps write it: passes mypy --strict and pyright strict with no error.

Checked by tests/test_typing.py, never imported or run.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from fastapi import APIRouter, FastAPI
from pydantic import AnyHttpUrl
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse

from cors_routes import CORSOptions, CORSPolicy, CORSRoute, StarletteCORSRoute, cors, install
from cors_routes import no_cors as no_cors

if sys.version_info >= (3, 11):
    from typing import assert_type
else:
    from typing_extensions import assert_type

SHARED = CORSPolicy(allow_origins=["https://app.example"], allow_credentials=True)
FROM_SETTINGS = CORSPolicy(allow_origins=[AnyHttpUrl("https://app.example")], max_age=60)

router = APIRouter(route_class=CORSRoute)


@router.get("/products")
@cors(allow_origins=["*"], allow_methods=["GET"], expose_headers=["X-Total-Count"])
async def list_products() -> list[str]:
    return []


@router.get("/account")
@cors(SHARED)
async def account() -> dict[str, str]:
    return {}


@router.get("/named")
@cors("account")
async def named() -> str:
    return "ok"


@router.get("/health")
@no_cors
def health() -> str:
    return "ok"


# The decorators keep the function's type.
assert_type(health, Callable[[], str])


async def client() -> None:
    assert_type(await list_products(), list[str])


def is_ours(origin: str) -> bool:
    return origin.endswith(".example.com")


async def is_ours_async(origin: str) -> bool:
    return origin.endswith(".example.com")


@cors(
    allow_origin_regex=r"https://[a-z]+\.example\.com",
    allow_origin_func=is_ours,
    allow_headers=("Authorization",),
    allow_private_network=True,
)
def predicate_sync() -> None: ...


@cors(allow_origin_func=is_ours_async, allow_methods=None, allow_origin_regex=None)
def predicate_async() -> None: ...


@cors(allow_origin_func=lambda origin: origin == "null")
def predicate_lambda() -> None: ...


# Options kept in a settings object, then spread.
options: CORSOptions = {"allow_origins": ["https://a.example"], "max_age": 60}
POLICY = CORSPolicy(**options)


@cors(**options)
def spread() -> None: ...


assert_type(SHARED.replace(allow_origins=["https://b.example"]), CORSPolicy)

# install() returns the app with its own type.
app = FastAPI()
app.include_router(router)
assert_type(install(app, default=SHARED), FastAPI)
assert_type(install(Starlette(), default=None, x_cors="without-origins", lint=False), Starlette)


class MyApp(FastAPI):
    pass


assert_type(install(MyApp()), MyApp)


async def homepage(request: Request) -> PlainTextResponse:
    return PlainTextResponse("hi")


ROUTE = StarletteCORSRoute("/", homepage, methods=["GET"], name="home")


WIDER = SHARED.replace(**options)
