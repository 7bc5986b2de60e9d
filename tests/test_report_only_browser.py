"""Report-only mode beside CORSMiddleware, judged by real Chromium (issue 17, item 5).

A page on an origin CORSMiddleware allows, and the new policies do not, fetches from an API
under ``install(..., enforce=False)``: the fetches still succeed (nothing changed), and a
report says the policies would block them. The same fetches to the same API with the
policies enforced (CORSMiddleware gone) fail in Chromium: the report told the truth. A page
on an origin both allow gets no report.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Annotated, Any

import pytest
from e2e_apps import page_app
from e2e_chromium import chromium, loopback_socket, require_chromium, serving
from fastapi import FastAPI, Path
from pydantic import BaseModel
from starlette.middleware.cors import CORSMiddleware

from cors_routes import CORSPolicy, CORSReport, cors, install

FETCH = """async ({url, init}) => {
  try {
    const response = await fetch(url, init);
    return {ok: true, status: response.status, text: await response.text()};
  } catch (error) {
    return {ok: false, error: `${error.name}: ${error.message}`};
  }
}"""


class Item(BaseModel):
    name: str


def api(own_page: str, partner_page: str, report_only: bool, reports: list[CORSReport]) -> Any:
    app = FastAPI()

    @app.get("/items/{item_id}")
    async def read_item(item_id: Annotated[int, Path(ge=0)]) -> dict[str, int]:
        return {"item_id": item_id}

    @app.put("/items/{item_id}")
    @cors(allow_origins=[own_page], allow_credentials=True, allow_headers=["content-type"])
    async def update_item(item_id: int, item: Item) -> Item:
        return item

    policy = CORSPolicy(allow_origins=[own_page], allow_credentials=True)
    if not report_only:
        return install(app, default=policy)
    # Before the migration: the partner was allowed everything, with credentials.
    app.add_middleware(
        CORSMiddleware,  # type: ignore[arg-type]
        allow_origins=[own_page, partner_page],
        allow_credentials=True,
        allow_methods=["*"],
        allow_headers=["*"],
    )
    return install(app, default=policy, enforce=False, on_report=reports.append)


class Served:
    def __init__(self, ports: dict[str, int], reports: list[CORSReport]) -> None:
        self.ports = ports
        self.reports = reports

    def page(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def wait_for(self, count: int) -> list[CORSReport]:
        """The reports once there are ``count`` (each is made after its response ends)."""
        deadline = time.monotonic() + 10
        while len(self.reports) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return list(self.reports)


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    require_chromium()
    names = ("own", "partner", "report_only", "enforced")
    sockets = {name: loopback_socket() for name in names}
    ports = {name: sock.getsockname()[1] for name, sock in sockets.items()}
    reports: list[CORSReport] = []
    own, partner = f"http://127.0.0.1:{ports['own']}", f"http://127.0.0.1:{ports['partner']}"
    page = page_app()
    apps = {
        "own": (page, sockets["own"]),
        "partner": (page, sockets["partner"]),
        "report_only": (api(own, partner, True, reports), sockets["report_only"]),
        "enforced": (api(own, partner, False, reports), sockets["enforced"]),
    }
    with serving(apps):
        yield Served(ports, reports)


def fetch_from(page_url: str, url: str, init: dict[str, Any]) -> dict[str, Any]:
    browser: Any
    with chromium() as browser:
        context = browser.new_context()
        try:
            page = context.new_page()
            page.goto(page_url + "/")
            result: dict[str, Any] = page.evaluate(FETCH, {"url": url, "init": init})
            return result
        finally:
            context.close()


READ = {"credentials": "include"}
WRITE = {
    "method": "PUT",
    "credentials": "include",
    "headers": {"Content-Type": "application/json"},
    "body": '{"name": "lamp"}',
}


def test_the_partner_page_still_works_and_the_reports_say_it_would_not(served: Served) -> None:
    partner = served.page("partner")
    api_url = served.page("report_only")
    read = fetch_from(partner, api_url + "/items/7", READ)
    write = fetch_from(partner, api_url + "/items/7", WRITE)
    assert read == {"ok": True, "status": 200, "text": '{"item_id":7}'}
    assert write == {"ok": True, "status": 200, "text": '{"name":"lamp"}'}

    reports = [r for r in served.wait_for(3) if r.origin == partner]
    by_kind = {(r.kind, r.method): r for r in reports}
    # The PUT itself is reported too: CORSMiddleware granted its preflight, so it was sent.
    assert set(by_kind) == {("actual", "GET"), ("preflight", "PUT"), ("actual", "PUT")}
    for report in reports:
        assert report.route == "/items/{item_id}"
        assert report.outcome == "blocked"
        assert report.app.allowed_with_credentials and not report.policy.allowed
    assert by_kind["actual", "GET"].reason == (
        f"origin is not allowed by allow_origins ({served.page('own')})"
    )
    assert by_kind["preflight", "PUT"].reason == (
        f"origin is not allowed by allow_origins ({served.page('own')})"
    )

    # Enforced, the same fetches fail in Chromium, as reported.
    enforced = served.page("enforced")
    for init in (READ, WRITE):
        blocked = fetch_from(partner, enforced + "/items/7", init)
        assert blocked == {"ok": False, "error": "TypeError: Failed to fetch"}


def test_the_own_page_gets_no_report(served: Served) -> None:
    own = served.page("own")
    api_url = served.page("report_only")
    assert fetch_from(own, api_url + "/items/3", READ)["ok"]
    assert fetch_from(own, api_url + "/items/3", WRITE)["ok"]
    # A marker request after them: once its report is in, theirs would be too.
    marker = fetch_from(served.page("partner"), api_url + "/items/3", {"method": "DELETE"})
    assert marker["ok"]
    reports = served.wait_for(5)
    assert [r for r in reports if r.origin == own] == []
    assert any(r.method == "DELETE" for r in reports)
    enforced = served.page("enforced")
    assert fetch_from(own, enforced + "/items/3", READ)["ok"]
    assert fetch_from(own, enforced + "/items/3", WRITE)["ok"]
