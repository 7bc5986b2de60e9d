"""@cors on endpoints of every signature applications write (issue 14, item 1).

``@cors`` must accept any endpoint FastAPI or Starlette accepts, on every supported Python:
on Python 3.10 it once crashed at import on ``async def update(profile: dict[str, str])``
(``issubclass()`` on a builtin generic). The grid: the endpoints of
``tests/signature_endpoints.py`` (builtin generics, ``X | None``, ``Optional``,
``Annotated``, pydantic and dataclass bodies, a string forward reference, ``Request``,
``Response``, dependencies, callable objects, streaming, Starlette class endpoints,
WebSockets; sync and async), each

- with its annotations as written, and as strings (``from __future__ import annotations``);
- in a FastAPI app through ``APIRouter(route_class=CORSRoute)`` and through
  ``install(app, default=None)`` (Starlette: ``StarletteCORSRoute`` and ``install``).

Each must decorate without error, answer a request as the endpoint says (with CORS headers
for the allowed origin, none for another), grant a preflight, and keep the signature
FastAPI sees its own (the OpenAPI operation lists the endpoint's parameters). scripts/matrix.sh
runs this on Python 3.10 and on the newest Python available.
"""

import __future__

import json
import sys
import types
from pathlib import Path

import pytest
import signature_endpoints
from fastapi import APIRouter, FastAPI
from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from cors_routes import CORSPolicy, CORSRoute, StarletteCORSRoute, install, no_cors

try:  # the denial-response exception appeared with the extension (Starlette 0.37)
    from starlette.testclient import WebSocketDenialResponse
except ImportError:  # pragma: no cover
    WebSocketDenialResponse = None  # type: ignore[assignment,misc]

ALLOWED = signature_endpoints.ALLOWED
EVIL = "https://evil.example"
ACAO = "access-control-allow-origin"

# With default=None (and with a route class), FastAPI's docs routes have no policy: the
# startup lint says so, rightly, for every app here; any other lint finding still shows.
pytestmark = pytest.mark.filterwarnings(
    r"ignore:warning \[uncovered-route\] GET, HEAD /openapi\.json"
    ":cors_routes.lint.CORSLintWarning"
)


def _with_string_annotations() -> types.ModuleType:
    """signature_endpoints compiled as if it began with ``from __future__ import annotations``.

    The same source, so both variants hold the same endpoints. It is a module of its own
    in ``sys.modules``, where pydantic, dataclasses and FastAPI look names up.
    """
    path = Path(signature_endpoints.__file__)
    name = "signature_endpoints_future"
    if name in sys.modules:
        return sys.modules[name]
    code = compile(
        path.read_text(encoding="utf-8"),
        str(path),
        "exec",
        flags=__future__.annotations.compiler_flag,
        dont_inherit=True,
    )
    module = types.ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module
    exec(code, module.__dict__)
    return module


MODULES = {"as-written": signature_endpoints, "future": _with_string_annotations()}


def grid(attribute: str) -> list:
    """(module label, case index) for every case of both modules, with readable ids."""
    params = []
    for label, module in MODULES.items():
        for index, case in enumerate(getattr(module, attribute)):
            marks = []
            needs = case.needs_fastapi if hasattr(case, "needs_fastapi") else None
            if needs is not None and module.FASTAPI_VERSION < needs:
                version = ".".join(map(str, needs))
                marks.append(pytest.mark.skip(reason=f"needs FastAPI >= {version}"))
            params.append(pytest.param(label, index, id=f"{label}-{case.name}", marks=marks))
    return params


def case_of(label: str, attribute: str, index: int):
    return getattr(MODULES[label], attribute)[index]


# --------------------------------------------------------------------------- apps


def fastapi_app(case, mode: str) -> FastAPI:
    """One endpoint's app: its router's route class gives CORS, or install() does."""
    router = APIRouter(route_class=CORSRoute) if mode == "route-class" else APIRouter()
    case.add(router, case.path)
    app = FastAPI()
    app.include_router(router)
    if mode == "install":
        install(app, default=None)
    return app


def starlette_app(case, mode: str) -> Starlette:
    endpoint = case.add()
    methods = [case.method]
    if mode == "route-class":
        return Starlette(routes=[StarletteCORSRoute(case.path, endpoint, methods=methods)])
    return install(Starlette(routes=[Route(case.path, endpoint, methods=methods)]), default=None)


# --------------------------------------------------------------------------- checks


def send(client: TestClient, case, origin: str):
    request = dict(case.request)
    headers = {**request.pop("headers", {}), "Origin": origin}
    return client.request(case.method, case.url, headers=headers, **request)


def assert_answered(response, case) -> None:
    """The endpoint's own answer: status, body, the headers it set."""
    assert response.status_code == case.status, response.text
    if case.jsonl is not None:
        assert [json.loads(line) for line in response.text.splitlines()] == case.jsonl
    elif case.text is not None:
        assert response.text == case.text
    else:
        assert response.json() == case.json
    for name, value in case.response_headers.items():
        assert response.headers.get(name) == value


def assert_cors(client: TestClient, case) -> None:
    allowed = send(client, case, ALLOWED)
    assert_answered(allowed, case)
    assert allowed.headers.get(ACAO) == ALLOWED

    refused = send(client, case, EVIL)
    assert_answered(refused, case)
    assert ACAO not in refused.headers

    preflight = client.options(
        case.url,
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": case.method,
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert 200 <= preflight.status_code < 300, preflight.text
    assert preflight.headers.get(ACAO) == ALLOWED
    assert case.method in preflight.headers.get("access-control-allow-methods", "")

    evil_preflight = client.options(
        case.url, headers={"Origin": EVIL, "Access-Control-Request-Method": case.method}
    )
    assert ACAO not in evil_preflight.headers


def assert_refused(client: TestClient, url: str) -> None:
    """Refused before accept: a 403 denial response or a close before accept (1008)."""
    with pytest.raises((WebSocketDisconnect, WebSocketDenialResponse)) as info:  # type: ignore[arg-type]
        with client.websocket_connect(url, headers={"Origin": EVIL}) as ws:
            ws.send_text("ping")
            ws.receive_text()
    error = info.value
    if WebSocketDenialResponse is not None and isinstance(error, WebSocketDenialResponse):
        assert error.status_code == 403
    else:
        assert error.code == 1008


def assert_socket_checked(client: TestClient, case) -> None:
    with client.websocket_connect(case.url, headers={"Origin": ALLOWED}) as ws:
        ws.send_text("ping")
        assert ws.receive_text() == case.reply
    assert_refused(client, case.url)


# --------------------------------------------------------------------------- FastAPI

MODES = ["route-class", "install"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("label", "index"), grid("CASES"))
def test_fastapi_endpoint_serves_with_cors(label, index, mode):
    case = case_of(label, "CASES", index)
    with TestClient(fastapi_app(case, mode)) as client:
        assert_cors(client, case)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("label", "index"), grid("CASES"))
def test_fastapi_openapi_lists_the_endpoints_own_parameters(label, index, mode):
    case = case_of(label, "CASES", index)
    schema = fastapi_app(case, mode).openapi()
    operation = schema["paths"][case.path][case.method.lower()]
    names = sorted(parameter["name"] for parameter in operation.get("parameters", []))
    assert names == sorted(case.parameters)
    assert ("requestBody" in operation) == case.request_body


@pytest.mark.parametrize(("label", "index"), grid("SOCKET_CASES"))
def test_fastapi_websocket_checks_origin_under_install(label, index):
    case = case_of(label, "SOCKET_CASES", index)
    router = APIRouter()
    case.add(router, case.path)
    app = FastAPI()
    app.include_router(router)
    install(app, default=None)
    with TestClient(app) as client:
        assert_socket_checked(client, case)


# --------------------------------------------------------------------------- Starlette


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("label", "index"), grid("STARLETTE_CASES"))
def test_starlette_endpoint_serves_with_cors(label, index, mode):
    case = case_of(label, "STARLETTE_CASES", index)
    with TestClient(starlette_app(case, mode)) as client:
        assert_cors(client, case)


@pytest.mark.parametrize(("label", "index"), grid("STARLETTE_SOCKET_CASES"))
def test_starlette_websocket_checks_origin_under_install(label, index):
    case = case_of(label, "STARLETTE_SOCKET_CASES", index)
    app = install(Starlette(routes=[WebSocketRoute(case.path, case.add())]), default=None)
    with TestClient(app) as client:
        assert_socket_checked(client, case)


# --------------------------------------------------------------------------- @no_cors


def test_no_cors_on_builtin_generic_endpoints_opts_out_of_the_default():
    """@no_cors, too, takes any signature: these endpoints serve, without CORS headers."""
    router = APIRouter()

    @router.post("/profile")
    @no_cors
    async def update(profile: dict[str, str]) -> dict[str, str]:
        return profile

    @router.put("/labels")
    @no_cors
    async def relabel(labels: set[str], ids: tuple[int, ...] = ()) -> list[str]:
        return sorted(labels)

    app = FastAPI()
    app.include_router(router)
    install(app, default=CORSPolicy(allow_origins=[ALLOWED]))
    with TestClient(app) as client:
        response = client.post("/profile", json={"a": "b"}, headers={"Origin": ALLOWED})
        assert response.json() == {"a": "b"}
        assert ACAO not in response.headers
        response = client.put("/labels", json={"labels": ["b", "a"]}, headers={"Origin": ALLOWED})
        assert response.json() == ["a", "b"]
        assert ACAO not in response.headers


def test_the_grid_covers_what_issue_14_names():
    """The kinds the issue lists are all in the grid, each as a sync and an async endpoint."""
    names = {case.name for case in signature_endpoints.CASES}
    for kind in (
        "builtin-dict",
        "builtin-list",
        "builtin-tuple",
        "builtin-set",
        "union-none",
        "optional",
        "annotated-query",
        "annotated-header",
        "pydantic-body",
        "dataclass-body",
        "forward-ref",
        "request-param",
        "response-param",
        "depends-default",
        "depends-annotated",
        "generator-jsonl",
    ):
        assert {f"{kind}-sync", f"{kind}-async"} <= names, kind
    assert {"starlette-class-sync", "starlette-class-async"} <= {
        case.name for case in signature_endpoints.STARLETTE_CASES
    }
