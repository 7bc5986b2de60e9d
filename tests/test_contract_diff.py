"""``diff``: each kind of change between two apps, probed for real, classified and worded.

Every row of the grid builds the same small app twice, with one thing changed between the
two (an origin, a method, a header, credentials, an exposed header, max-age, private network
access, a route, a default that covers the router's 404), snapshots both and checks that
the diff holds the expected change, with the expected class and words, and nothing of
another class.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import pytest
from _cli import run
from fastapi import FastAPI, Path
from pydantic import BaseModel

from cors_routes import CORSPolicy, cors, install
from cors_routes.contract import Change, ContractError, diff, snapshot

APP = "https://app.example"
PARTNER = "https://partner.example"

BASE = dict(
    allow_origins=[APP],
    allow_methods=["GET", "POST"],
    allow_headers=["x-api-key"],
    expose_headers=["x-total-count"],
    max_age=600,
)


class Item(BaseModel):
    name: str


def build(
    default: dict[str, Any] | None = None,
    *,
    extra_route: bool = False,
    delete_route: bool = True,
    only_decorated: bool = False,
) -> FastAPI:
    app = FastAPI()
    items: list[Item] = []

    @app.get("/items")
    @cors(**(default or BASE)) if only_decorated else (lambda f: f)
    async def list_items() -> list[Item]:
        return items

    if delete_route:

        @app.delete("/items/{item_id}")
        async def delete_item(item_id: Annotated[int, Path(ge=0)]) -> dict[str, int]:
            return {"deleted": item_id}

    if extra_route:

        @app.get("/orders")
        async def list_orders() -> list[Item]:
            return []

    if only_decorated:
        return install(app)
    return install(app, default=CORSPolicy(**(BASE if default is None else default)))


@functools.cache
def base_contract() -> str:
    return snapshot(build())


def with_(**changes: Any) -> dict[str, Any]:
    return {**BASE, **changes}


@dataclass(frozen=True)
class Row:
    name: str
    old: Callable[[], FastAPI]
    new: Callable[[], FastAPI]
    kind: str
    fact: str
    text: str


GRID = [
    Row(
        "new origin",
        build,
        lambda: build(with_(allow_origins=[APP, PARTNER])),
        "widened",
        "read",
        f"{PARTNER} may now read the response to GET /items (without credentials only) "
        "(not probed before: compared with what https://cors-probe.invalid was granted)",
    ),
    Row(
        "origin removed",
        lambda: build(with_(allow_origins=[APP, PARTNER])),
        build,
        "narrowed",
        "read",
        f"{PARTNER} may no longer read the response to GET /items (no longer probed: "
        "compared with what https://cors-probe.invalid is granted)",
    ),
    Row(
        "new method",
        build,
        lambda: build(with_(allow_methods=["GET", "POST", "DELETE"])),
        "widened",
        "send",
        f"{APP} may now send DELETE to /items/{{item_id}} (without credentials only)",
    ),
    Row(
        "method removed",
        lambda: build(with_(allow_methods=["GET", "POST", "DELETE"])),
        build,
        "narrowed",
        "send",
        f"{APP} may no longer send DELETE to /items/{{item_id}}",
    ),
    Row(
        "new header",
        build,
        lambda: build(with_(allow_headers=["x-api-key", "authorization"])),
        "widened",
        "header",
        f"{APP} may now send GET to /items with the authorization header (without "
        "credentials only)",
    ),
    Row(
        "header removed",
        build,
        lambda: build(with_(allow_headers=[])),
        "narrowed",
        "header",
        f"{APP} may no longer send GET to /items with the x-api-key header",
    ),
    Row(
        "credentials added",
        build,
        lambda: build(with_(allow_credentials=True)),
        "widened",
        "read",
        f"{APP} may now read the response to credentialed GET /items (before: without "
        "credentials only)",
    ),
    Row(
        "credentials removed",
        lambda: build(with_(allow_credentials=True, allow_methods=["GET", "DELETE"])),
        lambda: build(with_(allow_methods=["GET", "DELETE"])),
        "narrowed",
        "send",
        f"{APP} may no longer send credentialed DELETE to /items/{{item_id}} (still without "
        "credentials)",
    ),
    Row(
        "exposed header added",
        build,
        lambda: build(with_(expose_headers=["x-total-count", "x-request-id"])),
        "widened",
        "exposed",
        f"{APP} may now read x-request-id from GET /items (without credentials only)",
    ),
    Row(
        "exposed header removed",
        build,
        lambda: build(with_(expose_headers=[])),
        "narrowed",
        "exposed",
        f"{APP} may no longer read x-total-count from GET /items",
    ),
    Row(
        "max-age changed",
        build,
        lambda: build(with_(max_age=60)),
        "changed",
        "max_age",
        f"{APP}'s preflights for GET /items are now cached for 60 s (before: 600 s)",
    ),
    Row(
        "private network granted",
        build,
        lambda: build(with_(allow_private_network=True)),
        "widened",
        "private_network",
        f"{APP} may now send GET to /items from a public page into a private network "
        "(without credentials only)",
    ),
    Row(
        "any origin",
        build,
        lambda: build(with_(allow_origins=["*"])),
        "widened",
        "read",
        "https://cors-probe.invalid may now read the response to GET /items (without "
        "credentials only)",
    ),
    Row(
        "route added",
        build,
        lambda: build(extra_route=True),
        "widened",
        "read",
        f"{APP} may now read the response to GET /orders (without credentials only)",
    ),
    Row(
        "route removed",
        build,
        lambda: build(delete_route=False),
        "changed",
        "route",
        "DELETE /items/{item_id} is gone; it grants no origin anything",
    ),
    Row(
        "a 404 now granted",
        lambda: build(only_decorated=True),
        build,
        "widened",
        "read",
        f"{APP} may now read the response to GET a path no route serves (404) (without "
        "credentials only)",
    ),
]


def contract_of(make: Callable[[], FastAPI]) -> str:
    return base_contract() if make is build else snapshot(build_app(make))


def build_app(make: Callable[[], FastAPI]) -> FastAPI:
    return make()


@pytest.mark.parametrize("row", GRID, ids=[row.name for row in GRID])
def test_each_change_is_found_classified_and_worded(row: Row) -> None:
    old, new = contract_of(row.old), contract_of(row.new)
    changes = diff(old, new)
    found = [change for change in changes if change.text == row.text]
    assert found, f"no change reads {row.text!r}; the diff says:\n" + "\n".join(
        f"{change.kind}: {change.text}" for change in changes
    )
    assert found[0].kind == row.kind
    assert found[0].fact == row.fact
    # A narrowing row widens nothing and the reverse; a "changed" row does neither.
    others = {change.kind for change in changes} - {row.kind, "changed"}
    assert not others, [change.text for change in changes if change.kind in others]


def test_the_same_app_twice_has_no_change() -> None:
    assert diff(base_contract(), snapshot(build())) == []


def test_a_route_added_says_so_as_well_as_what_it_grants() -> None:
    changes = diff(base_contract(), snapshot(build(extra_route=True)))
    assert (
        Change(
            "changed", "GET /orders is new", "/orders", "GET", None, "route", None, None, "present"
        )
        in changes
    )


def test_credentials_removed_on_a_simple_method_narrows_reading() -> None:
    changes = diff(snapshot(build(with_(allow_credentials=True))), base_contract())
    texts = {change.text: change.kind for change in changes}
    assert (
        texts[
            f"{APP} may no longer read the response to credentialed GET /items (still "
            "without credentials)"
        ]
        == "narrowed"
    )


def test_a_contract_that_is_not_one_is_refused_with_the_reason() -> None:
    with pytest.raises(ContractError, match="not JSON"):
        diff("{", base_contract())
    with pytest.raises(ContractError, match="not a CORS contract"):
        diff("{}", base_contract())
    wrong = json.loads(base_contract())
    wrong["cors_routes_contract"] = 99
    with pytest.raises(ContractError, match="version 99"):
        diff(wrong, base_contract())


# -- the command line ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("contracts")
    contracts = {
        "base": base_contract(),
        "wider": snapshot(build(with_(allow_methods=["GET", "POST", "DELETE"]))),
        "cached": snapshot(build(with_(max_age=60))),
    }
    paths = {}
    for name, text in contracts.items():
        path = folder / f"{name}.json"
        path.write_text(text)
        paths[name] = str(path)
    return paths


def test_diff_of_two_files_exits_1_when_something_widened(files: dict[str, str]) -> None:
    widened = run("diff", files["base"], files["wider"])
    assert widened.returncode == 1, widened.stderr
    # The method, and the slash redirect that carries its target's answer.
    assert widened.stdout == (
        "2 widened, 0 narrowed, 0 changed\n\nwidened:\n"
        f"  {APP} may now send DELETE to /items/{{item_id}} (without credentials only)\n"
        f"  {APP} may now send DELETE to /items/{{item_id}}/ (a trailing-slash redirect) "
        "(without credentials only)\n"
    )
    narrowed = run("diff", files["wider"], files["base"])
    assert narrowed.returncode == 0, narrowed.stderr
    assert narrowed.stdout.startswith("0 widened, 2 narrowed, 0 changed\n")


def test_strict_fails_on_any_change_and_json_is_for_tools(files: dict[str, str]) -> None:
    assert run("diff", files["base"], files["cached"]).returncode == 0
    assert run("diff", files["base"], files["cached"], "--strict").returncode == 1
    same = run("diff", files["base"], files["base"], "--strict")
    assert (same.returncode, same.stdout) == (
        0,
        "no change: browsers may do what the contract says\n",
    )
    out = run("diff", files["base"], files["wider"], "--json")
    assert out.returncode == 1
    data = json.loads(out.stdout)
    assert (data["widened"], data["narrowed"], data["changed"]) == (2, 0, 0)
    assert data["changes"][0] == {
        "kind": "widened",
        "text": f"{APP} may now send DELETE to /items/{{item_id}} (without credentials only)",
        "path": "/items/{item_id}",
        "method": "DELETE",
        "origin": APP,
        "fact": "send",
        "name": None,
        "old": "no",
        "new": "without credentials",
    }


def test_an_unreadable_contract_is_a_usage_error(files: dict[str, str], tmp_path: Any) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("[]")
    result = run("diff", str(broken), files["base"])
    assert result.returncode == 2
    assert "is not a CORS contract" in result.stderr
    missing = run("diff", str(tmp_path / "missing.json"), files["base"])
    assert missing.returncode == 2
    assert "cannot read" in missing.stderr
