"""A CORS contract as data and as text: built from probes, written as stable JSON, read back.

The text is the same bytes for the same app on every run and Python version: every mapping
is written in an order chosen here (sorted paths, methods, origins and names; facts in a
fixed order), nothing depends on hashing, time or addresses, and ``json`` writes it with a
2-space indent and a final newline, one fact a line.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeVar

from . import _contract_targets as targets_
from ._asgi import lifespan as run_lifespan
from ._contract_probe import NOTHING, probe_target
from ._inventory import iter_routes

FORMAT_KEY = "cors_routes_contract"
FORMAT_VERSION = 1

T = TypeVar("T")


class ContractError(ValueError):
    """A file that is not a CORS contract this version reads."""


def build(
    app: Any,
    *,
    origins: Iterable[str] = (),
    carried: Mapping[str, Any] | None = None,
    lifespan: bool = False,
) -> dict[str, Any]:
    """Probe ``app`` and return its contract. ``origins`` are probed besides the app's own
    and the synthetic ones; ``carried`` is an earlier contract, whose origins and request
    headers are probed again (so a comparison with it asks the same questions)."""
    carried_origins = list((carried or {}).get("origins", {}))
    carried_headers = list((carried or {}).get("request_headers", []))

    async def probe_all() -> dict[str, Any]:
        # Read after the start-up, when there is one: an app may include routers there.
        routes = iter_routes(app)
        listed = targets_.listed_origins(app, routes)
        probed = targets_.probe_origins(listed, list(origins), carried_origins)
        names = targets_.probe_headers(app, routes, carried_headers)
        named = [o for o, why in probed.items() if why in (targets_.LISTED, targets_.GIVEN)]
        entries: dict[str, dict[str, Any]] = {}
        for target in targets_.targets(app, routes):
            entry: dict[str, Any] = {"answer": target.answer, "probe": target.url}
            if target.url is not None:
                entry["origins"] = await probe_target(app, target, list(probed), named, names)
            entries.setdefault(target.path, {})[target.method] = entry
        return {
            FORMAT_KEY: FORMAT_VERSION,
            "origins": probed,
            "request_headers": names,
            "routes": entries,
        }

    async def run() -> dict[str, Any]:
        if not lifespan:
            return await probe_all()
        async with run_lifespan(app):
            return await probe_all()

    return run_sync(run)


def render(contract: Mapping[str, Any]) -> str:
    return json.dumps(contract, indent=2, ensure_ascii=True) + "\n"


def run_sync(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to its end, also from code already inside an event loop (an async
    test): there, in a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())  # type: ignore[arg-type]
    result: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(make()))  # type: ignore[arg-type]
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=target, name="cors-routes-contract")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result[0]


def parse(text: str, source: str) -> dict[str, Any]:
    """Read a contract's text; :class:`ContractError` says what is wrong with it."""
    try:
        data = json.loads(text)
    except ValueError as error:
        raise ContractError(f"{source} is not JSON ({error})") from None
    if not isinstance(data, dict) or FORMAT_KEY not in data:
        raise ContractError(
            f"{source} is not a CORS contract (no {FORMAT_KEY!r} key): write one with "
            "cors-routes snapshot APP"
        )
    if data[FORMAT_KEY] != FORMAT_VERSION:
        raise ContractError(
            f"{source} is a contract of version {data[FORMAT_KEY]!r}; this cors_routes reads "
            f"version {FORMAT_VERSION}: write it again with cors-routes snapshot APP"
        )
    problems = _shape_problems(data)
    if problems:
        raise ContractError(f"{source} is not a well-formed CORS contract: {problems[0]}")
    return data


def _shape_problems(data: dict[str, Any]) -> list[str]:
    problems = []
    if not isinstance(data.get("origins"), dict):
        problems.append("'origins' must map each probed origin to why it was probed")
    if not isinstance(data.get("request_headers"), list):
        problems.append("'request_headers' must list the request header names probed")
    routes = data.get("routes")
    if not isinstance(routes, dict):
        return [*problems, "'routes' must map paths to methods to entries"]
    for path, methods in routes.items():
        if not isinstance(methods, dict):
            problems.append(f"routes[{path!r}] must map methods to entries")
            continue
        for method, entry in methods.items():
            if not isinstance(entry, dict) or not isinstance(entry.get("origins", {}), dict):
                problems.append(f"routes[{path!r}][{method!r}] must hold 'answer' and 'origins'")
                continue
            for origin, facts in entry.get("origins", {}).items():
                if facts != NOTHING and not isinstance(facts, dict):
                    problems.append(
                        f"routes[{path!r}][{method!r}]['origins'][{origin!r}] must be "
                        f"{NOTHING!r} or the facts"
                    )
    return problems
