"""Preflight requests: OPTIONS + Origin + Access-Control-Request-Method."""

import pytest
from cors_helpers import acx, names, preflight, vary
from fastapi import APIRouter, Depends, FastAPI, HTTPException
from starlette.testclient import TestClient
from warning_guard import FASTAPI_DOCS_WITHOUT_CORS, expected_finding

from cors_routes import CORSPolicy, CORSRoute, cors

# Route-class apps keep FastAPI's docs without CORS; the lint's finding about them is not
# what these tests are about (tests/warning_guard.py).
pytestmark = FASTAPI_DOCS_WITHOUT_CORS

APP = "https://app.example"
ADMIN = "https://admin.example"
EVIL = "https://evil.example"
PREFLIGHT_VARY = {"origin", "access-control-request-method", "access-control-request-headers"}


def make_client(methods=("GET",), path="/items", **policy):
    app = FastAPI()
    router = APIRouter(route_class=CORSRoute)

    @router.api_route(path, methods=list(methods))
    @cors(**policy)
    def endpoint():
        return {"ok": True}

    app.include_router(router)
    return TestClient(app)


def assert_refused(response):
    assert response.status_code == 403
    assert response.content == b""
    assert acx(response) == {}


# ---------- grants


def test_granted_preflight_exact_headers():
    client = make_client(methods=["GET", "POST"], allow_origins=[APP], allow_headers=["x-token"])
    r = preflight(client, "/items", APP, "POST", "x-token")
    assert r.status_code == 204
    assert r.content == b""
    assert acx(r) == {
        "access-control-allow-origin": APP,
        "access-control-allow-methods": "POST",
        "access-control-allow-headers": "x-token",
        "access-control-max-age": "600",
    }
    assert set(vary(r)) == PREFLIGHT_VARY
    assert len(vary(r)) == 3


def test_granted_preflight_without_request_headers_has_no_allow_headers():
    client = make_client(methods=["PUT"], allow_origins=[APP])
    r = preflight(client, "/items", APP, "PUT")
    assert r.status_code == 204
    assert acx(r) == {
        "access-control-allow-origin": APP,
        "access-control-allow-methods": "PUT",
        "access-control-max-age": "600",
    }


def test_granted_preflight_with_credentials():
    client = make_client(
        methods=["DELETE"], allow_origins=[APP], allow_credentials=True, allow_headers=["x-token"]
    )
    r = preflight(client, "/items", APP, "DELETE", "x-token")
    assert r.status_code == 204
    assert acx(r) == {
        "access-control-allow-origin": APP,
        "access-control-allow-credentials": "true",
        "access-control-allow-methods": "DELETE",
        "access-control-allow-headers": "x-token",
        "access-control-max-age": "600",
    }


def test_any_origin_preflight_answers_star():
    client = make_client(methods=["PUT"], allow_origins=["*"], allow_headers=["x-token"])
    r = preflight(client, "/items", EVIL, "PUT", "x-token")
    assert r.status_code == 204
    assert acx(r) == {
        "access-control-allow-origin": "*",
        "access-control-allow-methods": "PUT",
        "access-control-allow-headers": "x-token",
        "access-control-max-age": "600",
    }
    assert set(vary(r)) == PREFLIGHT_VARY


def test_preflight_does_not_include_expose_headers():
    client = make_client(methods=["PUT"], allow_origins=[APP], expose_headers=["x-total"])
    r = preflight(client, "/items", APP, "PUT")
    assert r.status_code == 204
    assert "access-control-expose-headers" not in acx(r)


@pytest.mark.parametrize("max_age, expected", [(600, "600"), (3600, "3600"), (86400, "86400")])
def test_max_age(max_age, expected):
    client = make_client(methods=["PUT"], allow_origins=[APP], max_age=max_age)
    r = preflight(client, "/items", APP, "PUT")
    assert r.status_code == 204
    assert r.headers["access-control-max-age"] == expected


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST"])
def test_safelisted_methods_are_granted_when_served(method):
    client = make_client(methods=[method], allow_origins=[APP])
    r = preflight(client, "/items", APP, method)
    assert r.status_code == 204
    assert r.headers["access-control-allow-methods"] == method


def test_allow_methods_star_grants_served_method():
    client = make_client(methods=["PATCH"], allow_origins=[APP], allow_methods=["*"])
    r = preflight(client, "/items", APP, "PATCH")
    assert r.status_code == 204
    assert r.headers["access-control-allow-methods"] == "PATCH"


def test_allow_methods_star_with_credentials_reflects():
    client = make_client(
        methods=["PATCH"], allow_origins=[APP], allow_methods=["*"], allow_credentials=True
    )
    r = preflight(client, "/items", APP, "PATCH")
    assert r.status_code == 204
    assert r.headers["access-control-allow-methods"] == "PATCH"
    assert r.headers["access-control-allow-credentials"] == "true"


def test_method_served_but_not_in_allow_methods_is_refused():
    client = make_client(methods=["GET", "DELETE"], allow_origins=[APP], allow_methods=["GET"])
    assert_refused(preflight(client, "/items", APP, "DELETE"))
    assert preflight(client, "/items", APP, "GET").status_code == 204


def test_allow_methods_lower_case_standard_is_normalised():
    client = make_client(methods=["DELETE"], allow_origins=[APP], allow_methods=["delete"])
    r = preflight(client, "/items", APP, "DELETE")
    assert r.status_code == 204
    assert r.headers["access-control-allow-methods"] == "DELETE"


def test_custom_method_route():
    client = make_client(methods=["PURGE"], allow_origins=[APP])
    r = preflight(client, "/items", APP, "PURGE")
    assert r.status_code == 204
    assert r.headers["access-control-allow-methods"] == "PURGE"
    assert_refused(preflight(client, "/items", APP, "purge"))


# ---------- refusals


def test_disallowed_origin_is_refused_without_disclosure():
    client = make_client(
        methods=["PUT"], allow_origins=[APP], allow_headers=["x-token"], allow_credentials=True
    )
    r = preflight(client, "/items", EVIL, "PUT", "x-token")
    assert_refused(r)
    assert set(vary(r)) == PREFLIGHT_VARY


def test_disallowed_header_is_refused():
    client = make_client(methods=["PUT"], allow_origins=[APP], allow_headers=["x-token"])
    assert_refused(preflight(client, "/items", APP, "PUT", "x-token,x-other"))


def test_no_allow_headers_refuses_custom_header():
    client = make_client(methods=["PUT"], allow_origins=[APP])
    assert_refused(preflight(client, "/items", APP, "PUT", "x-token"))


def test_lower_case_patch_is_refused():
    # methods are case-sensitive: fetch(..., {method: "patch"}) asks for "patch"
    client = make_client(methods=["PATCH"], allow_origins=[APP])
    assert_refused(preflight(client, "/items", APP, "patch"))
    assert preflight(client, "/items", APP, "PATCH").status_code == 204


def test_lower_case_patch_is_refused_even_with_star_methods():
    client = make_client(methods=["PATCH"], allow_origins=["*"], allow_methods=["*"])
    r = preflight(client, "/items", APP, "patch")
    assert r.status_code == 403
    assert acx(r) == {}


@pytest.mark.parametrize("allow_methods", [None, ["*"], ["GET", "PUT"]])
def test_method_no_route_serves_is_not_granted(allow_methods):
    client = make_client(methods=["GET"], allow_origins=["*"], allow_methods=allow_methods)
    r = preflight(client, "/items", APP, "PUT")
    assert r.status_code in (403, 405)
    assert acx(r) == {}


@pytest.mark.parametrize("bad_method", ["GE T", "", "GET,PUT", "G(ET)"])
def test_malformed_request_method_is_refused(bad_method):
    client = make_client(methods=["GET"], allow_origins=["*"], allow_methods=["*"])
    r = preflight(client, "/items", APP, bad_method)
    assert r.status_code in (403, 405)
    assert acx(r) == {}


def test_unknown_path_is_404():
    client = make_client(methods=["GET"], allow_origins=["*"])
    r = preflight(client, "/nothing-here", APP, "GET")
    assert r.status_code == 404
    assert "access-control-allow-origin" not in r.headers


# ---------- per-method policies


@pytest.fixture
def split_client():
    app = FastAPI()
    app.router.route_class = CORSRoute

    @app.get("/things/{thing_id}")
    @cors(allow_origins=["*"])
    def read(thing_id: int):
        return {"id": thing_id}

    @app.delete("/things/{thing_id}")
    @cors(allow_origins=[ADMIN], allow_credentials=True, allow_headers=["authorization"])
    def delete(thing_id: int):
        return {"deleted": thing_id}

    return TestClient(app)


def test_get_preflight_answered_by_get_policy(split_client):
    r = preflight(split_client, "/things/1", APP, "GET")
    assert r.status_code == 204
    assert acx(r) == {
        "access-control-allow-origin": "*",
        "access-control-allow-methods": "GET",
        "access-control-max-age": "600",
    }


def test_delete_preflight_from_admin_answered_by_delete_policy(split_client):
    r = preflight(split_client, "/things/1", ADMIN, "DELETE", "authorization")
    assert r.status_code == 204
    assert acx(r) == {
        "access-control-allow-origin": ADMIN,
        "access-control-allow-credentials": "true",
        "access-control-allow-methods": "DELETE",
        "access-control-allow-headers": "authorization",
        "access-control-max-age": "600",
    }


def test_delete_preflight_from_other_origin_refused(split_client):
    assert_refused(preflight(split_client, "/things/1", APP, "DELETE", "authorization"))


def test_get_policy_does_not_leak_to_delete_actual(split_client):
    r = split_client.delete("/things/1", headers={"Origin": APP})
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers
    r = split_client.get("/things/1", headers={"Origin": APP})
    assert r.headers["access-control-allow-origin"] == "*"


@expected_finding("shadowed-route")  # two routes on one path and method, on purpose
def test_first_route_in_order_serving_method_wins():
    app = FastAPI()
    app.router.route_class = CORSRoute

    @app.get("/x")
    @cors(allow_origins=[APP])
    def first():
        return 1

    @app.get("/x")
    @cors(allow_origins=[ADMIN])
    def second():
        return 2

    client = TestClient(app)
    assert preflight(client, "/x", APP, "GET").status_code == 204
    assert_refused(preflight(client, "/x", ADMIN, "GET"))


# ---------- endpoint and deps do not run


def test_dependencies_and_endpoint_do_not_run_on_preflight():
    calls = []

    def dep():
        calls.append("dep")
        raise HTTPException(status_code=401, detail="no")

    app = FastAPI()
    app.router.route_class = CORSRoute

    @app.post("/guarded", dependencies=[Depends(dep)])
    @cors(allow_origins=[APP], allow_headers=["authorization"])
    def guarded():
        calls.append("endpoint")
        return {}

    client = TestClient(app)
    r = preflight(client, "/guarded", APP, "POST", "authorization")
    assert r.status_code == 204
    assert calls == []
    r = preflight(client, "/guarded", EVIL, "POST", "authorization")
    assert r.status_code == 403
    assert calls == []


def test_router_level_dependency_does_not_run_on_preflight():
    calls = []

    def dep():
        calls.append("dep")
        raise HTTPException(status_code=401)

    app = FastAPI()
    router = APIRouter(route_class=CORSRoute, dependencies=[Depends(dep)])

    @router.put("/r")
    @cors(allow_origins=[APP])
    def endpoint():
        calls.append("endpoint")

    app.include_router(router)
    r = preflight(TestClient(app), "/r", APP, "PUT")
    assert r.status_code == 204
    assert calls == []


# ---------- not a preflight


def test_options_without_acrm_reaches_user_options_handler():
    app = FastAPI()
    app.router.route_class = CORSRoute

    @app.get("/o")
    @cors(allow_origins=[APP])
    def get_o():
        return {}

    @app.options("/o")
    def options_o():
        return {"user": "options"}

    client = TestClient(app)
    r = client.options("/o", headers={"Origin": APP})
    assert r.status_code == 200
    assert r.json() == {"user": "options"}
    # a real preflight on the same path is answered by the GET route's policy
    r = preflight(client, "/o", APP, "GET")
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == APP


def test_options_without_origin_reaches_user_options_handler():
    app = FastAPI()
    app.router.route_class = CORSRoute

    @app.get("/o")
    @cors(allow_origins=[APP])
    def get_o():
        return {}

    @app.options("/o")
    def options_o():
        return {"user": "options"}

    r = TestClient(app).options("/o", headers={"Access-Control-Request-Method": "GET"})
    assert r.status_code == 200
    assert r.json() == {"user": "options"}


def test_options_without_acrm_and_no_handler_is_405():
    client = make_client(methods=["GET"], allow_origins=[APP])
    r = client.options("/items", headers={"Origin": APP})
    assert r.status_code == 405


def test_options_without_origin_and_no_handler_is_405():
    client = make_client(methods=["GET"], allow_origins=[APP])
    r = client.options("/items", headers={"Access-Control-Request-Method": "GET"})
    assert r.status_code == 405
    assert "access-control-allow-methods" not in r.headers


def test_user_options_route_with_cors_is_preflighted_for_options():
    # a route that itself serves OPTIONS can be the target of an OPTIONS preflight
    client = make_client(methods=["OPTIONS"], allow_origins=[APP])
    r = preflight(client, "/items", APP, "OPTIONS")
    assert r.status_code == 204
    assert r.headers["access-control-allow-methods"] == "OPTIONS"


# ---------- request headers


@pytest.mark.parametrize(
    "acrh",
    [
        "content-type",
        "Content-Type",
        "accept",
        "accept-language",
        "content-language",
        "accept, content-type",
    ],
)
def test_safelisted_headers_always_allowed(acrh):
    client = make_client(methods=["POST"], allow_origins=[APP])
    r = preflight(client, "/items", APP, "POST", acrh)
    assert r.status_code == 204
    assert names(r.headers["access-control-allow-headers"]) == names(acrh.lower())


def test_json_post_with_default_allow_headers():
    client = make_client(methods=["POST"], allow_origins=[APP])
    r = preflight(client, "/items", APP, "POST", "content-type")
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == APP
    assert r.headers["access-control-allow-methods"] == "POST"
    r = client.post("/items", json={"a": 1}, headers={"Origin": APP})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == APP


@pytest.mark.parametrize(
    "acrh, expected",
    [
        ("x-a,x-b", ["x-a", "x-b"]),
        ("x-a, x-b", ["x-a", "x-b"]),
        ("  x-a ,\tx-b  ", ["x-a", "x-b"]),
        ("x-a,,x-b", ["x-a", "x-b"]),
        (",x-a,x-b,", ["x-a", "x-b"]),
        ("X-A,X-B", ["x-a", "x-b"]),
        ("X-a, content-type", ["content-type", "x-a"]),
        ("x-b", ["x-b"]),
    ],
)
def test_request_headers_list_tolerance(acrh, expected):
    client = make_client(methods=["PUT"], allow_origins=[APP], allow_headers=["X-A", "x-b"])
    r = preflight(client, "/items", APP, "PUT", acrh)
    assert r.status_code == 204
    assert names(r.headers["access-control-allow-headers"]) == expected


def test_empty_request_headers_value_is_granted():
    client = make_client(methods=["PUT"], allow_origins=[APP])
    r = preflight(client, "/items", APP, "PUT", "")
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == APP
    assert "*" not in r.headers.get("access-control-allow-headers", "")


@pytest.mark.parametrize("acrh", ["x-a, bad header", "x-a;x-b", "x-a, x:b", b"x-\xc3\xa4"])
def test_malformed_request_headers_refused(acrh):
    client = make_client(methods=["PUT"], allow_origins=[APP], allow_headers=["*"])
    assert_refused(preflight(client, "/items", APP, "PUT", acrh))


def test_oversized_request_headers_refused():
    client = make_client(methods=["PUT"], allow_origins=[APP], allow_headers=["*"])
    acrh = ",".join(f"x-h{i}" for i in range(2000))  # > 8 KiB
    assert len(acrh) > 8192
    assert_refused(preflight(client, "/items", APP, "PUT", acrh))


def test_request_header_list_of_more_than_128_names_refused():
    client = make_client(methods=["PUT"], allow_origins=[APP], allow_headers=["*"])
    over = ",".join(f"x-h{i}" for i in range(129))
    assert_refused(preflight(client, "/items", APP, "PUT", over))
    at_limit = ",".join(f"x-h{i}" for i in range(128))
    r = preflight(client, "/items", APP, "PUT", at_limit)
    assert r.status_code == 204
    assert names(r.headers["access-control-allow-headers"]) == sorted(at_limit.split(","))


def test_repeated_request_header_names_are_granted_once():
    client = make_client(methods=["PUT"], allow_origins=[APP], allow_headers=["x-a"])
    r = preflight(client, "/items", APP, "PUT", "x-a, X-A, x-a")
    assert r.status_code == 204
    assert r.headers["access-control-allow-headers"] == "x-a"


def test_many_empty_elements_within_limit_are_tolerated():
    client = make_client(methods=["PUT"], allow_origins=[APP], allow_headers=["x-a"])
    r = preflight(client, "/items", APP, "PUT", "," * 200 + "x-a" + " ," * 200)
    assert r.status_code == 204
    assert names(r.headers["access-control-allow-headers"]) == ["x-a"]


@pytest.mark.parametrize("credentials", [False, True])
def test_star_headers_reflects_requested_names(credentials):
    client = make_client(
        methods=["PUT"], allow_origins=[APP], allow_headers=["*"], allow_credentials=credentials
    )
    r = preflight(client, "/items", APP, "PUT", "authorization,x-Custom-Thing")
    assert r.status_code == 204
    assert names(r.headers["access-control-allow-headers"]) == ["authorization", "x-custom-thing"]
    assert "*" not in r.headers["access-control-allow-headers"]


def test_star_headers_on_any_origin_reflects_authorization():
    client = make_client(methods=["PUT"], allow_origins=["*"], allow_headers=["*"])
    r = preflight(client, "/items", EVIL, "PUT", "authorization")
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["access-control-allow-headers"] == "authorization"


def test_authorization_must_be_named_without_star():
    client = make_client(methods=["PUT"], allow_origins=[APP], allow_headers=["x-token"])
    assert_refused(preflight(client, "/items", APP, "PUT", "authorization"))


# ---------- private network


def test_private_network_granted_when_allowed():
    client = make_client(methods=["GET"], allow_origins=[APP], allow_private_network=True)
    r = preflight(
        client, "/items", APP, "GET", **{"Access-Control-Request-Private-Network": "true"}
    )
    assert r.status_code == 204
    assert acx(r) == {
        "access-control-allow-origin": APP,
        "access-control-allow-methods": "GET",
        "access-control-allow-private-network": "true",
        "access-control-max-age": "600",
    }
    assert PREFLIGHT_VARY <= set(vary(r))


def test_private_network_not_granted_when_not_allowed():
    client = make_client(methods=["GET"], allow_origins=[APP])
    r = preflight(
        client, "/items", APP, "GET", **{"Access-Control-Request-Private-Network": "true"}
    )
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == APP
    assert "access-control-allow-private-network" not in r.headers


def test_private_network_header_absent_when_not_asked():
    client = make_client(methods=["GET"], allow_origins=[APP], allow_private_network=True)
    r = preflight(client, "/items", APP, "GET")
    assert r.status_code == 204
    assert "access-control-allow-private-network" not in r.headers


def test_private_network_not_granted_to_disallowed_origin():
    client = make_client(methods=["GET"], allow_origins=[APP], allow_private_network=True)
    r = preflight(
        client, "/items", EVIL, "GET", **{"Access-Control-Request-Private-Network": "true"}
    )
    assert_refused(r)


# ---------- OpenAPI


def test_openapi_has_no_options_operations():
    app = FastAPI()
    app.router.route_class = CORSRoute

    @app.get("/a")
    @cors(allow_origins=[APP])
    def a():
        return {}

    @app.put("/b")
    @cors(allow_origins=["*"])
    def b_put():
        return {}

    @app.delete("/b")
    @cors(allow_origins=[APP])
    def b_delete():
        return {}

    schema = TestClient(app).get("/openapi.json").json()
    assert schema["paths"]["/a"].keys() == {"get"}
    assert schema["paths"]["/b"].keys() == {"put", "delete"}
    for ops in schema["paths"].values():
        assert "options" not in ops


def test_route_methods_unchanged():
    app = FastAPI()
    app.router.route_class = CORSRoute

    @app.get("/a")
    @cors(allow_origins=[APP])
    def a():
        return {}

    (route,) = [r for r in app.routes if getattr(r, "path", None) == "/a"]
    assert isinstance(route, CORSRoute)
    assert route.methods == {"GET"}


def test_shared_policy_object():
    policy = CORSPolicy(allow_origins=[APP], allow_headers=["x-token"])
    app = FastAPI()
    app.router.route_class = CORSRoute

    @app.put("/a")
    @cors(policy)
    def a():
        return {}

    @app.put("/b")
    @cors(policy)
    def b():
        return {}

    client = TestClient(app)
    for path in ("/a", "/b"):
        r = preflight(client, path, APP, "PUT", "x-token")
        assert r.status_code == 204
        assert r.headers["access-control-allow-headers"] == "x-token"
