"""cached_origins: bounded, TTLs for grants and refusals, single-flight, a timeout, keys that
keep tenants apart, invalidation; and faults (raises, hangs, a hostile stream of origins).

Concurrency is made deterministic with events (the predicate waits until every caller is
waiting on it) and time with a fake clock: nothing here sleeps."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import Any

import pytest
from cors_helpers import preflight
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from cors_routes import CORSConfigError, CORSPolicy, OriginCache, cached_origins, install


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def request_to(host: str, path: str = "/", headers: dict[str, str] | None = None) -> Request:
    raw = [(b"host", host.encode())] + [
        (name.lower().encode(), value.encode()) for name, value in (headers or {}).items()
    ]
    return Request({"type": "http", "method": "OPTIONS", "path": path, "headers": raw})


async def answer(cache: OriginCache, origin: str, request: Any = None) -> bool:
    result = cache(origin, request)
    return result if isinstance(result, bool) else await result


class Store:
    """A store of origins that counts the questions it is asked."""

    def __init__(self, origins: set[str] | dict[str, set[str]]) -> None:
        self.origins = origins
        self.asked: Counter[Any] = Counter()

    async def allows(self, origin: str) -> bool:
        self.asked[origin] += 1
        assert isinstance(self.origins, set)
        return origin in self.origins

    async def allows_for(self, origin: str, request: Request) -> bool:
        host = request.headers["host"]
        self.asked[(host, origin)] += 1
        assert isinstance(self.origins, dict)
        return origin in self.origins.get(host, set())


# -- answers, TTLs ----------------------------------------------------------------------------


def test_grants_are_kept_for_the_ttl_and_refusals_for_the_refusal_ttl():
    async def scenario() -> None:
        clock = Clock()
        store = Store({"https://a.example"})
        cache = cached_origins(store.allows, ttl=60, refusal_ttl=5, clock=clock)
        for _ in range(3):
            assert await answer(cache, "https://a.example") is True
            assert await answer(cache, "https://b.example") is False
        assert store.asked == {"https://a.example": 1, "https://b.example": 1}
        # A cached answer is a plain bool: no coroutine on a hit.
        assert cache("https://a.example") is True

        store.origins = {"https://b.example"}  # the store changes; the cache does not know
        clock.now += 5  # the refusal expires, the grant does not
        assert await answer(cache, "https://b.example") is True
        assert await answer(cache, "https://a.example") is True  # stale, within the bound
        clock.now += 55
        assert await answer(cache, "https://a.example") is False
        assert store.asked == {"https://a.example": 2, "https://b.example": 2}
        assert cache.stats.runs == 4

    asyncio.run(scenario())


def test_a_sync_predicate_is_cached_too():
    calls: list[str] = []

    def allows(origin: str) -> bool:
        calls.append(origin)
        return origin == "https://a.example"

    async def scenario() -> None:
        cache = cached_origins(allows)
        assert await answer(cache, "https://a.example") is True
        assert await answer(cache, "https://a.example") is True
        assert await answer(cache, "https://c.example") is False

    asyncio.run(scenario())
    assert calls == ["https://a.example", "https://c.example"]


def test_only_true_is_a_grant():
    async def scenario() -> None:
        cache = cached_origins(lambda origin: "yes")  # type: ignore[arg-type, return-value]
        assert await answer(cache, "https://a.example") is False

    asyncio.run(scenario())


def test_the_options_are_checked():
    with pytest.raises(CORSConfigError) as error:
        cached_origins(lambda o: True, ttl=-1, max_size=0, timeout=0, key="host")  # type: ignore[arg-type]
    assert len(error.value.problems) == 4


# -- single-flight ----------------------------------------------------------------------------


def test_a_thousand_concurrent_askers_of_one_new_origin_run_the_predicate_once():
    async def scenario() -> None:
        release = asyncio.Event()
        runs = 0

        async def slow_store(origin: str) -> bool:
            nonlocal runs
            runs += 1
            await release.wait()
            return True

        cache = cached_origins(slow_store, timeout=None)
        askers = [asyncio.ensure_future(answer(cache, "https://new.example")) for _ in range(1000)]
        # Let every asker reach the cache (each waits on the one run) before the store answers.
        while cache.stats.misses < 1000:
            await asyncio.sleep(0)
        release.set()
        assert await asyncio.gather(*askers) == [True] * 1000
        assert runs == 1
        assert await answer(cache, "https://new.example") is True
        assert runs == 1

    asyncio.run(scenario())


def test_a_caller_that_goes_away_does_not_cancel_the_run_others_wait_for():
    async def scenario() -> None:
        release = asyncio.Event()

        async def store(origin: str) -> bool:
            await release.wait()
            return True

        cache = cached_origins(store, timeout=None)
        first = asyncio.ensure_future(answer(cache, "https://a.example"))
        second = asyncio.ensure_future(answer(cache, "https://a.example"))
        while cache.stats.misses < 2:
            await asyncio.sleep(0)
        first.cancel()  # the client disconnected
        await asyncio.sleep(0)
        release.set()
        assert await second is True
        assert cache.stats.runs == 1

    asyncio.run(scenario())


# -- tenants ----------------------------------------------------------------------------------


def test_one_tenants_grant_is_never_given_to_another():
    async def scenario() -> None:
        store = Store({"a.saas.test": {"https://shop-a.example"}, "b.saas.test": set()})
        cache = cached_origins(store.allows_for)
        assert await answer(cache, "https://shop-a.example", request_to("a.saas.test")) is True
        # A's grant is cached; B's host asking about A's origin is refused all the same.
        assert await answer(cache, "https://shop-a.example", request_to("b.saas.test")) is False
        assert await answer(cache, "https://shop-a.example", request_to("B.SAAS.TEST")) is False
        assert await answer(cache, "https://shop-a.example", request_to("A.saas.test")) is True
        assert store.asked == {
            ("a.saas.test", "https://shop-a.example"): 1,
            ("b.saas.test", "https://shop-a.example"): 1,
        }

    asyncio.run(scenario())


def test_a_key_of_the_users_choosing_names_the_tenant():
    async def allows(origin: str, request: Request) -> bool:
        return request.headers["x-tenant"] == "a" and origin == "https://shop-a.example"

    async def scenario() -> None:
        cache = cached_origins(allows, key=lambda request: request.headers["x-tenant"])
        a = request_to("api.test", headers={"X-Tenant": "a"})
        b = request_to("api.test", headers={"X-Tenant": "b"})
        assert await answer(cache, "https://shop-a.example", a) is True
        assert await answer(cache, "https://shop-a.example", b) is False
        assert cache.invalidate(key="a") == 1
        assert cache.invalidate(key="b") == 1

    asyncio.run(scenario())


def test_the_policy_asks_a_cache_of_an_origin_only_predicate_without_a_request():
    async def allows(origin: str) -> bool:
        return True

    async def allows_for(origin: str, request: Request) -> bool:
        return True

    assert not CORSPolicy(allow_origin_func=cached_origins(allows)).origin_func_takes_request
    assert CORSPolicy(allow_origin_func=cached_origins(allows_for)).origin_func_takes_request
    keyed = cached_origins(allows, key=lambda request: request.headers["x-tenant"])
    assert CORSPolicy(allow_origin_func=keyed).origin_func_takes_request


# -- invalidation -----------------------------------------------------------------------------


def test_invalidate_by_origin_by_tenant_and_all():
    async def scenario() -> None:
        store = Store({"a.test": {"https://x.example"}, "b.test": {"https://x.example"}})
        cache = cached_origins(store.allows_for)
        for host in ("a.test", "b.test"):
            for origin in ("https://x.example", "https://y.example"):
                await answer(cache, origin, request_to(host))
        assert len(cache) == 4
        store.origins["a.test"] = set()
        assert cache.invalidate("https://x.example", key="a.test") == 1
        assert await answer(cache, "https://x.example", request_to("a.test")) is False
        assert await answer(cache, "https://x.example", request_to("b.test")) is True
        assert cache.invalidate("https://y.example") == 2
        assert cache.invalidate(key="b.test") == 1
        assert len(cache) == 1
        cache.invalidate_all()
        assert len(cache) == 0
        with pytest.raises(TypeError, match="invalidate_all"):
            cache.invalidate()

    asyncio.run(scenario())


def test_an_answer_computed_across_an_invalidation_is_not_kept():
    async def scenario() -> None:
        release = asyncio.Event()
        origins = {"https://a.example"}

        async def store(origin: str) -> bool:
            allowed = origin in origins  # read before the change...
            await release.wait()
            return allowed

        cache = cached_origins(store, timeout=None)
        pending = asyncio.ensure_future(answer(cache, "https://a.example"))
        while cache.stats.runs < 1:
            await asyncio.sleep(0)
        origins.clear()  # ...removed, and the change announced, while the store answers
        cache.invalidate("https://a.example")
        release.set()
        assert await pending is True  # the asker before the change gets the old answer
        assert len(cache) == 0  # but it is not kept
        assert await answer(cache, "https://a.example") is False

    asyncio.run(scenario())


# -- faults: nothing is granted on error -------------------------------------------------------


def test_a_predicate_that_raises_refuses_is_logged_and_is_not_asked_again_meanwhile(caplog):
    async def scenario() -> None:
        clock = Clock()
        calls = 0

        async def broken(origin: str) -> bool:
            nonlocal calls
            calls += 1
            raise ConnectionError("database is down")

        cache = cached_origins(broken, refusal_ttl=10, clock=clock)
        for _ in range(5):
            assert await answer(cache, "https://a.example") is False
        assert calls == 1
        clock.now += 10
        assert await answer(cache, "https://a.example") is False
        assert calls == 2
        assert cache.stats.errors == 2

    with caplog.at_level(logging.WARNING, logger="cors_routes"):
        asyncio.run(scenario())
    assert "allow_origin_func raised for origin 'https://a.example'" in caplog.text
    assert "ConnectionError: database is down" in caplog.text


def test_a_predicate_that_hangs_is_refused_after_the_timeout_and_logged(caplog):
    async def scenario() -> None:
        never = asyncio.Event()

        async def hangs(origin: str) -> bool:
            await never.wait()
            return True

        cache = cached_origins(hangs, timeout=0.01)
        assert await answer(cache, "https://a.example") is False
        assert cache.stats.timeouts == 1
        assert await answer(cache, "https://a.example") is False  # refused meanwhile, cached
        assert cache.stats.runs == 1

    with caplog.at_level(logging.WARNING, logger="cors_routes"):
        asyncio.run(scenario())
    assert "did not answer for origin 'https://a.example' within 0.01s" in caplog.text


def test_a_hostile_stream_of_origins_keeps_the_cache_bounded_and_asks_once_per_origin():
    async def scenario() -> None:
        store = Store({"https://good.example"})
        cache = cached_origins(store.allows, max_size=100)
        hostile = [f"https://attacker{n}.example" for n in range(1000)]
        for origin in hostile:
            assert await answer(cache, origin) is False
            assert len(cache) <= 100
        assert await answer(cache, "https://good.example") is True
        for origin in hostile[-99:]:  # the most recent ones are still cached
            assert await answer(cache, origin) is False
        assert max(store.asked.values()) == 1
        assert len(store.asked) == 1001
        assert cache.stats.evictions == 901

    asyncio.run(scenario())


# -- behind a policy, through the app ----------------------------------------------------------


def test_preflights_through_install_ask_the_store_once_per_tenant_and_origin():
    store = Store({"a.saas.test": {"https://shop-a.example"}})

    async def items(request: Request) -> PlainTextResponse:
        return PlainTextResponse("items")

    app = Starlette(routes=[Route("/items", items, methods=["GET", "PUT"])])
    policy = CORSPolicy(allow_origin_func=cached_origins(store.allows_for), allow_methods=["PUT"])
    install(app, default=policy)
    client = TestClient(app)
    for _ in range(3):
        granted = preflight(client, "/items", "https://shop-a.example", "PUT", Host="a.saas.test")
        assert granted.status_code == 204
        refused = preflight(client, "/items", "https://shop-a.example", "PUT", Host="b.saas.test")
        assert refused.status_code == 403
        assert "access-control-allow-origin" not in refused.headers
    assert store.asked == {
        ("a.saas.test", "https://shop-a.example"): 1,
        ("b.saas.test", "https://shop-a.example"): 1,
    }


def test_origins_no_browser_sends_never_reach_the_store():
    store = Store({"https://a.example"})

    async def items(request: Request) -> PlainTextResponse:
        return PlainTextResponse("items")

    app = Starlette(routes=[Route("/items", items)])
    install(app, default=CORSPolicy(allow_origin_func=cached_origins(store.allows)))
    client = TestClient(app)
    for origin in ("https://a.example/", "https://" + "a" * 300 + ".example", "not an origin"):
        assert preflight(client, "/items", origin, "GET").status_code == 403
    assert not store.asked
