"""Probing an app in process: what a browser lets a page of one origin do with one request.

Each probe is a real ASGI request to the app (a preflight, or the actual request), and each
response is judged by :mod:`cors_routes.browser`, the Fetch standard's checks, twice: for a
request without credentials and for one with (``credentials: "include"``); a preflight never
carries credentials, so one response answers both. Nothing of the app's CORS configuration is
read here: an app with ``CORSMiddleware`` or hand-written ``OPTIONS`` handlers is probed the
same way as one using cors_routes.

One assumption keeps the count of requests small: a preflight that asks for more than a
refused one (request headers, private network access) is refused too, so those probes are
only sent once the bare preflight passes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from . import browser
from ._contract_targets import Target, header_value

NO = "no"
WITHOUT = "without credentials"
WITH = "with credentials"
LEVELS = (NO, WITHOUT, WITH)
"""How far a browser lets a page go, in order: not at all; only without credentials; with
credentials too (a response that passes the check with credentials passes it without)."""

NOTHING = "nothing"
"""An origin that is granted nothing on a request: one line instead of an object."""

Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class _Response:
    status: int
    headers: Headers


class _Gone(OSError):
    """The probe has the response's start; the client is gone (as a server reports it)."""


async def _send(app: Any, method: str, path: str, headers: list[tuple[str, str]]) -> _Response:
    """One request to ``app``; only the response's status and headers are kept.

    Once the response has started the client goes away (``http.disconnect``, and an error
    from ``send`` for more body), so an endless stream ends the probe, not the snapshot.
    """
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("latin-1", "replace"),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]
        + [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    started = asyncio.Event()
    start: dict[str, Any] | None = None
    body_sent = False

    async def receive() -> dict[str, Any]:
        nonlocal body_sent
        if not body_sent:
            body_sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await started.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal start
        if message["type"] == "http.response.start" and start is None:
            start = message
            started.set()
        elif start is not None and message.get("more_body"):
            raise _Gone("the client is gone")

    try:
        await app(scope, receive, send)
    except Exception:
        pass
    if start is None:
        return _Response(500, ())  # what a server sends for an app that raised first
    return _Response(
        int(start["status"]),
        tuple(
            (bytes(k).decode("latin-1").lower(), bytes(v).decode("latin-1"))
            for k, v in start.get("headers", ())
        ),
    )


def _level(passes: Callable[[bool], bool]) -> str:
    if passes(True):
        return WITH
    return WITHOUT if passes(False) else NO


def _request(origin: str, method: str, url: str, names: Sequence[str], credentials: bool) -> Any:
    headers = tuple((name, header_value(name)) for name in names)
    return browser.Request(origin, method, url, headers, credentials)


def _preflight_headers(origin: str, method: str, names: Sequence[str]) -> list[tuple[str, str]]:
    headers = [("origin", origin), ("access-control-request-method", method)]
    if names:
        headers.append(("access-control-request-headers", ",".join(names)))
    return headers


async def probe_target(
    app: Any, target: Target, origins: Sequence[str], named: Sequence[str], names: Sequence[str]
) -> dict[str, Any]:
    """What a page of each of ``origins`` may do with ``target`` (the facts, or
    :data:`NOTHING`), in the order of ``origins``. ``named`` are the origins the app's
    configuration names (or the user gave): probed first."""
    found: dict[str, Any] = {}
    checks_origins = False
    for origin in [*named, *(origin for origin in origins if origin not in named)]:
        facts, preflight_passed = await probe(
            app, target, origin, names, skip_refused=checks_origins and origin not in named
        )
        found[origin] = facts
        checks_origins = checks_origins or (origin in named and preflight_passed)
    return {origin: found[origin] for origin in origins}


async def probe(
    app: Any, target: Target, origin: str, names: Sequence[str], *, skip_refused: bool = False
) -> tuple[Any, bool]:
    """What a page of ``origin`` may do with ``target``: the facts, or :data:`NOTHING`; and
    whether the bare preflight passed.

    With ``skip_refused`` (the app granted a named origin's preflight here, so it checks
    origins), an origin whose preflight is refused is taken as refused by the actual request
    too, and that request is not sent: the actual requests, which go through all of the
    app's routing, are most of a snapshot's cost.
    """
    assert target.url is not None
    method, url = target.method, target.url

    async def preflight(asked: Sequence[str], extra: Sequence[tuple[str, str]] = ()) -> Any:
        headers = [*_preflight_headers(origin, method, asked), *extra]
        return await _send(app, "OPTIONS", url, headers)

    def preflight_level(response: _Response, asked: Sequence[str]) -> str:
        return _level(
            lambda credentials: (
                browser.preflight_check(
                    _request(origin, method, url, asked, credentials),
                    response.status,
                    response.headers,
                ).ok
            )
        )

    bare = await preflight(())
    send = preflight_level(bare, ())
    granted: dict[str, str] = {}
    private_network = NO
    max_age: int | str | None = None
    if send != NO:
        max_age = _max_age(bare.headers)
        together = await preflight(names)
        level = preflight_level(together, names) if names else send
        if level == send:
            granted = dict.fromkeys(names, level)
        else:
            for name in names:
                granted[name] = preflight_level(await preflight((name,)), (name,))
        asked = await preflight((), [("access-control-request-private-network", "true")])
        private_network = _level(
            lambda credentials: (
                browser.preflight_check(
                    _request(origin, method, url, (), credentials), asked.status, asked.headers
                ).ok
                and browser.header_value(asked.headers, "access-control-allow-private-network")
                == "true"
            )
        )
    simple = method in browser.SAFELISTED_METHODS
    read: str = NO
    exposed: dict[str, str] = {}
    # The browser sends any other request only after its preflight passed (so the endpoint
    # runs only for the origins it would run for).
    if send != NO or (simple and not skip_refused):
        read, exposed = await _actual(app, origin, method, url)
        if not simple and read != min(read, send, key=LEVELS.index):
            read = send
            exposed = {name: min(level, send, key=LEVELS.index) for name, level in exposed.items()}
    facts: dict[str, Any] = {}
    if not simple:
        facts["send"] = send
    facts["headers"] = {name: level for name, level in sorted(granted.items()) if level != NO}
    facts["private_network"] = private_network
    facts["read"] = read
    facts["exposed"] = exposed
    if not any(value not in (NO, {}) for value in facts.values()):
        return NOTHING, send != NO
    if send != NO:
        facts["max_age"] = max_age
    return facts, send != NO


async def _actual(app: Any, origin: str, method: str, url: str) -> tuple[str, dict[str, str]]:
    """How far the page may read the response, and the exposed headers (name: level).

    A request with credentials carries the user's cookies, and a server may answer it
    otherwise (Starlette's CORSMiddleware before 0.38 reflected the origin for ``*`` only
    when a cookie came): where the answer without cookies is ``*``, which only requests
    without credentials may read, the request is sent again with a cookie, and judged with
    credentials.
    """

    def judge(response: _Response, credentials: bool) -> bool:
        request = _request(origin, method, url, (), credentials)
        return browser.cors_check(request, response.headers).ok

    plain = await _send(app, method, url, [("origin", origin)])
    if not judge(plain, False):
        return NO, {}
    exposed = dict.fromkeys(_exposed(plain), WITHOUT)
    with_cookie = plain
    if not judge(plain, True):
        if browser.header_value(plain.headers, "access-control-allow-origin") != "*":
            return WITHOUT, exposed
        with_cookie = await _send(app, method, url, [("origin", origin), ("cookie", "probe=1")])
        if not judge(with_cookie, True):
            return WITHOUT, exposed
    for name in _exposed(with_cookie):
        # "*" means every header only without credentials (Fetch: with them it is a name)
        exposed[name] = WITHOUT if name == "*" else WITH
    return WITH, dict(sorted(exposed.items()))


def _exposed(response: _Response) -> list[str]:
    listed = browser.parse_list(
        browser.header_value(response.headers, "access-control-expose-headers")
    )
    return sorted({item.lower() for item in listed or ()})


def _max_age(headers: Headers) -> int | str | None:
    value = browser.header_value(headers, "access-control-max-age")
    if value is None:
        return None
    value = value.strip()
    return int(value) if value.isdigit() and len(value) < 12 else value
