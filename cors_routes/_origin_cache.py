"""``cached_origins``: an ``allow_origin_func`` whose answers are remembered, and cannot leak.

A predicate that asks a database would otherwise run on every preflight. The cache keys each
answer by what the answer depends on: the origin for a predicate of the origin alone, and
the tenant too (the request's ``Host``, or the user's ``key(request)``) for a request-aware
one, so one tenant's grant is never given to another tenant's request.

- Bounded: at most ``max_size`` answers, the least recently used dropped first.
- Grants live ``ttl`` seconds, refusals (and failures) ``refusal_ttl``: the staleness bound
  of a worker that is not told of a change (``invalidate``).
- Single-flight: concurrent requests for one key wait for one run of the predicate.
- A run that takes longer than ``timeout`` (async predicates), or raises, refuses the origin,
  is logged, and is remembered as a refusal for ``refusal_ttl`` so a failing store is not
  asked again by every request meanwhile. Nothing is granted on error.

Pure asyncio: no framework is imported (the request is only read: ``request.headers``).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

from ._text import escape
from .policy import OriginFunc, origin_func_takes_request

__all__ = ["OriginCache", "OriginCacheStats", "cached_origins"]

logger = logging.getLogger("cors_routes")

# The entries: key -> (allowed, expires at); the key is the origin, or (tenant, origin).
_Entry = tuple[bool, float]


@dataclass
class OriginCacheStats:
    """What a cache has done since it was made (for tests, metrics and benchmarks)."""

    hits: int = 0
    """Answers given from the cache."""
    misses: int = 0
    """Answers the cache did not hold (an expired one included)."""
    runs: int = 0
    """Times the predicate ran: with single-flight, at most one per key at a time."""
    timeouts: int = 0
    errors: int = 0
    evictions: int = 0


class OriginCache:
    """A caching ``allow_origin_func``; make one with :func:`cached_origins`."""

    def __init__(
        self,
        func: OriginFunc,
        *,
        ttl: float = 300.0,
        refusal_ttl: float = 30.0,
        max_size: int = 10_000,
        timeout: float | None = 2.0,
        key: Callable[[Any], Hashable] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        problems = []
        if not callable(func):
            problems.append(f"func={func!r} is not callable: pass the allow_origin_func to cache")
        for name, value in (("ttl", ttl), ("refusal_ttl", refusal_ttl)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                problems.append(f"{name}={value!r} is not a number of seconds >= 0")
        if isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 1:
            problems.append(f"max_size={max_size!r} is not a count >= 1")
        if timeout is not None and (
            isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0
        ):
            problems.append(f"timeout={timeout!r} is not a number of seconds > 0 (or None)")
        if key is not None and not callable(key):
            problems.append(f"key={key!r} is not callable: pass a function of the request")
        if problems:
            from .exceptions import CORSConfigError

            raise CORSConfigError([f"cached_origins(): {problem}" for problem in problems])
        self.func = func
        self.ttl = float(ttl)
        self.refusal_ttl = float(refusal_ttl)
        self.max_size = max_size
        self.timeout = timeout
        self.key = key
        self.stats = OriginCacheStats()
        self._clock = clock
        self._func_takes_request = origin_func_takes_request(func)
        self._by_tenant = self._func_takes_request or key is not None
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._pending: dict[Hashable, asyncio.Task[bool]] = {}
        # The policy asks with the request only when the answer depends on it: the signature
        # it reads says (origin) or (origin, request).
        parameters = [inspect.Parameter("origin", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        if self._by_tenant:
            parameters.append(inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD))
        self.__signature__ = inspect.Signature(parameters)
        self.__name__ = f"cached {getattr(func, '__name__', 'allow_origin_func')}"

    # -- asking ---------------------------------------------------------------------------

    def __call__(self, origin: str, request: Any = None) -> bool | Awaitable[bool]:
        """The cached answer for ``origin`` (a bool, no coroutine), or an awaitable of the
        predicate's answer when the cache does not hold one."""
        key = self.key_of(origin, request) if self._by_tenant else origin
        entry = self._entries.get(key)
        if entry is not None:
            if entry[1] > self._clock():
                try:
                    self._entries.move_to_end(key)
                except KeyError:  # invalidated meanwhile, from another thread
                    pass
                self.stats.hits += 1
                return entry[0]
            self._entries.pop(key, None)
        self.stats.misses += 1
        return self._load(key, origin, request)

    def key_of(self, origin: str, request: Any) -> Hashable:
        """What an answer is kept under: ``(tenant, origin)``, the tenant being
        ``key(request)`` or the request's ``Host`` (lower-cased)."""
        if self.key is not None:
            return (self.key(request), origin)
        host = "" if request is None else request.headers.get("host", "")
        return (host.lower(), origin)

    async def _load(self, key: Hashable, origin: str, request: Any) -> bool:
        loop = asyncio.get_running_loop()
        task = self._pending.get(key)
        if task is None or task.get_loop() is not loop or task.done():
            task = loop.create_task(self._run(key, origin, request))
            self._pending[key] = task
        # Shielded: a caller that goes away (a client disconnect) does not cancel the run
        # the other callers wait for.
        return await asyncio.shield(task)

    async def _run(self, key: Hashable, origin: str, request: Any) -> bool:
        self.stats.runs += 1
        try:
            allowed = await self._ask(origin, request)
            ttl = self.ttl if allowed else self.refusal_ttl
        except asyncio.TimeoutError:
            self.stats.timeouts += 1
            logger.warning(
                "allow_origin_func did not answer for origin %s within %ss; the origin is "
                "refused for %ss",
                escape(origin),
                self.timeout,
                self.refusal_ttl,
            )
            allowed, ttl = False, self.refusal_ttl
        except Exception:
            self.stats.errors += 1
            logger.warning(
                "allow_origin_func raised for origin %s; the origin is refused for %ss",
                escape(origin),
                self.refusal_ttl,
                exc_info=True,
            )
            allowed, ttl = False, self.refusal_ttl
        # An invalidation during the run dropped this task from _pending: its answer may be
        # stale, so it goes to the callers already waiting and is not kept.
        if self._pending.get(key) is asyncio.current_task():
            del self._pending[key]
            self._store(key, allowed, ttl)
        return allowed

    async def _ask(self, origin: str, request: Any) -> bool:
        func: Any = self.func
        result = func(origin, request) if self._func_takes_request else func(origin)
        if inspect.isawaitable(result):
            result = await asyncio.wait_for(_awaited(result), self.timeout)
        return result is True

    def _store(self, key: Hashable, allowed: bool, ttl: float) -> None:
        if ttl <= 0:
            return
        entries = self._entries
        entries[key] = (allowed, self._clock() + ttl)
        entries.move_to_end(key)
        while len(entries) > self.max_size:
            entries.popitem(last=False)
            self.stats.evictions += 1

    # -- invalidating ---------------------------------------------------------------------

    def invalidate(self, origin: str | None = None, *, key: Hashable | None = None) -> int:
        """Forget the answers for ``origin`` (for every tenant), for the tenant ``key`` (its
        ``Host``, lower-cased, or what ``key(request)`` returns), or for both; returns how
        many were dropped. Answers being computed for them are not kept either."""
        if origin is None and key is None:
            raise TypeError("invalidate() needs origin=, key= or both; or call invalidate_all()")

        def matches(entry_key: Hashable) -> bool:
            if isinstance(entry_key, tuple):
                tenant, entry_origin = entry_key
            else:
                tenant, entry_origin = None, entry_key
            if origin is not None and entry_origin != origin:
                return False
            return key is None or (tenant is not None and tenant == key)

        dropped = [entry_key for entry_key in self._entries if matches(entry_key)]
        for entry_key in dropped:
            del self._entries[entry_key]
        for entry_key in [entry_key for entry_key in self._pending if matches(entry_key)]:
            del self._pending[entry_key]
        return len(dropped)

    def invalidate_all(self) -> None:
        """Forget every answer (and every answer being computed)."""
        self._entries.clear()
        self._pending.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return (
            f"cached_origins({getattr(self.func, '__name__', self.func)!r}, ttl={self.ttl}, "
            f"refusal_ttl={self.refusal_ttl}, max_size={self.max_size}, timeout={self.timeout})"
        )


async def _awaited(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def cached_origins(
    func: OriginFunc,
    *,
    ttl: float = 300.0,
    refusal_ttl: float = 30.0,
    max_size: int = 10_000,
    timeout: float | None = 2.0,
    key: Callable[[Any], Hashable] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> OriginCache:
    """``func`` (an ``allow_origin_func``, sync or async, of the origin or of the origin and
    the request) with its answers cached; pass the result as ``allow_origin_func``.

    ``ttl``: seconds a grant is kept (the longest a worker that is not told by
    ``invalidate`` keeps granting a removed origin); ``refusal_ttl``: the same for refusals,
    timeouts and errors (the longest before a newly added origin is seen). ``max_size``:
    answers kept, least recently used dropped first. ``timeout``: seconds an async ``func``
    may take before the origin is refused (None: no limit; a sync ``func`` cannot be
    interrupted). ``key``: the tenant, from the request (default: the ``Host`` header, for a
    request-aware ``func``). ``clock``: for tests.
    """
    return OriginCache(
        func,
        ttl=ttl,
        refusal_ttl=refusal_ttl,
        max_size=max_size,
        timeout=timeout,
        key=key,
        clock=clock,
    )
