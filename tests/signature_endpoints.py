"""Endpoints written the ways applications write them, for tests/test_endpoint_signatures.py.

Each case is a function that registers one endpoint on the router (or returns the endpoint
for the Starlette app) it is given: the route decorator on top, ``@cors`` under it, as the
README teaches. Next to it, the case says what a request to it must get. One case, one
endpoint: an endpoint whose decoration fails fails its own cases only.

The test module loads this file twice: as written, and compiled with
``from __future__ import annotations`` (every annotation a string that FastAPI must
resolve), so the same endpoints are checked both ways. Hence everything an annotation
names is defined at module level, as it must be for string annotations in real apps too.
"""

import dataclasses
import re
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from typing import Annotated, Any, Optional

import fastapi
from fastapi import APIRouter, Depends, Header, Query, Request, Response, WebSocket
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from starlette.endpoints import HTTPEndpoint, WebSocketEndpoint
from starlette.requests import Request as StarletteRequest
from starlette.responses import JSONResponse
from starlette.websockets import WebSocket as StarletteWebSocket

from cors_routes import CORSPolicy, cors

ALLOWED = "https://app.example"
POLICY = CORSPolicy(allow_origins=[ALLOWED], allow_headers=["content-type"])
FASTAPI_VERSION = tuple(int(part) for part in re.findall(r"\d+", fastapi.__version__)[:3])


# --------------------------------------------------------------------------- the cases


@dataclasses.dataclass(frozen=True)
class Case:
    """One endpoint, and what a request to it must get."""

    name: str
    method: str
    add: Callable[..., Any]  # add(router, path) for FastAPI; add() -> endpoint for Starlette
    path: str
    url: str
    request: dict[str, Any]  # httpx arguments: params, json, headers
    status: int = 200
    json: Any = None
    jsonl: Any = None  # the JSON Lines of a streamed body
    text: Any = None
    response_headers: dict[str, str] = dataclasses.field(default_factory=dict)
    parameters: tuple[str, ...] = ()  # the OpenAPI operation's parameters
    request_body: bool = False  # whether the OpenAPI operation has a requestBody
    needs_fastapi: tuple[int, int, int] | None = None  # the first FastAPI that serves it

    def __str__(self) -> str:
        return self.name


@dataclasses.dataclass(frozen=True)
class SocketCase:
    """One WebSocket endpoint: it echoes what it receives, as ``reply`` says."""

    name: str
    add: Callable[..., Any]
    path: str
    url: str
    reply: str  # what the endpoint answers to "ping"

    def __str__(self) -> str:
        return self.name


CASES: list[Case] = []
STARLETTE_CASES: list[Case] = []
SOCKET_CASES: list[SocketCase] = []
STARLETTE_SOCKET_CASES: list[SocketCase] = []


def case(name: str, method: str = "GET", path: str | None = None, url: str | None = None, **kw):
    def register(add):
        route = path or f"/{name}"
        CASES.append(Case(name, method, add, route, url or route, **kw))
        return add

    return register


def starlette_case(name: str, method: str = "GET", **kw):
    def register(add):
        STARLETTE_CASES.append(Case(name, method, add, f"/{name}", f"/{name}", **kw))
        return add

    return register


def socket_case(name: str, reply: str = "echo ping", path: str | None = None, url=None):
    def register(add):
        route = path or f"/{name}"
        SOCKET_CASES.append(SocketCase(name, add, route, url or route, reply))
        return add

    return register


def starlette_socket_case(name: str):
    def register(add):
        STARLETTE_SOCKET_CASES.append(SocketCase(name, add, f"/{name}", f"/{name}", "echo ping"))
        return add

    return register


# --------------------------------------------------------------------------- what endpoints use


class Profile(BaseModel):
    name: str
    tags: list[str] = []


@dataclasses.dataclass
class Point:
    x: int
    y: int


def pagination(offset: int = 0, limit: int = 10) -> dict[str, int]:
    return {"offset": offset, "limit": limit}


async def current_user(x_user: Annotated[str, Header()] = "anonymous") -> str:
    return x_user


def database() -> Iterator[str]:  # a yield dependency, as a database session is
    yield "session"


class Filters:
    """A class that is its own dependency: ``Annotated[Filters, Depends()]``."""

    def __init__(self, q: str | None = None, active: bool = True) -> None:
        self.q = q
        self.active = active


class Greeter:
    def __call__(self, name: str = "world") -> dict[str, str]:
        return {"hello": name}


class AsyncGreeter:
    async def __call__(self, name: str = "world") -> dict[str, str]:
        return {"hello": name}


async def socket_user(websocket: WebSocket) -> str:
    return websocket.query_params.get("user", "anonymous")


async def echo(websocket: Any, suffix: str = "") -> None:
    await websocket.accept()
    text = await websocket.receive_text()
    await websocket.send_text(f"echo {text}{suffix}")
    await websocket.close()


# --------------------------------------------------------------------------- builtin generics

PROFILE = {"name": "ada", "role": "admin"}


@case("builtin-dict-async", "POST", request={"json": PROFILE}, json=PROFILE, request_body=True)
def builtin_dict_async(router: APIRouter, path: str) -> None:
    @router.post(path)
    @cors(POLICY)
    async def update(profile: dict[str, str]) -> dict[str, str]:
        return profile


@case("builtin-dict-sync", "POST", request={"json": PROFILE}, json=PROFILE, request_body=True)
def builtin_dict_sync(router: APIRouter, path: str) -> None:
    @router.post(path)
    @cors(POLICY)
    def update(profile: dict[str, str]) -> dict[str, str]:
        return profile


@case("builtin-list-async", "POST", request={"json": [3, 1, 2]}, json=[1, 2, 3], request_body=True)
def builtin_list_async(router: APIRouter, path: str) -> None:
    @router.post(path)
    @cors(POLICY)
    async def sort_numbers(numbers: list[int]) -> list[int]:
        return sorted(numbers)


@case("builtin-list-sync", "POST", request={"json": [3, 1, 2]}, json=[1, 2, 3], request_body=True)
def builtin_list_sync(router: APIRouter, path: str) -> None:
    @router.post(path)
    @cors(POLICY)
    def sort_numbers(numbers: list[int]) -> list[int]:
        return sorted(numbers)


@case("builtin-tuple-async", "PUT", request={"json": [1, 2]}, json=[2, 1], request_body=True)
def builtin_tuple_async(router: APIRouter, path: str) -> None:
    @router.put(path)
    @cors(POLICY)
    async def reverse(numbers: tuple[int, ...]) -> tuple[int, ...]:
        return numbers[::-1]


@case("builtin-tuple-sync", "PUT", request={"json": [1, 2]}, json=[2, 1], request_body=True)
def builtin_tuple_sync(router: APIRouter, path: str) -> None:
    @router.put(path)
    @cors(POLICY)
    def reverse(numbers: tuple[int, ...]) -> tuple[int, ...]:
        return numbers[::-1]


@case("builtin-set-async", "POST", request={"json": ["a", "a"]}, json=["a"], request_body=True)
def builtin_set_async(router: APIRouter, path: str) -> None:
    @router.post(path)
    @cors(POLICY)
    async def distinct(labels: set[str]) -> set[str]:
        return labels


@case("builtin-set-sync", "POST", request={"json": ["a", "a"]}, json=["a"], request_body=True)
def builtin_set_sync(router: APIRouter, path: str) -> None:
    @router.post(path)
    @cors(POLICY)
    def distinct(labels: set[str]) -> set[str]:
        return labels


IDS = {"params": {"ids": ["1", "2"]}}


@case("builtin-list-query-async", request=IDS, json=[1, 2], parameters=("ids",))
def builtin_list_query_async(router: APIRouter, path: str) -> None:
    @router.get(path)
    @cors(POLICY)
    async def by_ids(ids: Annotated[list[int], Query()]) -> list[int]:
        return ids


@case("builtin-list-query-sync", request=IDS, json=[1, 2], parameters=("ids",))
def builtin_list_query_sync(router: APIRouter, path: str) -> None:
    @router.get(path)
    @cors(POLICY)
    def by_ids(ids: Annotated[list[int], Query()]) -> list[int]:
        return ids


# --------------------------------------------------------------------------- optional values

LIMIT = {"params": {"limit": "5"}}


@case("union-none-async", request=LIMIT, json={"limit": 5}, parameters=("limit",))
def union_none_async(router: APIRouter, path: str) -> None:
    @router.get(path)
    @cors(POLICY)
    async def listing(limit: int | None = None) -> dict[str, int | None]:
        return {"limit": limit}


@case("union-none-sync", request=LIMIT, json={"limit": 5}, parameters=("limit",))
def union_none_sync(router: APIRouter, path: str) -> None:
    @router.get(path)
    @cors(POLICY)
    def listing(limit: int | None = None) -> dict[str, int | None]:
        return {"limit": limit}


@case("optional-async", request=LIMIT, json={"limit": 5}, parameters=("limit",))
def optional_async(router: APIRouter, path: str) -> None:
    @router.get(path)
    @cors(POLICY)
    async def listing(limit: Optional[int] = None) -> dict[str, Optional[int]]:  # noqa: UP045
        return {"limit": limit}


@case("optional-sync", request=LIMIT, json={"limit": 5}, parameters=("limit",))
def optional_sync(router: APIRouter, path: str) -> None:
    @router.get(path)
    @cors(POLICY)
    def listing(limit: Optional[int] = None) -> dict[str, Optional[int]]:  # noqa: UP045
        return {"limit": limit}


# --------------------------------------------------------------------------- Annotated

PAGE = {"params": {"page": "2"}}
TOKEN = {"headers": {"x-token": "abc"}}


@case("annotated-query-async", request=PAGE, json={"page": 2}, parameters=("page",))
def annotated_query_async(router: APIRouter, path: str) -> None:
    @router.get(path)
    @cors(POLICY)
    async def page_of(page: Annotated[int, Query(ge=0)] = 0) -> dict[str, int]:
        return {"page": page}


@case("annotated-query-sync", request=PAGE, json={"page": 2}, parameters=("page",))
def annotated_query_sync(router: APIRouter, path: str) -> None:
    @router.get(path)
    @cors(POLICY)
    def page_of(page: Annotated[int, Query(ge=0)] = 0) -> dict[str, int]:
        return {"page": page}


@case("annotated-header-async", request=TOKEN, json={"token": "abc"}, parameters=("x-token",))
def annotated_header_async(router: APIRouter, path: str) -> None:
    @router.get(path)
    @cors(POLICY)
    async def token(x_token: Annotated[str, Header()]) -> dict[str, str]:
        return {"token": x_token}


@case("annotated-header-sync", request=TOKEN, json={"token": "abc"}, parameters=("x-token",))
def annotated_header_sync(router: APIRouter, path: str) -> None:
    @router.get(path)
    @cors(POLICY)
    def token(x_token: Annotated[str, Header()]) -> dict[str, str]:
        return {"token": x_token}


# --------------------------------------------------------------------------- bodies

ADA = {"name": "ada", "tags": ["math"]}
POINT = {"x": 1, "y": 2}
ITEM = {"sku": "a1", "quantity": 2}


@case("pydantic-body-async", "POST", request={"json": ADA}, json=ADA, request_body=True)
def pydantic_body_async(router: APIRouter, path: str) -> None:
    @router.post(path)
    @cors(POLICY)
    async def create(profile: Profile) -> Profile:
        return profile


@case("pydantic-body-sync", "POST", request={"json": ADA}, json=ADA, request_body=True)
def pydantic_body_sync(router: APIRouter, path: str) -> None:
    @router.post(path)
    @cors(POLICY)
    def create(profile: Profile) -> Profile:
        return profile


@case("dataclass-body-async", "PATCH", request={"json": POINT}, json=POINT, request_body=True)
def dataclass_body_async(router: APIRouter, path: str) -> None:
    @router.patch(path)
    @cors(POLICY)
    async def move(point: Point) -> Point:
        return point


@case("dataclass-body-sync", "PATCH", request={"json": POINT}, json=POINT, request_body=True)
def dataclass_body_sync(router: APIRouter, path: str) -> None:
    @router.patch(path)
    @cors(POLICY)
    def move(point: Point) -> Point:
        return point


@case("forward-ref-async", "POST", request={"json": ITEM}, json=ITEM, request_body=True)
def forward_ref_async(router: APIRouter, path: str) -> None:
    @router.post(path)
    @cors(POLICY)
    async def add_item(item: "Item") -> "Item":  # Item is defined at the end of the module
        return item


@case("forward-ref-sync", "POST", request={"json": ITEM}, json=ITEM, request_body=True)
def forward_ref_sync(router: APIRouter, path: str) -> None:
    @router.post(path)
    @cors(POLICY)
    def add_item(item: "Item") -> "Item":
        return item


# --------------------------------------------------------------------------- path parameters


@case("path-param-async", "DELETE", "/path-param-async/{item_id}", "/path-param-async/7",
      request={}, json={"deleted": 7}, parameters=("item_id",))  # fmt: skip
def path_param_async(router: APIRouter, path: str) -> None:
    @router.delete(path)
    @cors(POLICY)
    async def remove(item_id: int) -> dict[str, int]:
        return {"deleted": item_id}


@case("path-param-sync", "DELETE", "/path-param-sync/{item_id}", "/path-param-sync/7",
      request={}, json={"deleted": 7}, parameters=("item_id",))  # fmt: skip
def path_param_sync(router: APIRouter, path: str) -> None:
    @router.delete(path)
    @cors(POLICY)
    def remove(item_id: int) -> dict[str, int]:
        return {"deleted": item_id}


# --------------------------------------------------------------------------- Request, Response


@case("request-param-async", request={}, json={"path": "/request-param-async"})
def request_param_async(router: APIRouter, path: str) -> None:
    @router.get(path)
    @cors(POLICY)
    async def whoami(request: Request) -> dict[str, str]:
        return {"path": request.url.path}


@case("request-param-sync", request={}, json={"path": "/request-param-sync"})
def request_param_sync(router: APIRouter, path: str) -> None:
    @router.get(path)
    @cors(POLICY)
    def whoami(request: Request) -> dict[str, str]:
        return {"path": request.url.path}


HANDLED = {"x-handled": "yes"}


@case("response-param-async", "POST", request={}, status=202, json={"ok": True},
      response_headers=HANDLED)  # fmt: skip
def response_param_async(router: APIRouter, path: str) -> None:
    @router.post(path)
    @cors(POLICY)
    async def accept(response: Response) -> dict[str, bool]:
        response.status_code = 202
        response.headers["x-handled"] = "yes"
        return {"ok": True}


@case("response-param-sync", "POST", request={}, status=202, json={"ok": True},
      response_headers=HANDLED)  # fmt: skip
def response_param_sync(router: APIRouter, path: str) -> None:
    @router.post(path)
    @cors(POLICY)
    def accept(response: Response) -> dict[str, bool]:
        response.status_code = 202
        response.headers["x-handled"] = "yes"
        return {"ok": True}


# --------------------------------------------------------------------------- dependencies

# depends-default: Depends(...) as the default, the style most applications still use (B008
# is about this very style).
OFFSET = {"params": {"offset": "5"}}
PAGED = {"offset": 5, "limit": 10}
USER = {"headers": {"x-user": "ada"}}
USER_DB = {"user": "ada", "db": "session"}
FILTERS = {"params": {"q": "tea"}}
FILTERED = {"q": "tea", "active": True}


@case("depends-default-async", request=OFFSET, json=PAGED, parameters=("offset", "limit"))
def depends_default_async(router: APIRouter, path: str) -> None:
    @router.get(path)
    @cors(POLICY)
    async def paged(page: dict[str, int] = Depends(pagination)) -> dict[str, int]:  # noqa: B008
        return page


@case("depends-default-sync", request=OFFSET, json=PAGED, parameters=("offset", "limit"))
def depends_default_sync(router: APIRouter, path: str) -> None:
    @router.get(path)
    @cors(POLICY)
    def paged(page: dict[str, int] = Depends(pagination)) -> dict[str, int]:  # noqa: B008
        return page


@case("depends-annotated-async", request=USER, json=USER_DB, parameters=("x-user",))
def depends_annotated_async(router: APIRouter, path: str) -> None:
    @router.get(path)
    @cors(POLICY)
    async def me(
        user: Annotated[str, Depends(current_user)], db: Annotated[str, Depends(database)]
    ) -> dict[str, str]:
        return {"user": user, "db": db}


@case("depends-annotated-sync", request=USER, json=USER_DB, parameters=("x-user",))
def depends_annotated_sync(router: APIRouter, path: str) -> None:
    @router.get(path)
    @cors(POLICY)
    def me(
        user: Annotated[str, Depends(current_user)], db: Annotated[str, Depends(database)]
    ) -> dict[str, str]:
        return {"user": user, "db": db}


@case("depends-class-async", request=FILTERS, json=FILTERED, parameters=("q", "active"))
def depends_class_async(router: APIRouter, path: str) -> None:
    @router.get(path)
    @cors(POLICY)
    async def search(filters: Annotated[Filters, Depends()]) -> dict[str, Any]:
        return {"q": filters.q, "active": filters.active}


@case("depends-class-sync", request=FILTERS, json=FILTERED, parameters=("q", "active"))
def depends_class_sync(router: APIRouter, path: str) -> None:
    @router.get(path)
    @cors(POLICY)
    def search(filters: Annotated[Filters, Depends()]) -> dict[str, Any]:
        return {"q": filters.q, "active": filters.active}


# --------------------------------------------------------------------------- callable objects

NAME = {"params": {"name": "ada"}}


# FastAPI before 0.123.5 runs an object's async __call__ in a thread, without awaiting it.
@case("callable-object-async", request=NAME, json={"hello": "ada"}, parameters=("name",),
      needs_fastapi=(0, 123, 5))  # fmt: skip
def callable_object_async(router: APIRouter, path: str) -> None:
    router.add_api_route(path, cors(POLICY)(AsyncGreeter()), methods=["GET"])


@case("callable-object-sync", request=NAME, json={"hello": "ada"}, parameters=("name",))
def callable_object_sync(router: APIRouter, path: str) -> None:
    router.add_api_route(path, cors(POLICY)(Greeter()), methods=["GET"])


# --------------------------------------------------------------------------- streaming


@case("streaming-response-async", request={}, text="a\nb\n")
def streaming_response_async(router: APIRouter, path: str) -> None:
    async def lines() -> AsyncIterator[str]:
        for line in ("a\n", "b\n"):
            yield line

    @router.get(path)
    @cors(POLICY)
    async def download() -> StreamingResponse:
        return StreamingResponse(lines(), media_type="text/plain")


@case("streaming-response-sync", request={}, text="a\nb\n")
def streaming_response_sync(router: APIRouter, path: str) -> None:
    @router.get(path)
    @cors(POLICY)
    def download() -> StreamingResponse:
        return StreamingResponse(iter(["a\n", "b\n"]), media_type="text/plain")


# A path operation that yields streams its items as JSON Lines (FastAPI 0.134.0).
STREAMED = [{"sku": "a1", "quantity": 1}, {"sku": "b2", "quantity": 3}]


@case("generator-jsonl-async", request={}, jsonl=STREAMED, needs_fastapi=(0, 134, 0))
def generator_jsonl_async(router: APIRouter, path: str) -> None:
    @router.get(path)
    @cors(POLICY)
    async def stream_items() -> AsyncIterable[Item]:  # defined when add() runs
        for item in STREAMED:
            yield Item(**item)


@case("generator-jsonl-sync", request={}, jsonl=STREAMED, needs_fastapi=(0, 134, 0))
def generator_jsonl_sync(router: APIRouter, path: str) -> None:
    @router.get(path)
    @cors(POLICY)
    def stream_items() -> Iterable[Item]:
        for item in STREAMED:
            yield Item(**item)


# --------------------------------------------------------------------------- WebSockets


@socket_case("ws-plain")
def ws_plain(router: APIRouter, path: str) -> None:
    @router.websocket(path)
    @cors(POLICY)
    async def chat(websocket: WebSocket) -> None:
        await echo(websocket)


@socket_case("ws-other-name")
def ws_other_name(router: APIRouter, path: str) -> None:
    @router.websocket(path)
    @cors(POLICY)
    async def chat(connection: WebSocket) -> None:
        await echo(connection)


@socket_case("ws-annotated-socket")
def ws_annotated_socket(router: APIRouter, path: str) -> None:
    @router.websocket(path)
    @cors(POLICY)
    async def chat(socket: Annotated[WebSocket, "the client's socket"]) -> None:
        await echo(socket)


@socket_case("ws-annotated-query", reply="echo ping in lobby")
def ws_annotated_query(router: APIRouter, path: str) -> None:
    @router.websocket(path)
    @cors(POLICY)
    async def chat(websocket: WebSocket, room: Annotated[str, Query()] = "lobby") -> None:
        await echo(websocket, f" in {room}")


@socket_case("ws-depends", reply="echo ping from ada", url="/ws-depends?user=ada")
def ws_depends(router: APIRouter, path: str) -> None:
    @router.websocket(path)
    @cors(POLICY)
    async def chat(websocket: WebSocket, user: Annotated[str, Depends(socket_user)]) -> None:
        await echo(websocket, f" from {user}")


@socket_case("ws-path-param", reply="echo ping in 42", path="/ws-path-param/{room}",
             url="/ws-path-param/42")  # fmt: skip
def ws_path_param(router: APIRouter, path: str) -> None:
    @router.websocket(path)
    @cors(POLICY)
    async def chat(websocket: WebSocket, room: int) -> None:
        await echo(websocket, f" in {room}")


# --------------------------------------------------------------------------- Starlette


@starlette_case("starlette-class-async", json={"method": "GET"}, request={})
def starlette_class_async() -> Any:
    @cors(POLICY)
    class Thing(HTTPEndpoint):
        async def get(self, request: StarletteRequest) -> JSONResponse:
            return JSONResponse({"method": request.method})

    return Thing


@starlette_case("starlette-class-sync", "POST", json={"method": "POST"}, request={"json": {}})
def starlette_class_sync() -> Any:
    @cors(POLICY)
    class Thing(HTTPEndpoint):
        def post(self, request: StarletteRequest) -> JSONResponse:
            return JSONResponse({"method": request.method})

    return Thing


@starlette_case("starlette-function-async", json={"method": "GET"}, request={})
def starlette_function_async() -> Any:
    @cors(POLICY)
    async def thing(request: StarletteRequest) -> JSONResponse:
        return JSONResponse({"method": request.method})

    return thing


@starlette_case("starlette-function-sync", json={"method": "GET"}, request={})
def starlette_function_sync() -> Any:
    @cors(POLICY)
    def thing(request):
        return JSONResponse({"method": request.method})

    return thing


@starlette_case("starlette-function-unannotated", json={"method": "GET"}, request={})
def starlette_function_unannotated() -> Any:
    @cors(POLICY)
    async def thing(req):  # Starlette passes the request positionally, under any name
        return JSONResponse({"method": req.method})

    return thing


@starlette_socket_case("starlette-ws-function")
def starlette_ws_function() -> Any:
    @cors(POLICY)
    async def chat(websocket: StarletteWebSocket) -> None:
        await echo(websocket)

    return chat


@starlette_socket_case("starlette-ws-class")
def starlette_ws_class() -> Any:
    @cors(POLICY)
    class Chat(WebSocketEndpoint):
        encoding = "text"

        async def on_receive(self, websocket: StarletteWebSocket, data: str) -> None:
            await websocket.send_text(f"echo {data}")
            await websocket.close()

    return Chat


# --------------------------------------------------------------------------- defined last


class Item(BaseModel):  # named as a string ("Item") by endpoints above
    sku: str
    quantity: int = 1
