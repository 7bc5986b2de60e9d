"""The example origin store (examples/tenant_origins.py) against real databases: SQLite in a
temporary file and a real PostgreSQL server (skipped when none can be started, required in
CI). Tenants stay apart, the database is asked once per tenant and origin per TTL, and
faults (a database that is down or hangs, a hostile stream of origins) grant nothing."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from origin_servers import free_port, new_database, postgres_server, sqlite_url
from starlette.testclient import TestClient

from examples.tenant_origins import OriginStore, create_app

SHOP_A = "https://shop-a.example"


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    return new_database(request.getfixturevalue("postgres"))


def ask(client: TestClient, host: str, origin: str, method: str = "PUT") -> int:
    answer = client.options(
        "/api/items",
        headers={"Host": host, "Origin": origin, "Access-Control-Request-Method": method},
    )
    granted = answer.headers.get("access-control-allow-origin")
    assert (answer.status_code == 204) is (granted == origin), answer.headers
    return answer.status_code


def store_of(client: TestClient) -> OriginStore:
    store = client.app.state.store  # type: ignore[attr-defined]
    assert isinstance(store, OriginStore)
    return store


def test_each_tenant_gets_its_own_origins_and_the_database_is_asked_once(database_url):
    with TestClient(create_app(database_url)) as client:
        store = store_of(client)
        client.portal.call(store.add_origin, "a.saas.test", SHOP_A)
        store.queries = 0
        for _ in range(5):
            assert ask(client, "a.saas.test", SHOP_A) == 204
            assert ask(client, "b.saas.test", SHOP_A) == 403  # A's origin, B's host
            assert ask(client, "A.SAAS.TEST:8000", SHOP_A) == 204  # the same tenant
        actual = client.get("/api/items", headers={"Host": "a.saas.test", "Origin": SHOP_A})
        assert actual.headers["access-control-allow-origin"] == SHOP_A
        assert actual.headers["access-control-allow-credentials"] == "true"
        assert store.queries == 2  # (a, shop-a) and (b, shop-a), once each


def test_a_change_made_by_this_worker_is_seen_at_once(database_url):
    with TestClient(create_app(database_url)) as client:
        store = store_of(client)
        assert ask(client, "a.saas.test", SHOP_A) == 403  # refusal cached...
        client.portal.call(store.add_origin, "a.saas.test", SHOP_A)
        assert ask(client, "a.saas.test", SHOP_A) == 204  # ...and forgotten by the change
        client.portal.call(store.remove_origin, "a.saas.test", SHOP_A)
        assert ask(client, "a.saas.test", SHOP_A) == 403


def test_a_hostile_stream_of_origins_costs_one_query_each_and_a_bounded_cache(database_url):
    with TestClient(create_app(database_url)) as client:
        store = store_of(client)
        store.cache.max_size = 50
        client.portal.call(store.add_origin, "a.saas.test", SHOP_A)
        store.queries = 0
        hostile = [f"https://evil{n}.example" for n in range(200)]
        for origin in hostile:
            assert ask(client, "a.saas.test", origin) == 403
            assert len(store.cache) <= 50
        assert store.queries == 200
        for origin in hostile[-49:]:  # still cached: no query
            assert ask(client, "a.saas.test", origin) == 403
        assert ask(client, "a.saas.test", SHOP_A) == 204
        assert store.queries == 201
        assert len(store.cache) == 50


@pytest.fixture(params=["sqlite", "postgresql"])
def unreachable_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'no such directory' / 'origins.db'}"
    return f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/postgres"  # nothing listens


def test_a_database_that_is_down_grants_nothing_and_is_not_asked_by_every_request(
    unreachable_url, caplog
):
    # The app cannot create its tables either: run the policy's store without the lifespan.
    app = create_app(unreachable_url)
    store: OriginStore = app.state.store
    client = TestClient(app)
    with caplog.at_level(logging.WARNING, logger="cors_routes"):
        for _ in range(5):
            assert ask(client, "a.saas.test", SHOP_A) == 403
            assert ask(client, "b.saas.test", SHOP_A) == 403
    assert store.cache.stats.errors == 2  # once per tenant and origin, within refusal_ttl
    assert store.queries == 2
    assert "allow_origin_func raised for origin 'https://shop-a.example'" in caplog.text


def test_a_database_that_hangs_is_refused_after_the_timeout(caplog):
    # A server that accepts the connection and never answers (the listen backlog).
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        app = create_app(f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres")
        store: OriginStore = app.state.store
        store.cache.timeout = 0.3
        client = TestClient(app)
        with caplog.at_level(logging.WARNING, logger="cors_routes"):
            assert ask(client, "a.saas.test", SHOP_A) == 403
            assert ask(client, "a.saas.test", SHOP_A) == 403  # refused meanwhile: cached
    assert store.cache.stats.timeouts == 1
    assert store.queries == 1
    assert "did not answer for origin 'https://shop-a.example' within 0.3s" in caplog.text


def test_the_query_counts_under_concurrent_load_in_docs_performance_hold():
    # python -m benchmarks.origin_queries: its scenarios, their query counts asserted.
    from benchmarks.origin_queries import measure

    counts = {
        scenario.name: (queries, granted, cached)
        for scenario, queries, granted, cached, _ in measure()
    }
    assert counts == {
        "1,000 concurrent preflights, 1 new origin": (1, 1000, 1),
        "1,000 concurrent preflights from 50 origins": (50, 500, 50),
        "the same burst twice more (cached)": (50, 1500, 50),
        "hostile: 1,000 distinct unregistered origins": (1000, 0, 1000),
        "database down: 1,000 preflights from 50 origins": (50, 0, 50),
    }
