"""An app mounted with its own install() answers for itself inside an installed app."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from cors_routes import CORSPolicy, install

INNER = "https://inner.example"
OUTER = "https://outer.example"


def endpoint(request):
    return PlainTextResponse("x")


def nested() -> TestClient:
    inner = Starlette(routes=[Route("/x", endpoint, methods=["GET", "PUT"])])
    install(inner, default=CORSPolicy(allow_origins=[INNER], allow_methods=["*"]))
    outer = Starlette(routes=[Mount("/m", app=inner), Route("/y", endpoint)])
    install(outer, default=CORSPolicy(allow_origins=[OUTER], allow_methods=["*"]))
    return TestClient(outer)


def test_the_mounted_apps_own_policy_answers_its_preflights_and_responses():
    client = nested()
    asked = {"access-control-request-method": "PUT"}
    granted = client.options("/m/x", headers={"origin": INNER, **asked})
    assert granted.status_code == 204
    assert granted.headers["access-control-allow-origin"] == INNER
    refused = client.options("/m/x", headers={"origin": OUTER, **asked})
    assert "access-control-allow-origin" not in refused.headers
    response = client.get("/m/x", headers={"origin": INNER})
    assert response.headers.get_list("access-control-allow-origin") == [INNER]
    assert response.headers.get_list("vary") == ["Origin"]
    assert (
        "access-control-allow-origin" not in client.get("/m/x", headers={"origin": OUTER}).headers
    )


def test_the_outer_apps_own_routes_keep_the_outer_policy():
    client = nested()
    assert (
        client.get("/y", headers={"origin": OUTER}).headers["access-control-allow-origin"] == OUTER
    )
    assert "access-control-allow-origin" not in client.get("/y", headers={"origin": INNER}).headers
