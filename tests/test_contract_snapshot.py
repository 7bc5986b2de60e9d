"""``snapshot``: what browsers may do with an app, probed in process, as stable JSON.

The apps are in tests/contract_apps.py: one with CORSMiddleware (the migration's "before"),
the same with install() (its "after"), one whose CORSMiddleware reflects any origin with
credentials, one that includes a router when it starts; hand-written handlers are below.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from _cli import ROOT, run
from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from cors_routes.contract import snapshot
from tests import contract_apps

APP, LOCAL = contract_apps.APP, contract_apps.LOCAL
GRANTED = {
    "headers": {
        "authorization": "with credentials",
        "content-type": "with credentials",
        "x-cors-probe": "with credentials",
        "x-requested-with": "with credentials",
    },
    "private_network": "no",
    "read": "with credentials",
    "exposed": {"x-total-count": "with credentials"},
    "max_age": 600,
}


@pytest.fixture(scope="module")
def before() -> dict[str, Any]:
    return json.loads(snapshot(contract_apps.before))


def entry(contract: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    found: dict[str, Any] = contract["routes"][path][method]
    return found


def test_the_probe_origins_are_the_named_ones_their_lookalikes_another_site_and_null(
    before: dict[str, Any],
) -> None:
    assert before["origins"] == {
        "http://app.example": f"look-alike of {APP}",
        "http://cors-probe.localhost:5173": f"look-alike of {LOCAL}",
        "http://evillocalhost:5173": f"look-alike of {LOCAL}",
        "http://localhost.cors-probe.invalid:5173": f"look-alike of {LOCAL}",
        LOCAL: "named by the app",
        APP: "named by the app",
        "https://app.example.cors-probe.invalid": f"look-alike of {APP}",
        "https://cors-probe.app.example": f"look-alike of {APP}",
        "https://cors-probe.invalid": "another site",
        "https://evilapp.example": f"look-alike of {APP}",
        "https://localhost:5173": f"look-alike of {LOCAL}",
        "null": "the null origin (sandboxed frames, file: pages, redirects)",
    }
    assert before["request_headers"] == [
        "authorization",
        "content-type",
        "x-cors-probe",
        "x-requested-with",
    ]


def test_every_route_and_method_and_the_routers_own_answers_have_an_entry(
    before: dict[str, Any],
) -> None:
    answers = {
        (path, method): (item["answer"], item["probe"])
        for path, methods in before["routes"].items()
        for method, item in methods.items()
    }
    assert answers[("/api/items", "GET")] == ("route", "/api/items")
    assert answers[("/api/items/{item_id}", "DELETE")] == ("route", "/api/items/1")
    # the router's own answers: 405, the slash redirect, the 404, a mounted app
    assert answers[("/api/items/{item_id}", "PUT")] == ("405", "/api/items/1")
    assert answers[("/api/items/{item_id}/", "DELETE")] == ("redirect", "/api/items/1/")
    assert answers[("/cors-routes-probe/not-found", "GET")] == (
        "404",
        "/cors-routes-probe/not-found",
    )
    assert answers[("/static/{path}", "GET")] == ("mounted app", "/static/cors-probe")
    # FastAPI's docs are routes like any other
    assert answers[("/docs", "GET")][0] == answers[("/openapi.json", "GET")][0] == "route"
    # path parameters get values their convertors take, and reach their own route
    assert answers[("/api/tokens/{token:uuid}", "GET")] == (
        "route",
        "/api/tokens/00000000-0000-4000-8000-000000000000",
    )
    assert answers[("/api/things/{thing_id:int}", "GET")] == ("route", "/api/things/1")
    assert answers[("/api/things/{slug}", "GET")] == ("route", "/api/things/1.5")
    assert list(before["routes"]) == sorted(before["routes"])
    for methods in before["routes"].values():
        assert list(methods) == sorted(methods)


def test_named_origins_get_what_the_middleware_grants_and_no_other_origin_anything(
    before: dict[str, Any],
) -> None:
    delete = entry(before, "/api/items/{item_id}", "DELETE")["origins"]
    assert delete[APP] == delete[LOCAL] == {"send": "with credentials", **GRANTED}
    assert {origin for origin, facts in delete.items() if facts != "nothing"} == {APP, LOCAL}
    listing = entry(before, "/api/items", "GET")["origins"]
    assert listing[APP] == GRANTED  # GET is sent without a preflight: no "send"
    assert listing["https://evilapp.example"] == listing["null"] == "nothing"


def test_the_middlewares_any_origin_with_credentials_shows_every_site_reading_as_the_user() -> None:
    contract = json.loads(snapshot(contract_apps.any_origin_with_credentials()))
    profile = contract["routes"]["/profile"]["GET"]["origins"]
    for origin in ("https://cors-probe.invalid", "null"):
        assert profile[origin]["read"] == "with credentials"


def test_the_middlewares_preflight_is_granted_where_no_route_serves_install_refuses_it(
    before: dict[str, Any],
) -> None:
    after = json.loads(snapshot(contract_apps.after))
    for path, method in (
        ("/api/items/{item_id}", "PUT"),
        ("/cors-routes-probe/not-found", "DELETE"),
    ):
        assert entry(before, path, method)["origins"][APP]["send"] == "with credentials"
        assert entry(after, path, method)["origins"][APP] == "nothing"
    # what routes serve is the same
    for path, method in (("/api/items/{item_id}", "DELETE"), ("/api/items", "GET")):
        assert entry(before, path, method) == entry(after, path, method)


def test_hand_written_handlers_are_probed_like_any_app() -> None:
    origin = "https://shop.example"

    def allowed(request: Request) -> dict[str, str]:
        if request.headers.get("origin") == origin:
            return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
        return {"Vary": "Origin"}

    async def profile(request: Request) -> Response:
        return JSONResponse({"name": "Ada"}, headers=allowed(request))

    async def profile_preflight(request: Request) -> Response:
        headers = allowed(request)
        if headers.get("Access-Control-Allow-Origin"):
            headers["Access-Control-Allow-Methods"] = "PUT"
            headers["Access-Control-Allow-Headers"] = "Content-Type"
            headers["Access-Control-Max-Age"] = "300"
        return Response(status_code=204, headers=headers)

    app = Starlette(
        routes=[
            Route("/profile", profile, methods=["PUT"]),
            Route("/profile", profile_preflight, methods=["OPTIONS"]),
        ]
    )
    contract = json.loads(snapshot(app, origins=[origin]))
    assert contract["origins"][origin] == "given with --origin"
    put = contract["routes"]["/profile"]["PUT"]["origins"]
    assert put[origin] == {
        "send": "without credentials",
        "headers": {"content-type": "without credentials"},
        "private_network": "no",
        "read": "without credentials",
        "exposed": {},
        "max_age": 300,
    }
    assert put["https://evilshop.example"] == put["https://cors-probe.invalid"] == "nothing"


def test_an_endless_stream_does_not_hold_the_snapshot(before: dict[str, Any]) -> None:
    events = entry(before, "/api/events", "GET")["origins"]
    assert events[APP]["read"] == "with credentials"


def test_the_endpoint_of_a_preflighted_method_runs_only_for_origins_it_would_run_for() -> None:
    calls: list[str] = []
    app = FastAPI()

    @app.delete("/items/{item_id}")
    async def delete_item(item_id: int, request: Request) -> dict[str, int]:
        calls.append(request.headers["origin"])
        return {"deleted": item_id}

    from cors_routes import CORSPolicy, install

    install(app, default=CORSPolicy(allow_origins=[APP], allow_methods=["DELETE"]))
    snapshot(app)
    assert calls == [APP]


def test_lifespan_runs_the_start_up_that_adds_routes() -> None:
    assert "/late" not in json.loads(snapshot(contract_apps.started))["routes"]
    late = json.loads(snapshot(contract_apps.started, lifespan=True))["routes"]["/late"]["GET"]
    assert late["origins"][APP]["read"] == "without credentials"


def test_the_text_is_two_space_json_with_a_final_newline_one_fact_a_line() -> None:
    text = snapshot(contract_apps.before)
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert text == json.dumps(json.loads(text), indent=2) + "\n"
    assert '    "/api/items": {\n      "DELETE": {\n' in text


# -- the command line, and the same bytes everywhere ------------------------------------------


def snapshot_in_subprocess(seed: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "cors_routes", "snapshot", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": seed},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_snapshot_is_the_same_bytes_whatever_the_hash_seed() -> None:
    first = snapshot_in_subprocess("0", "tests.contract_apps:before")
    assert first == snapshot_in_subprocess("4242", "tests.contract_apps:before")
    assert first == snapshot(contract_apps.before)


def test_the_command_takes_factory_app_dir_origin_and_lifespan(tmp_path: Any) -> None:
    factory = run(
        "snapshot",
        "tests.contract_apps:any_origin_with_credentials",
        "--factory",
        "--origin",
        "https://given.example",
    )
    assert factory.returncode == 0, factory.stderr
    assert json.loads(factory.stdout)["origins"]["https://given.example"] == "given with --origin"
    (tmp_path / "elsewhere.py").write_text(
        "from fastapi import FastAPI\nfrom cors_routes import CORSPolicy, install\n"
        "app = install(FastAPI(), default=CORSPolicy(allow_origins=['https://x.example']))\n"
        "@app.get('/ping')\nasync def ping() -> str:\n    return 'pong'\n"
    )
    elsewhere = run("snapshot", "elsewhere:app", "--app-dir", str(tmp_path))
    assert elsewhere.returncode == 0, elsewhere.stderr
    assert "/ping" in json.loads(elsewhere.stdout)["routes"]
    started = run("snapshot", "tests.contract_apps:started", "--lifespan")
    assert "/late" in json.loads(started.stdout)["routes"]
    missing = run("snapshot", "tests.contract_apps:nothing_here")
    assert missing.returncode == 2
    assert "has no attribute" in missing.stderr


def test_diff_of_a_contract_and_the_app_probes_the_contracts_origins_too(tmp_path: Any) -> None:
    contract = tmp_path / "cors-contract.json"
    contract.write_text(snapshot(contract_apps.before, origins=["https://given.example"]))
    same = run("diff", str(contract), "tests.contract_apps:before")
    assert (same.returncode, same.stdout) == (
        0,
        "no change: browsers may do what the contract says\n",
    )
    migrated = run("diff", str(contract), "tests.contract_apps:after", "--json")
    assert migrated.returncode == 0, migrated.stdout
    changes = json.loads(migrated.stdout)["changes"]
    assert changes and {change["kind"] for change in changes} == {"narrowed"}
    # only what no route serves: the 405s and the 404
    assert {
        json.loads(contract.read_text())["routes"][c["path"]][c["method"]]["answer"]
        for c in changes
    } == {"405", "404"}


def test_a_server_that_reflects_the_origin_only_for_cookies_is_judged_with_a_cookie() -> None:
    """As Starlette's CORSMiddleware did before 0.38 for ``*`` with credentials."""

    async def profile(request: Request) -> Response:
        origin = request.headers.get("origin", "")
        if "cookie" in request.headers:
            headers = {"Access-Control-Allow-Origin": origin}
            headers["Access-Control-Allow-Credentials"] = "true"
        else:
            headers = {"Access-Control-Allow-Origin": "*"}
        return JSONResponse({"name": "Ada"}, headers=headers)

    contract = json.loads(snapshot(Starlette(routes=[Route("/profile", profile)])))
    facts = contract["routes"]["/profile"]["GET"]["origins"]["https://cors-probe.invalid"]
    assert facts["read"] == "with credentials"


def test_where_the_app_checks_origins_a_refused_origin_sends_no_actual_request() -> None:
    seen: list[str] = []
    app = FastAPI()

    @app.get("/items")
    async def list_items(request: Request) -> list[str]:
        seen.append(request.headers["origin"])
        return []

    app.add_middleware(CORSMiddleware, allow_origins=[APP], allow_methods=["*"])
    contract = json.loads(snapshot(app))
    assert seen == [APP]  # the look-alikes, another site and null were refused at the preflight
    assert contract["routes"]["/items"]["GET"]["origins"]["https://evilapp.example"] == "nothing"


def test_the_committed_example_contract_is_the_example_apps_snapshot() -> None:
    from examples import contract_migration

    committed = (ROOT / "examples" / "cors-contract.json").read_text()
    assert committed == snapshot(contract_migration.before)
