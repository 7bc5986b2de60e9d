"""Actual (non-preflight) requests: ACAO, ACAC, ACEH and Vary."""

import pytest
from cors_helpers import acx, names, vary
from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.testclient import TestClient
from warning_guard import FASTAPI_DOCS_WITHOUT_CORS

from cors_routes import CORSRoute, cors

# Route-class apps keep FastAPI's docs without CORS; the lint's finding about them is not
# what these tests are about (tests/warning_guard.py).
pytestmark = FASTAPI_DOCS_WITHOUT_CORS

APP = "https://app.example"
OTHER = "https://other.example"
EVIL = "https://evil.example"


def make_client(**policy):
    app = FastAPI()
    app.router.route_class = CORSRoute

    @app.api_route("/r", methods=["GET", "POST", "PUT", "DELETE"])
    @cors(**policy)
    def endpoint(response: Response):
        response.headers["X-Total"] = "7"
        response.headers["X-Secret"] = "s"
        return {"hello": "world"}

    @app.get("/status")
    @cors(**policy)
    def status():
        return JSONResponse({"created": True}, status_code=201)

    return TestClient(app)


# ---------- allowed origin


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE"])
def test_allowed_origin_gets_acao(method):
    client = make_client(allow_origins=[APP])
    r = client.request(method, "/r", headers={"Origin": APP})
    assert r.status_code == 200
    assert r.json() == {"hello": "world"}
    assert acx(r) == {"access-control-allow-origin": APP}
    assert vary(r) == ["origin"]


def test_allowed_origin_among_several():
    client = make_client(allow_origins=[APP, OTHER])
    r = client.get("/r", headers={"Origin": OTHER})
    assert acx(r) == {"access-control-allow-origin": OTHER}


def test_allowed_origin_with_credentials():
    client = make_client(allow_origins=[APP], allow_credentials=True)
    r = client.get("/r", headers={"Origin": APP})
    assert acx(r) == {
        "access-control-allow-origin": APP,
        "access-control-allow-credentials": "true",
    }
    assert vary(r) == ["origin"]


def test_expose_headers():
    client = make_client(allow_origins=[APP], expose_headers=["X-Total", "ETag"])
    r = client.get("/r", headers={"Origin": APP})
    assert r.headers["access-control-allow-origin"] == APP
    assert names(r.headers["access-control-expose-headers"]) == ["etag", "x-total"]
    assert set(acx(r)) == {"access-control-allow-origin", "access-control-expose-headers"}


def test_expose_headers_with_credentials():
    client = make_client(allow_origins=[APP], expose_headers=["x-total"], allow_credentials=True)
    r = client.get("/r", headers={"Origin": APP})
    assert acx(r) == {
        "access-control-allow-origin": APP,
        "access-control-allow-credentials": "true",
        "access-control-expose-headers": "x-total",
    }


def test_expose_star_without_credentials():
    client = make_client(allow_origins=[APP], expose_headers=["*"])
    r = client.get("/r", headers={"Origin": APP})
    assert r.headers["access-control-expose-headers"] == "*"


def test_actual_response_has_no_preflight_headers():
    client = make_client(
        allow_origins=[APP],
        allow_headers=["x-token"],
        allow_methods=["GET"],
        max_age=100,
        allow_private_network=True,
    )
    r = client.get("/r", headers={"Origin": APP, "Access-Control-Request-Method": "GET"})
    assert r.status_code == 200
    for name in (
        "access-control-allow-methods",
        "access-control-allow-headers",
        "access-control-max-age",
        "access-control-allow-private-network",
    ):
        assert name not in r.headers


def test_endpoint_status_kept():
    client = make_client(allow_origins=[APP])
    r = client.get("/status", headers={"Origin": APP})
    assert r.status_code == 201
    assert r.json() == {"created": True}
    assert r.headers["access-control-allow-origin"] == APP


def test_endpoint_own_headers_kept():
    client = make_client(allow_origins=[APP])
    r = client.get("/r", headers={"Origin": APP})
    assert r.headers["x-total"] == "7"
    assert r.headers["x-secret"] == "s"
    assert r.headers["content-type"] == "application/json"


def test_single_acao_header_line():
    client = make_client(allow_origins=[APP], allow_credentials=True, expose_headers=["x-total"])
    r = client.get("/r", headers={"Origin": APP})
    assert r.headers.get_list("access-control-allow-origin") == [APP]
    assert r.headers.get_list("access-control-allow-credentials") == ["true"]
    assert len(r.headers.get_list("access-control-expose-headers")) == 1


# ---------- disallowed / missing origin


@pytest.mark.parametrize("credentials", [False, True])
def test_disallowed_origin_gets_nothing(credentials):
    client = make_client(
        allow_origins=[APP], allow_credentials=credentials, expose_headers=["x-total"]
    )
    r = client.get("/r", headers={"Origin": EVIL})
    assert r.status_code == 200
    assert r.json() == {"hello": "world"}
    assert acx(r) == {}
    assert vary(r) == ["origin"]


def test_disallowed_origin_status_and_body_unchanged():
    client = make_client(allow_origins=[APP])
    r = client.get("/status", headers={"Origin": EVIL})
    assert r.status_code == 201
    assert r.json() == {"created": True}
    assert acx(r) == {}


def test_disallowed_origin_post_still_runs_endpoint():
    calls = []
    app = FastAPI()
    app.router.route_class = CORSRoute

    @app.post("/p")
    @cors(allow_origins=[APP])
    def p():
        calls.append(1)
        return "done"

    r = TestClient(app).post("/p", headers={"Origin": EVIL})
    assert r.status_code == 200
    assert r.json() == "done"
    assert calls == [1]
    assert acx(r) == {}


def test_missing_origin_gets_vary_but_no_cors_headers():
    client = make_client(allow_origins=[APP], allow_credentials=True, expose_headers=["x-total"])
    r = client.get("/r")
    assert r.status_code == 200
    assert acx(r) == {}
    assert vary(r) == ["origin"]


@pytest.mark.parametrize("origin", ["null", "", "https://app.example/", "app.example", "*"])
def test_odd_origins_not_allowed(origin):
    client = make_client(allow_origins=[APP])
    r = client.get("/r", headers={"Origin": origin})
    assert r.status_code == 200
    assert acx(r) == {}
    assert vary(r) == ["origin"]


def test_origin_case_is_significant():
    # exact origins match byte for byte (browsers serialise origins lower-case)
    client = make_client(allow_origins=[APP])
    r = client.get("/r", headers={"Origin": "https://APP.example"})
    assert acx(r) == {}


# ---------- any-origin policy


@pytest.mark.parametrize("origin", [APP, EVIL, "null", None])
def test_star_policy_sends_star_on_every_response(origin):
    client = make_client(allow_origins=["*"], expose_headers=["x-total"])
    headers = {"Origin": origin} if origin is not None else {}
    r = client.get("/r", headers=headers)
    assert r.status_code == 200
    assert acx(r) == {
        "access-control-allow-origin": "*",
        "access-control-expose-headers": "x-total",
    }
    assert "origin" not in vary(r)


def test_star_policy_never_sends_credentials():
    client = make_client(allow_origins=["*"])
    r = client.get("/r", headers={"Origin": APP, "Cookie": "a=b"})
    assert acx(r) == {"access-control-allow-origin": "*"}


def test_star_policy_keeps_endpoint_vary():
    app = FastAPI()
    app.router.route_class = CORSRoute

    @app.get("/v")
    @cors(allow_origins=["*"])
    def v():
        return PlainTextResponse("x", headers={"Vary": "Accept-Encoding"})

    r = TestClient(app).get("/v", headers={"Origin": APP})
    assert r.headers["access-control-allow-origin"] == "*"
    assert vary(r) == ["accept-encoding"]


def test_star_and_exact_listed_together_acts_as_star():
    client = make_client(allow_origins=[APP, "*"])
    r = client.get("/r", headers={"Origin": EVIL})
    assert r.headers["access-control-allow-origin"] == "*"


# ---------- Vary merging


def vary_client(endpoint_vary):
    app = FastAPI()
    app.router.route_class = CORSRoute

    @app.get("/v")
    @cors(allow_origins=[APP])
    def v():
        return PlainTextResponse("x", headers={"Vary": endpoint_vary})

    return TestClient(app)


@pytest.mark.parametrize("origin", [APP, EVIL, None])
def test_vary_appended_to_endpoint_vary(origin):
    r = vary_client("Accept-Encoding").get("/v", headers={"Origin": origin} if origin else {})
    assert len(r.headers.get_list("vary")) == 1
    assert vary(r) == ["accept-encoding", "origin"]


@pytest.mark.parametrize(
    "endpoint_vary", ["Origin", "origin", "ORIGIN", "Accept, Origin", "origin,accept"]
)
def test_vary_origin_never_duplicated(endpoint_vary):
    r = vary_client(endpoint_vary).get("/v", headers={"Origin": APP})
    tokens = vary(r)
    assert tokens.count("origin") == 1
    assert len(r.headers.get_list("vary")) == 1
    assert set(tokens) == {t.strip().lower() for t in endpoint_vary.split(",")}


def test_vary_star_left_alone():
    r = vary_client("*").get("/v", headers={"Origin": APP})
    assert vary(r) == ["*"]
    assert r.headers["access-control-allow-origin"] == APP


def test_vary_via_response_parameter():
    app = FastAPI()
    app.router.route_class = CORSRoute

    @app.get("/v")
    @cors(allow_origins=[APP])
    def v(response: Response):
        response.headers["Vary"] = "Cookie"
        return {}

    r = TestClient(app).get("/v", headers={"Origin": APP})
    assert vary(r) == ["cookie", "origin"]
    assert len(r.headers.get_list("vary")) == 1


# ---------- no state between requests


def test_allowed_origin_does_not_leak_between_requests():
    client = make_client(allow_origins=[APP, OTHER], allow_credentials=True)
    r1 = client.get("/r", headers={"Origin": APP})
    r2 = client.get("/r", headers={"Origin": EVIL})
    r3 = client.get("/r", headers={"Origin": OTHER})
    r4 = client.get("/r")
    assert r1.headers["access-control-allow-origin"] == APP
    assert acx(r2) == {}
    assert r3.headers["access-control-allow-origin"] == OTHER
    assert acx(r4) == {}


def test_concurrent_requests_get_their_own_origin():
    import asyncio

    import httpx

    app = FastAPI()
    app.router.route_class = CORSRoute
    origins = [f"https://o{i}.example" for i in range(20)]

    @app.get("/slow")
    @cors(allow_origins=origins[::2], allow_credentials=True)
    async def slow():
        await asyncio.sleep(0.01)
        return {}

    async def run():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as ac:
            return await asyncio.gather(*(ac.get("/slow", headers={"Origin": o}) for o in origins))

    responses = asyncio.run(run())
    for i, (origin, r) in enumerate(zip(origins, responses, strict=True)):
        assert r.status_code == 200
        if i % 2 == 0:
            assert r.headers["access-control-allow-origin"] == origin
            assert r.headers["access-control-allow-credentials"] == "true"
        else:
            assert acx(r) == {}
        assert vary(r) == ["origin"]


def test_endpoint_with_two_vary_lines():
    app = FastAPI()
    app.router.route_class = CORSRoute

    @app.get("/v")
    @cors(allow_origins=[APP])
    def v():
        response = PlainTextResponse("x")
        response.raw_headers.append((b"vary", b"Accept"))
        response.raw_headers.append((b"vary", b"Cookie"))
        return response

    r = TestClient(app).get("/v", headers={"Origin": APP})
    tokens = vary(r)
    assert sorted(tokens) == ["accept", "cookie", "origin"]


def test_background_tasks_still_run():
    from fastapi import BackgroundTasks

    done = []
    app = FastAPI()
    app.router.route_class = CORSRoute

    @app.post("/bg")
    @cors(allow_origins=[APP])
    def bg(tasks: BackgroundTasks):
        tasks.add_task(done.append, "ran")
        return "queued"

    r = TestClient(app).post("/bg", headers={"Origin": APP})
    assert r.json() == "queued"
    assert r.headers["access-control-allow-origin"] == APP
    assert done == ["ran"]
