"""CORS headers on error responses: HTTPException, 422, 405, 500, streaming, HEAD."""

import pytest
from cors_helpers import acx, vary
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse
from starlette.testclient import TestClient
from warning_guard import FASTAPI_DOCS_WITHOUT_CORS, expected_finding

from cors_routes import CORSRoute, cors

# Route-class apps keep FastAPI's docs without CORS; the lint's finding about them is not
# what these tests are about (tests/warning_guard.py).
pytestmark = FASTAPI_DOCS_WITHOUT_CORS

APP = "https://app.example"
EVIL = "https://evil.example"


class Boom(RuntimeError):
    pass


GRANT = {
    "access-control-allow-origin": APP,
    "access-control-allow-credentials": "true",
    "access-control-expose-headers": "x-request-id",
}
POLICY = dict(allow_origins=[APP], allow_credentials=True, expose_headers=["x-request-id"])


def build_app(debug=False, **app_kwargs):
    app = FastAPI(debug=debug, **app_kwargs)
    app.router.route_class = CORSRoute

    def needs_token(request: Request):
        if request.headers.get("x-token") != "ok":
            raise HTTPException(status_code=401, detail="bad token", headers={"X-Why": "token"})

    @app.get("/http-error")
    @cors(**POLICY)
    def http_error():
        raise HTTPException(status_code=404, detail="missing", headers={"X-Extra": "1"})

    @app.get("/dep-error", dependencies=[Depends(needs_token)])
    @cors(**POLICY)
    def dep_error():
        return {"ok": True}

    @app.get("/items/{item_id}")
    @cors(**POLICY)
    def item(item_id: int, q: int = 0):
        return {"item_id": item_id, "q": q}

    @app.post("/body")
    @cors(**POLICY)
    def body(payload: dict):
        return payload

    @app.get("/boom")
    @cors(**POLICY)
    def boom():
        raise Boom("kaboom")

    @app.get("/aboom")
    @cors(**POLICY)
    async def aboom():
        raise Boom("async kaboom")

    @app.get("/stream")
    @cors(**POLICY)
    def stream():
        def gen():
            for i in range(3):
                yield f"chunk{i};"

        return StreamingResponse(gen(), media_type="text/plain")

    @app.get("/astream")
    @cors(**POLICY)
    async def astream():
        async def gen():
            for i in range(3):
                yield f"a{i};".encode()

        return StreamingResponse(gen(), media_type="text/plain")

    @app.api_route("/head", methods=["GET", "HEAD"])
    @cors(**POLICY)
    def head():
        return PlainTextResponse("hello", headers={"X-Len": "5"})

    @app.get("/get-only")
    @cors(**POLICY)
    def get_only():
        return "get"

    return app


@pytest.fixture
def client():
    return TestClient(build_app())


@pytest.fixture
def quiet_client():
    return TestClient(build_app(), raise_server_exceptions=False)


# ---------- HTTPException


def test_http_exception_from_endpoint(client):
    r = client.get("/http-error", headers={"Origin": APP})
    assert r.status_code == 404
    assert r.json() == {"detail": "missing"}
    assert r.headers["x-extra"] == "1"
    assert acx(r) == GRANT
    assert vary(r) == ["origin"]


def test_http_exception_from_endpoint_disallowed_origin(client):
    r = client.get("/http-error", headers={"Origin": EVIL})
    assert r.status_code == 404
    assert r.json() == {"detail": "missing"}
    assert acx(r) == {}
    assert vary(r) == ["origin"]


def test_http_exception_from_dependency(client):
    r = client.get("/dep-error", headers={"Origin": APP})
    assert r.status_code == 401
    assert r.json() == {"detail": "bad token"}
    assert r.headers["x-why"] == "token"
    assert acx(r) == GRANT
    assert vary(r) == ["origin"]


def test_dependency_passes(client):
    r = client.get("/dep-error", headers={"Origin": APP, "X-Token": "ok"})
    assert r.status_code == 200
    assert acx(r) == GRANT


def test_custom_http_exception_handler_response_gets_headers():
    app = build_app()

    @app.exception_handler(HTTPException)
    async def handler(request, exc):
        return JSONResponse({"custom": exc.detail}, status_code=exc.status_code)

    r = TestClient(app).get("/http-error", headers={"Origin": APP})
    assert r.status_code == 404
    assert r.json() == {"custom": "missing"}
    assert acx(r) == GRANT


def test_custom_exception_class_handler_response_gets_headers():
    app = build_app()

    class Teapot(Exception):
        pass

    @app.exception_handler(Teapot)
    async def handler(request, exc):
        return PlainTextResponse("short and stout", status_code=418)

    @app.get("/teapot")
    @cors(**POLICY)
    def teapot():
        raise Teapot()

    r = TestClient(app).get("/teapot", headers={"Origin": APP})
    assert r.status_code == 418
    assert r.text == "short and stout"
    assert acx(r) == GRANT


# ---------- 422 / 400


def test_422_path_param(client):
    r = client.get("/items/abc", headers={"Origin": APP})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["path", "item_id"]
    assert acx(r) == GRANT
    assert vary(r) == ["origin"]


def test_422_query_param(client):
    r = client.get("/items/1?q=x", headers={"Origin": APP})
    assert r.status_code == 422
    assert acx(r) == GRANT


def test_422_disallowed_origin(client):
    r = client.get("/items/abc", headers={"Origin": EVIL})
    assert r.status_code == 422
    assert acx(r) == {}


def test_422_body(client):
    r = client.post(
        "/body",
        content=b'"not an object"',
        headers={"Origin": APP, "Content-Type": "application/json"},
    )
    assert r.status_code == 422
    assert acx(r) == GRANT


def test_400_malformed_json_body(client):
    r = client.post(
        "/body", content=b"{not json", headers={"Origin": APP, "Content-Type": "application/json"}
    )
    assert r.status_code in (400, 422)
    assert acx(r) == GRANT


def test_success_path_param(client):
    r = client.get("/items/3?q=4", headers={"Origin": APP})
    assert r.status_code == 200
    assert r.json() == {"item_id": 3, "q": 4}
    assert acx(r) == GRANT


# ---------- 405


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_405_wrong_method_on_cors_path(client, method):
    r = client.request(method, "/get-only", headers={"Origin": APP})
    assert r.status_code == 405
    assert r.headers["allow"] == "GET"
    assert acx(r) == GRANT
    assert vary(r) == ["origin"]


def test_405_disallowed_origin(client):
    r = client.delete("/get-only", headers={"Origin": EVIL})
    assert r.status_code == 405
    assert acx(r) == {}
    assert vary(r) == ["origin"]


def test_405_without_origin_has_vary(client):
    r = client.delete("/get-only")
    assert r.status_code == 405
    assert acx(r) == {}
    assert vary(r) == ["origin"]


def test_405_any_origin_policy():
    app = FastAPI()
    app.router.route_class = CORSRoute

    @app.get("/x")
    @cors(allow_origins=["*"])
    def x():
        return 1

    r = TestClient(app).post("/x", headers={"Origin": APP})
    assert r.status_code == 405
    assert r.headers["access-control-allow-origin"] == "*"


def test_head_not_declared_is_405():
    # FastAPI adds no implicit HEAD to GET routes
    r = TestClient(build_app()).head("/get-only", headers={"Origin": APP})
    assert r.status_code == 405
    assert r.headers["access-control-allow-origin"] == APP


# ---------- unhandled exceptions


@pytest.mark.parametrize("path", ["/boom", "/aboom"])
def test_unhandled_exception_reraised_by_default(client, path):
    with pytest.raises(Boom):
        client.get(path, headers={"Origin": APP})


@pytest.mark.parametrize("path", ["/boom", "/aboom"])
def test_unhandled_exception_500_has_cors_headers(quiet_client, path):
    r = quiet_client.get(path, headers={"Origin": APP})
    assert r.status_code == 500
    assert r.text == "Internal Server Error"
    assert acx(r) == GRANT
    assert vary(r) == ["origin"]


def test_unhandled_exception_500_disallowed_origin(quiet_client):
    r = quiet_client.get("/boom", headers={"Origin": EVIL})
    assert r.status_code == 500
    assert acx(r) == {}
    assert vary(r) == ["origin"]


def test_unhandled_exception_500_without_origin(quiet_client):
    r = quiet_client.get("/boom")
    assert r.status_code == 500
    assert acx(r) == {}
    assert vary(r) == ["origin"]


def test_unhandled_exception_500_any_origin():
    app = FastAPI()
    app.router.route_class = CORSRoute

    @app.get("/boom")
    @cors(allow_origins=["*"])
    def boom():
        raise Boom()

    r = TestClient(app, raise_server_exceptions=False).get("/boom", headers={"Origin": APP})
    assert r.status_code == 500
    assert acx(r) == {"access-control-allow-origin": "*"}


@pytest.mark.parametrize("key", [500, Exception])
def test_app_500_handler_is_used(key):
    seen = []

    async def handler(request, exc):
        seen.append(type(exc))
        return JSONResponse({"oops": str(exc)}, status_code=500, headers={"X-Handler": "yes"})

    app = build_app(exception_handlers={key: handler})
    r = TestClient(app, raise_server_exceptions=False).get("/boom", headers={"Origin": APP})
    assert r.status_code == 500
    assert r.json() == {"oops": "kaboom"}
    assert r.headers["x-handler"] == "yes"
    assert acx(r) == GRANT
    # the route renders with the handler, then re-raises; Starlette's
    # ServerErrorMiddleware calls the handler again (its response is dropped)
    assert seen and set(seen) == {Boom}


def test_app_500_handler_still_reraises():
    async def handler(request, exc):
        return JSONResponse({"oops": True}, status_code=500)

    app = build_app(exception_handlers={Exception: handler})
    with pytest.raises(Boom):
        TestClient(app).get("/boom", headers={"Origin": APP})


@pytest.mark.parametrize("accept, marker", [("text/html", "<html"), ("text/plain", "Boom")])
def test_debug_page_has_cors_headers(accept, marker):
    app = build_app(debug=True)
    r = TestClient(app, raise_server_exceptions=False).get(
        "/boom", headers={"Origin": APP, "Accept": accept}
    )
    assert r.status_code == 500
    assert marker in r.text
    assert "kaboom" in r.text
    assert acx(r) == GRANT


@expected_finding("uncovered-route")  # the plain route is the point
def test_exception_outside_cors_route_unaffected():
    app = build_app()

    @app.get("/plain-boom")
    def plain_boom():
        raise Boom()

    r = TestClient(app, raise_server_exceptions=False).get("/plain-boom", headers={"Origin": APP})
    assert r.status_code == 500
    assert acx(r) == {}
    assert "origin" not in vary(r)


def test_unhandled_exception_logged_once_by_server(quiet_client):
    # the 500 is sent once; a second request works normally
    r1 = quiet_client.get("/boom", headers={"Origin": APP})
    r2 = quiet_client.get("/get-only", headers={"Origin": APP})
    assert r1.status_code == 500
    assert r2.status_code == 200
    assert r2.json() == "get"


# ---------- streaming


@pytest.mark.parametrize(
    "path, body", [("/stream", "chunk0;chunk1;chunk2;"), ("/astream", "a0;a1;a2;")]
)
def test_streaming_response_has_cors_headers(client, path, body):
    r = client.get(path, headers={"Origin": APP})
    assert r.status_code == 200
    assert r.text == body
    assert acx(r) == GRANT
    assert vary(r) == ["origin"]


def test_streaming_response_disallowed_origin(client):
    r = client.get("/stream", headers={"Origin": EVIL})
    assert r.text == "chunk0;chunk1;chunk2;"
    assert acx(r) == {}


def test_streaming_with_stream_reader(client):
    with client.stream("GET", "/stream", headers={"Origin": APP}) as r:
        assert r.headers["access-control-allow-origin"] == APP
        assert b"".join(r.iter_bytes()) == b"chunk0;chunk1;chunk2;"


# ---------- HEAD


def test_head_where_declared(client):
    r = client.head("/head", headers={"Origin": APP})
    assert r.status_code == 200
    assert r.content == b""
    assert r.headers["x-len"] == "5"
    assert acx(r) == GRANT
    assert vary(r) == ["origin"]


def test_get_on_head_route(client):
    r = client.get("/head", headers={"Origin": APP})
    assert r.text == "hello"
    assert acx(r) == GRANT


def test_head_preflight_where_declared(client):
    r = client.options("/head", headers={"Origin": APP, "Access-Control-Request-Method": "HEAD"})
    assert r.status_code == 204
    assert r.headers["access-control-allow-methods"] == "HEAD"


def test_head_disallowed_origin(client):
    r = client.head("/head", headers={"Origin": EVIL})
    assert r.status_code == 200
    assert acx(r) == {}
