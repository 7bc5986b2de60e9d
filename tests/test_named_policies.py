"""Named policies: ``@cors("account")`` on an endpoint, resolved from the app's settings by
``install(app, policies={"account": CORSPolicy(...)})``.

The endpoints below are declared once, at import time, on module-level routers (as real apps
declare them); the app factory builds an app from its settings. Two apps built from
different settings in one process, side by side, must answer differently.
"""

from __future__ import annotations

import json

import pytest
from _cli import run
from cors_helpers import acx, preflight
from fastapi import APIRouter, FastAPI
from policy_apps import FRONTEND, PRODUCTION, STAGING, Settings, accounts, create_app
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient, WebSocketDenialResponse

from cors_routes import CORSConfigError, CORSPolicy, CORSRoute, StarletteCORSRoute, cors, install
from cors_routes._inventory import iter_routes
from cors_routes.explain import explain
from cors_routes.lint import check_app


@pytest.fixture(scope="module")
def two_apps():
    staging = create_app(Settings(account_origin=STAGING))
    production = create_app(Settings())
    with TestClient(staging) as first, TestClient(production) as second:
        yield first, second


def test_two_apps_from_different_settings_answer_preflights_with_their_own_origin(two_apps):
    staging, production = two_apps
    for client, own, other in ((staging, STAGING, PRODUCTION), (production, PRODUCTION, STAGING)):
        granted = preflight(client, "/account/profile", own, "PUT", "content-type")
        assert granted.status_code == 204
        assert acx(granted)["access-control-allow-origin"] == own
        assert acx(granted)["access-control-allow-credentials"] == "true"
        assert acx(granted)["access-control-allow-methods"] == "PUT"
        refused = preflight(client, "/account/profile", other, "PUT", "content-type")
        assert refused.status_code == 403
        assert acx(refused) == {}


def test_two_apps_answer_actual_requests_with_their_own_origin(two_apps):
    staging, production = two_apps
    # Interleaved: each app keeps its own answer, whichever was asked last.
    for _ in range(2):
        for client, own, other in (
            (staging, STAGING, PRODUCTION),
            (production, PRODUCTION, STAGING),
        ):
            mine = client.get("/account/profile", headers={"Origin": own})
            assert mine.json() == {"name": "Ada"}
            assert acx(mine) == {
                "access-control-allow-origin": own,
                "access-control-allow-credentials": "true",
            }
            theirs = client.get("/account/profile", headers={"Origin": other})
            assert theirs.status_code == 200
            assert acx(theirs) == {}


def test_two_apps_answer_error_responses_with_their_own_origin(two_apps):
    for client, own in zip(two_apps, (STAGING, PRODUCTION), strict=True):
        missing = client.get("/account/orders/0", headers={"Origin": own})
        assert missing.status_code == 404
        assert missing.json() == {"detail": "no such order"}
        assert acx(missing)["access-control-allow-origin"] == own
        invalid = client.put("/account/profile", json={"name": "Ada"}, headers={"Origin": own})
        assert invalid.status_code == 422
        assert acx(invalid)["access-control-allow-origin"] == own
        bad_id = client.get("/account/orders/x", headers={"Origin": own})
        assert bad_id.status_code == 422
        assert acx(bad_id)["access-control-allow-origin"] == own


def test_routes_without_a_name_keep_the_default(two_apps):
    for client in two_apps:
        response = client.get("/products", headers={"Origin": FRONTEND})
        assert acx(response) == {"access-control-allow-origin": FRONTEND}
        assert acx(client.get("/products", headers={"Origin": STAGING})) == {}


def test_a_named_websocket_endpoint_checks_the_handshake_origin_of_its_own_app(two_apps):
    staging, production = two_apps
    with staging.websocket_connect("/account/live", headers={"Origin": STAGING}) as socket:
        assert socket.receive_text() == "hello"
    with production.websocket_connect("/account/live", headers={"Origin": PRODUCTION}) as socket:
        assert socket.receive_text() == "hello"
    for client, other in ((staging, PRODUCTION), (production, STAGING)):
        with pytest.raises(WebSocketDenialResponse) as refused:
            with client.websocket_connect("/account/live", headers={"Origin": other}):
                pass
        assert refused.value.status_code == 403


def test_routes_explain_and_the_openapi_extension_show_the_name():
    app = create_app(Settings(account_origin=STAGING))
    rows = {(info.path, info.kind): info for info in iter_routes(app)}
    profile = rows[("/account/profile", "http")]
    assert profile.source == '@cors("account")'
    assert profile.policy is not None and profile.policy.allow_origins == (STAGING,)
    assert rows[("/account/live", "websocket")].source == '@cors("account")'
    assert rows[("/products", "http")].source == "install default"
    assert explain(app, origin=STAGING, method="PUT", path="/account/profile").allowed
    refused = explain(app, origin=PRODUCTION, method="PUT", path="/account/profile")
    assert not refused.allowed
    assert STAGING in refused.reason

    published = install(
        FastAPI(),
        policies={"account": CORSPolicy(allow_origins=[STAGING])},
        x_cors=True,
        lint=False,
    )
    published.include_router(accounts)
    assert "x-cors" not in json.dumps(published.openapi())  # included after install()
    app = FastAPI()
    app.include_router(accounts)
    install(app, policies={"account": CORSPolicy(allow_origins=[STAGING])}, x_cors=True)
    operation = app.openapi()["paths"]["/account/profile"]["put"]
    assert operation["x-cors"]["allowOrigins"] == [STAGING]
    assert operation["x-cors"]["allowMethods"] == ["PUT"]


def test_the_routes_command_shows_where_a_named_policy_comes_from():
    result = run("routes", "--json", "tests.policy_apps:named_app")
    assert result.returncode == 0, result.stderr
    entries = {entry["path"]: entry for entry in json.loads(result.stdout)}
    assert entries["/account/profile"]["source"] == '@cors("account")'
    assert entries["/account/profile"]["cors"]["allowOrigins"] == [STAGING]


# -- the name install() does not know -----------------------------------------------------


def test_an_unresolved_name_is_refused_by_install_naming_the_endpoint_and_the_known_names():
    app = FastAPI()
    app.include_router(accounts)
    with pytest.raises(CORSConfigError) as error:
        install(app, policies={"acount": CORSPolicy(allow_origins=[STAGING]), "partner": None})
    message = str(error.value)
    assert "policy_apps:read_profile" in message
    assert "GET /account/profile" in message
    assert "policy_apps:update_profile" in message and "PUT /account/profile" in message
    assert "WebSocket" not in message or "/account/live" in message
    assert "known names: 'acount', 'partner'" in message
    assert "install(app, policies=" in message
    # One error lists every endpoint with the name (the routes of the router, the socket).
    assert len(error.value.problems) == 4


def test_install_without_policies_refuses_a_named_endpoint():
    app = FastAPI()
    app.include_router(accounts)
    with pytest.raises(CORSConfigError, match=r"known names: none"):
        install(app, default=CORSPolicy(allow_origins=[FRONTEND]))


def make_late_router(name: str) -> APIRouter:
    late = APIRouter()

    @late.get("/late")
    @cors(name)
    async def late_endpoint() -> str:
        return "late"

    return late


def test_a_router_included_after_install_resolves_its_names():
    app = install(FastAPI(), policies={"late": CORSPolicy(allow_origins=[STAGING])}, lint=False)
    app.include_router(make_late_router("late"))
    with TestClient(app) as client:
        response = client.get("/late", headers={"Origin": STAGING})
        assert acx(response) == {"access-control-allow-origin": STAGING}
        assert preflight(client, "/late", STAGING, "GET").status_code == 204


def test_an_unresolved_name_included_after_install_fails_the_first_request_with_the_same_message():
    app = install(FastAPI(), policies={"late": CORSPolicy(allow_origins=[STAGING])}, lint=False)
    app.include_router(make_late_router("missing"))
    expected = (
        f"@cors('missing') on {__name__}:make_late_router.<locals>.late_endpoint "
        "(GET /late) names a policy that install() was not given (known names: 'late')"
    )
    client = TestClient(app)
    with pytest.raises(CORSConfigError) as first:
        client.get("/anything")
    assert expected in str(first.value)
    with pytest.raises(CORSConfigError) as walked:  # the diagnostics say the same
        iter_routes(app)
    assert str(walked.value) == str(first.value)


def test_an_unresolved_name_included_after_the_first_request_fails_its_own_requests():
    app = install(FastAPI(), policies={"late": CORSPolicy(allow_origins=[STAGING])}, lint=False)
    with TestClient(app) as client:
        assert client.get("/nothing").status_code == 404
        app.include_router(make_late_router("missing"))
        with pytest.raises(CORSConfigError, match=r"@cors\('missing'\) on .*\(GET /late\)"):
            client.get("/late", headers={"Origin": STAGING})
        with pytest.raises(CORSConfigError, match=r"@cors\('missing'\)"):
            preflight(client, "/late", STAGING, "GET")


def test_a_name_given_none_means_no_cors():
    app = FastAPI()
    app.include_router(accounts)
    install(app, default=CORSPolicy(allow_origins=[STAGING]), policies={"account": None})
    with TestClient(app) as client:
        assert acx(client.get("/account/profile", headers={"Origin": STAGING})) == {}
        assert preflight(client, "/account/profile", STAGING, "PUT").status_code == 405
    assert {info.source for info in iter_routes(app) if info.path == "/account/profile"} == {
        '@cors("account")'
    }


# -- route classes cannot resolve names ----------------------------------------------------


def test_a_cors_route_class_without_install_refuses_a_named_endpoint_clearly():
    router = APIRouter(route_class=CORSRoute)

    @router.get("/me")
    @cors("account")
    async def me() -> str:
        return "me"

    app = FastAPI()
    app.include_router(router)
    findings = [finding for finding in check_app(app) if finding.code.startswith("named")]
    assert [finding.code for finding in findings] == ["named-policy-without-install"]
    assert "install(app, policies={'account': CORSPolicy(...)})" in findings[0].message
    client = TestClient(app)
    with pytest.warns(UserWarning, match="named-policy-without-install"):
        with pytest.raises(CORSConfigError, match=r"only install\(\) resolves names"):
            client.get("/me", headers={"Origin": STAGING})
    with pytest.raises(CORSConfigError, match=r"install\(app, policies=\{'account'"):
        preflight(client, "/me", STAGING, "GET")
    with pytest.raises(CORSConfigError, match=r"only install\(\) resolves names"):
        client.get("/me")


def test_a_plain_route_without_install_refuses_a_named_endpoint_clearly():
    router = APIRouter()

    @router.get("/me")
    @cors("account")
    async def me() -> str:
        return "me"

    app = FastAPI()
    app.include_router(router)
    with pytest.raises(CORSConfigError, match=r"@cors\('account'\) on .*me names a policy"):
        TestClient(app).get("/me")


def test_a_cors_route_class_under_install_gets_the_named_policy():
    router = APIRouter(route_class=CORSRoute)

    @router.get("/me")
    @cors("account")
    async def me() -> str:
        return "me"

    app = FastAPI()
    app.include_router(router)
    install(app, policies={"account": CORSPolicy(allow_origins=[STAGING])}, lint=False)
    with TestClient(app) as client:
        assert acx(client.get("/me", headers={"Origin": STAGING})) == {
            "access-control-allow-origin": STAGING
        }


def test_a_starlette_app_resolves_names_under_install_and_refuses_them_without():
    @cors("account")
    async def me(request) -> PlainTextResponse:
        return PlainTextResponse("me")

    policies = {"account": CORSPolicy(allow_origins=[STAGING])}
    installed = install(Starlette(routes=[Route("/me", me)]), policies=policies, lint=False)
    with TestClient(installed) as client:
        assert acx(client.get("/me", headers={"Origin": STAGING})) == {
            "access-control-allow-origin": STAGING
        }
        assert preflight(client, "/me", STAGING, "GET").status_code == 204
    alone = Starlette(routes=[StarletteCORSRoute("/me", me)])
    with pytest.raises(CORSConfigError, match=r"only install\(\) resolves names"):
        with pytest.warns(UserWarning, match="named-policy-without-install"):
            TestClient(alone).get("/me", headers={"Origin": STAGING})


# -- what cors() and install() accept ----------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: cors(""), r"@cors\(''\) names no policy"),
        (lambda: cors("  "), r"names no policy"),
        (lambda: cors(" account"), r"write @cors\('account'\)"),
        (lambda: cors("account", allow_origins=[STAGING]), r"both a policy name and keyword"),
        (lambda: cors(42), r"a CORSPolicy, a policy name or keyword arguments"),  # type: ignore[call-overload]
    ],
)
def test_cors_refuses_a_name_it_cannot_use(call, message):
    with pytest.raises(CORSConfigError, match=message):
        call()


def test_a_function_cannot_have_two_different_names():
    def endpoint() -> None: ...

    cors("account")(endpoint)
    cors("account")(endpoint)  # the same mark twice is harmless
    with pytest.raises(CORSConfigError, match=r"already has a CORS policy \(@cors\('account'\)\)"):
        cors("partner")(endpoint)


@pytest.mark.parametrize(
    ("policies", "message"),
    [
        ([("account", None)], r"takes a mapping from names to policies, not list"),
        ({"account": {"allow_origins": [STAGING]}}, r"write 'account': CORSPolicy\(\*\*settings\)"),
        ({"": CORSPolicy()}, r"'' is not a name an endpoint can use"),
        ({1: CORSPolicy()}, r"1 is not a name"),
    ],
)
def test_install_refuses_policies_it_cannot_use(policies, message):
    with pytest.raises(CORSConfigError, match=message):
        install(FastAPI(), policies=policies)


def test_every_problem_of_policies_is_listed_at_once():
    with pytest.raises(CORSConfigError) as error:
        install(FastAPI(), policies={"": CORSPolicy(), "b": "https://x.example"})
    assert len(error.value.problems) == 2


def test_a_name_no_endpoint_uses_is_a_lint_warning():
    app = FastAPI()
    app.include_router(accounts)
    install(
        app,
        policies={"account": CORSPolicy(allow_origins=[STAGING]), "partner": CORSPolicy()},
        lint=False,
    )
    unused = [finding for finding in check_app(app) if finding.code == "unused-policy"]
    assert len(unused) == 1
    assert unused[0].severity == "warning"
    assert "'partner'" in unused[0].message
