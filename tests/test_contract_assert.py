"""``assert_cors_contract``: a test fails with the changes in words; it rewrites when asked."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fastapi import FastAPI

from cors_routes import CORSPolicy, install
from cors_routes.contract import ContractError, assert_cors_contract, snapshot

APP = "https://app.example"


def build(methods: list[str]) -> FastAPI:
    app = FastAPI()

    @app.get("/items")
    async def list_items() -> list[str]:
        return []

    @app.delete("/items/{item_id}")
    async def delete_item(item_id: int) -> dict[str, int]:
        return {"deleted": item_id}

    return install(app, default=CORSPolicy(allow_origins=[APP], allow_methods=methods))


@pytest.fixture(autouse=True)
def no_update_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CORS_ROUTES_UPDATE_CONTRACT", raising=False)


def test_the_packages_name_runs_the_same_check(tmp_path: Path) -> None:
    from cors_routes import assert_cors_contract as from_the_package

    path = tmp_path / "cors-contract.json"
    path.write_text(snapshot(build(["GET"])))
    from_the_package(build(["GET"]), path)
    with pytest.raises(AssertionError, match="may now send DELETE"):
        from_the_package(build(["GET", "DELETE"]), path)


def test_a_missing_file_fails_saying_how_to_create_it(tmp_path: Path) -> None:
    path = tmp_path / "cors-contract.json"
    with pytest.raises(AssertionError) as raised:
        assert_cors_contract(build(["GET"]), path)
    message = str(raised.value)
    assert f"the CORS contract {path} does not exist" in message
    assert "CORS_ROUTES_UPDATE_CONTRACT=1" in message
    assert f"cors-routes snapshot module:app > {path}" in message
    assert not path.exists()


def test_update_creates_the_file_then_the_same_app_passes(tmp_path: Path) -> None:
    path = tmp_path / "cors-contract.json"
    app = build(["GET"])
    assert_cors_contract(app, path, update=True)
    assert path.read_text() == snapshot(app)
    assert_cors_contract(app, path)
    assert_cors_contract(build(["GET"]), str(path))


def test_a_widened_app_fails_with_the_changes_in_words(tmp_path: Path) -> None:
    path = tmp_path / "cors-contract.json"
    path.write_text(snapshot(build(["GET"])))
    with pytest.raises(AssertionError) as raised:
        assert_cors_contract(build(["GET", "DELETE"]), path)
    message = str(raised.value)
    assert message.startswith(
        f"the app's CORS differs from the contract {path} (2 widened, 0 narrowed, 0 changed):\n"
        f"  widened: {APP} may now send DELETE to /items/{{item_id}} (without credentials "
        "only)\n"
    )
    assert "CORS_ROUTES_UPDATE_CONTRACT=1" in message


def test_a_narrowed_app_fails_too(tmp_path: Path) -> None:
    path = tmp_path / "cors-contract.json"
    path.write_text(snapshot(build(["GET", "DELETE"])))
    with pytest.raises(AssertionError, match=r"narrowed: .* may no longer send DELETE"):
        assert_cors_contract(build(["GET"]), path)


def test_the_environment_variable_rewrites_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cors-contract.json"
    path.write_text(snapshot(build(["GET"])))
    wider = build(["GET", "DELETE"])
    monkeypatch.setenv("CORS_ROUTES_UPDATE_CONTRACT", "1")
    assert_cors_contract(wider, path)
    assert path.read_text() == snapshot(wider)
    # update=False wins over the variable
    narrower = build(["GET"])
    with pytest.raises(AssertionError):
        assert_cors_contract(narrower, path, update=False)


def test_a_file_that_is_not_a_contract_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cors-contract.json"
    path.write_text('{"routes": {}}')
    with pytest.raises(ContractError, match="is not a CORS contract"):
        assert_cors_contract(build(["GET"]), path)
    assert_cors_contract(build(["GET"]), path, update=True)
    assert path.read_text() == snapshot(build(["GET"]))


def test_it_works_inside_an_async_test(tmp_path: Path) -> None:
    path = tmp_path / "cors-contract.json"
    app = build(["GET"])
    path.write_text(snapshot(app))

    async def in_a_running_loop() -> None:
        assert_cors_contract(app, path)

    asyncio.run(in_a_running_loop())
