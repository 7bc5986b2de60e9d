"""Two server processes (uvicorn, loopback) of examples/tenant_origins.py sharing one database,
each with its own cache: a tenant's origin added or removed by a third party (an admin job,
another service) is granted, then refused, on both.

- PostgreSQL: the change is announced with NOTIFY and both servers LISTEN. Their TTLs are an
  hour, so only the announcement can make them see it within the deadline.
- SQLite, no broker: the change is seen when the cached answer expires (a tiny TTL here).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from origin_servers import example_servers, new_database, postgres_server, sqlite_url, wait_until

from examples.tenant_origins import OriginStore

TENANT = "a.saas.test"
ORIGIN = "https://new-client.example"


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    with postgres_server() as url:
        yield url


def status(base: str) -> int:
    answer = httpx.options(
        f"{base}/api/items",
        headers={"Host": TENANT, "Origin": ORIGIN, "Access-Control-Request-Method": "PUT"},
        timeout=5,
    )
    granted = answer.headers.get("access-control-allow-origin") == ORIGIN
    assert granted is (answer.status_code == 204)
    return answer.status_code


def change(database_url: str, add: bool) -> None:
    """What an admin job does: change the tenant's origins (announcing it on PostgreSQL)."""

    async def run() -> None:
        store = OriginStore(database_url)
        try:
            await store.create_tables()
            if add:
                await store.add_origin(TENANT, ORIGIN)
            else:
                await store.remove_origin(TENANT, ORIGIN)
        finally:
            await store.engine.dispose()

    asyncio.run(run())


def run_scenario(database_url: str, deadline: float, **env: str) -> None:
    change(database_url, add=False)  # creates the table
    with example_servers(database_url, 2, **env) as servers:
        # Both refuse, and keep the refusal in their caches.
        assert [status(base) for base in servers] == [403, 403]
        assert [status(base) for base in servers] == [403, 403]

        change(database_url, add=True)
        for base in servers:
            wait_until(lambda base=base: status(base) == 204, deadline, f"granted on {base}")

        change(database_url, add=False)
        for base in servers:
            wait_until(lambda base=base: status(base) == 403, deadline, f"refused on {base}")


def test_postgresql_notify_reaches_every_worker(postgres):
    # An hour of TTL: without the announcement nothing would change within the deadline.
    run_scenario(new_database(postgres), deadline=10, ORIGIN_TTL="3600", ORIGIN_REFUSAL_TTL="3600")


def test_sqlite_without_a_broker_sees_changes_within_the_ttl(tmp_path: Path):
    run_scenario(sqlite_url(tmp_path), deadline=10, ORIGIN_TTL="0.5", ORIGIN_REFUSAL_TTL="0.5")
