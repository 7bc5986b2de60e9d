"""``python -m benchmarks.origin_queries``: how many database queries concurrent preflights
cost when a tenant's origins live in a database (examples/tenant_origins.py on SQLite in a
temporary file, asked through ``cached_origins``).

Each scenario sends its preflights at once (in-process ASGI calls gathered on one event loop,
as a server's concurrent connections are) and counts the queries the store ran. Needs the
``[store]`` extra. Prints a Markdown table (pasted into docs/performance.md).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TENANT = "a.saas.test"


@dataclass(frozen=True)
class Scenario:
    name: str
    origins: int  # distinct origins
    preflights: int  # sent at once, spread evenly over the origins
    registered: Callable[[int], bool]  # which of them the tenant registered
    rounds: int = 1  # the same burst again (answers now cached)
    reachable: bool = True  # False: the database is down


SCENARIOS = (
    Scenario("1,000 concurrent preflights, 1 new origin", 1, 1000, lambda i: True),
    Scenario("1,000 concurrent preflights from 50 origins", 50, 1000, lambda i: i % 2 == 0),
    Scenario("the same burst twice more (cached)", 50, 1000, lambda i: i % 2 == 0, rounds=3),
    Scenario("hostile: 1,000 distinct unregistered origins", 1000, 1000, lambda i: False),
    Scenario("database down: 1,000 preflights from 50 origins", 50, 1000, lambda i: True, 1, False),
)


def _scope(origin: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "OPTIONS",
        "scheme": "http",
        "path": "/api/items",
        "raw_path": b"/api/items",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", TENANT.encode()),
            (b"origin", origin.encode()),
            (b"access-control-request-method", b"PUT"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def _preflight(app: Any, origin: str) -> int:
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(_scope(origin), receive, send)
    return status


async def _run(scenario: Scenario, directory: Path) -> tuple[int, int, int, float]:
    sys.path.insert(0, str(ROOT))
    from examples.tenant_origins import create_app

    if scenario.reachable:
        url = f"sqlite+aiosqlite:///{directory / f'{id(scenario)}.db'}"
    else:
        url = f"sqlite+aiosqlite:///{directory / 'no such directory' / 'origins.db'}"
    app = create_app(url)
    store = app.state.store
    origins = [f"https://client{i}.example" for i in range(scenario.origins)]
    if scenario.reachable:
        await store.create_tables()
        for index, origin in enumerate(origins):
            if scenario.registered(index):
                await store.add_origin(TENANT, origin)
    store.queries = 0
    granted = 0
    started = time.perf_counter()
    for _ in range(scenario.rounds):
        burst = [origins[i % len(origins)] for i in range(scenario.preflights)]
        statuses = await asyncio.gather(*(_preflight(app, origin) for origin in burst))
        granted += sum(status == 204 for status in statuses)
    elapsed = time.perf_counter() - started
    await store.engine.dispose()
    return store.queries, granted, len(store.cache), elapsed


def measure() -> list[tuple[Scenario, int, int, int, float]]:
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        for scenario in SCENARIOS:
            queries, granted, cached, elapsed = asyncio.run(_run(scenario, Path(directory)))
            rows.append((scenario, queries, granted, cached, elapsed))
    return rows


def main() -> int:
    import logging

    logging.getLogger("cors_routes").setLevel(logging.CRITICAL)  # the "database down" warnings
    print("| scenario | preflights | database queries | granted | answers cached | wall time |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for scenario, queries, granted, cached, elapsed in measure():
        sent = scenario.preflights * scenario.rounds
        print(
            f"| {scenario.name} | {sent:,} | {queries:,} | {granted:,} | {cached:,} | "
            f"{elapsed * 1000:,.0f} ms |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
