"""Atheris fuzz target for the parsers a hostile request reaches (issue 6, part 2).

Every input is split into an Origin value, an Access-Control-Request-Headers value, a
request method and a configured origin entry, and each goes through the code that reads it
on the hot path. Besides "no exception", it checks the invariants a grant depends on:

- a parsed request origin re-serialises to exactly its input;
- an origin longer than MAX_ORIGIN_LENGTH is never granted, and costs a constant number of
  Python lines however long it is;
- a configured entry that is accepted normalises to a fixed point;
- a Unicode host is converted as the idna package's UTS #46 (non-transitional) converts it,
  and one it refuses is refused;
- a parsed header list holds only lower-case tokens, and only for values within the limit;
- a preflight is granted only to an origin the policy allows, with what was asked;
- every decision of the per-request dispatcher makes at most a fixed number of Python-level
  calls, however long the hostile value (counted, not timed: no flake on a loaded machine).

Run: ``bash fuzz/run.sh [seconds]`` (``fuzz/run_atheris.py`` instruments ``cors_routes`` only).
Without atheris, ``check_one_input`` is what the test suite calls on seeds and random data.
"""

from __future__ import annotations

import gc
import re
import sys
from types import FrameType
from typing import Any

import idna

from cors_routes import CORSPolicy
from cors_routes._dispatch import RouteCORS, method_is_token, preflight_asked, send_refusal
from cors_routes._headers import MAX_REQUEST_HEADERS_LENGTH, TOKEN, add_vary, parse_request_headers
from cors_routes._origins import (
    MAX_ORIGIN_LENGTH,
    ParsedOrigin,
    parse_configured_origin,
    parse_request_origin,
)

POLICY = CORSPolicy(
    allow_origins=["https://app.example", "https://*.example.com", "http://localhost:3000"],
    allow_origin_regex=r"https://r[0-9]+\.example\.net",
    allow_headers=["x-token", "authorization"],
    allow_credentials=True,
)


async def _endpoint(scope: Any, receive: Any, send: Any) -> None:
    raise AssertionError("a preflight must never reach the endpoint")


ROUTE = RouteCORS(POLICY, ["GET", "POST", "PURGE"], "GET, POST, PURGE /fuzz", _endpoint)
# A route serving any method (an ASGI app as endpoint): only a method token may be granted.
ANY_METHOD_ROUTE = RouteCORS(POLICY, None, "any method /fuzz", _endpoint)
_FORBIDDEN_METHODS = {b"CONNECT", b"TRACE", b"TRACK"}
# Python-level calls one decision may make. An ordinary preflight makes well under 100; a
# loop over the elements or bytes of a hostile value would make thousands. (Work inside one
# C call, a regex say, is what libFuzzer's -timeout in run.sh is for.)
MAX_DECISION_CALLS = 400
_SERIALIZED = re.compile(r"[a-z][a-z0-9+.\-]*://[^/?#@\s]+")
# A host as a configured entry may hold it: no character that ends or leaves the host.
_HOST_ONLY = re.compile(r"[^:/?#@\[\]*,\s]+")


def _lines_run(func: Any) -> int:
    """How many Python lines ``func()`` executes (a count, not a time: the same everywhere)."""
    count = 0

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        count += event == "line"
        return tracer

    sys.settrace(tracer)
    try:
        func()
    finally:
        sys.settrace(None)
    return count


def _calls_run(func: Any) -> int:
    """How many functions and builtins ``func()`` calls, its own call included."""
    count = 0

    def profiler(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal count
        count += event == "call" or event == "c_call"

    collecting = gc.isenabled()
    gc.disable()  # a collection would count other code's finalizers
    sys.setprofile(profiler)
    try:
        func()
    finally:
        sys.setprofile(None)
        if collecting:
            gc.enable()
    return count


_OVERLONG = b"https://" + b"a." * MAX_ORIGIN_LENGTH + b"example.com"
_OVERLONG_LINES = _lines_run(lambda: POLICY.origin_value(_OVERLONG))


def _split(data: bytes) -> list[bytes]:
    parts = data.split(b"\x00", 3)
    return parts + [b""] * (4 - len(parts))


def _check_request_origin(text: str) -> None:
    parsed = parse_request_origin(text)
    if parsed is not None:
        scheme, host, port = parsed
        assert f"{scheme}://{host}" + (f":{port}" if port else "") == text, (text, parsed)
        assert _SERIALIZED.fullmatch(text), text


def _check_origin_length(origin: bytes) -> None:
    if len(origin) <= MAX_ORIGIN_LENGTH:
        return
    assert parse_request_origin(origin.decode("latin-1")) is None
    assert POLICY.origin_value(origin) is None, len(origin)
    lines = _lines_run(lambda: POLICY.origin_value(origin))
    assert lines == _OVERLONG_LINES, (len(origin), lines, _OVERLONG_LINES)


def _check_unicode_host(text: str) -> None:
    """The configured entry's host, alone in an exact origin, is converted as UTS #46 says."""
    host = text.rpartition("://")[2]
    if host.isascii() or not _HOST_ONLY.fullmatch(host):
        return
    try:
        expected: str | None = idna.encode(host, uts46=True, transitional=False).decode()
    except idna.IDNAError:
        expected = None
    result = parse_configured_origin(f"https://{host}")
    if expected is None:
        assert isinstance(result, str), (host, result)  # never converted some other way
    elif isinstance(result, ParsedOrigin):
        assert result.host == expected, (host, result, expected)
    else:
        # idna's output that is still no origin a browser sends: an invalid IPv4 address
        # (full-width digits), a label origins do not allow, or too long
        assert "IPv4" in result or "invalid host" in result or "characters" in result, result


def _check_configured_origin(text: str) -> None:
    result = parse_configured_origin(text)
    if isinstance(result, ParsedOrigin):
        again = parse_configured_origin(result.normalized)
        assert again == result, (text, result, again)
        if not result.is_pattern:
            assert parse_request_origin(result.normalized) is not None, result
    else:
        assert isinstance(result, str) and result, text


def _check_request_headers(text: str) -> None:
    names = parse_request_headers(text)
    if names is not None:
        assert len(text) <= MAX_REQUEST_HEADERS_LENGTH
        for name in names:
            assert TOKEN.fullmatch(name) and name == name.lower(), name


def _check_vary(raw: bytes) -> None:
    headers = [(b"vary", raw)]
    add_vary(headers, b"Origin")
    once = list(headers)
    add_vary(headers, b"Origin")
    assert headers == once  # idempotent: never a duplicate Origin


def _preflight(
    origin: bytes, method: bytes, requested: bytes, route: RouteCORS = ROUTE
) -> list[tuple[bytes, bytes]]:
    scope = {
        "type": "http",
        "method": "OPTIONS",
        "path": "/fuzz",
        "headers": [
            (b"origin", origin),
            (b"access-control-request-method", method),
            (b"access-control-request-headers", requested),
        ],
    }
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    calls = _calls_run(lambda: _run(_answer(route, scope, send)))
    assert calls <= MAX_DECISION_CALLS, (calls, len(origin), len(method), len(requested))
    start = sent[0]
    headers: list[tuple[bytes, bytes]] = start["headers"]
    if start["status"] == 204:
        assert len(origin) <= MAX_ORIGIN_LENGTH, len(origin)
        text = method.decode("latin-1")
        assert TOKEN.fullmatch(text) and len(method) <= 64, method
        assert method.upper() not in _FORBIDDEN_METHODS, method
        grant = dict(headers)
        assert grant[b"access-control-allow-origin"] == origin
        assert POLICY.origin_value(origin) == origin, origin
        assert grant[b"access-control-allow-methods"] == method
        assert grant[b"access-control-allow-credentials"] == b"true"
    else:
        assert start["status"] == 403
        assert not any(key.startswith(b"access-control-") for key, _ in headers), headers
    return headers


async def _answer(route: RouteCORS, scope: dict[str, Any], send: Any) -> None:
    """What a CORS route (and install()'s router entry) does with a preflight: a method
    that is no short token is refused before anything else, then the policy answers."""
    asked = preflight_asked(scope)
    assert asked is not None
    if not method_is_token(asked[1]):
        await send_refusal(send)
        return
    await route.answer_preflight(scope, send, asked)


def _run(coroutine: Any) -> None:
    """Run a coroutine that never suspends (no origin predicate here) without a loop:
    an event loop per input would cost more than everything it runs."""
    try:
        coroutine.send(None)
    except StopIteration:
        return
    coroutine.close()
    raise AssertionError("the preflight suspended")


def check_one_input(data: bytes) -> None:
    origin, requested, method, configured = _split(data)
    origin_text = origin.decode("latin-1")
    _check_request_origin(origin_text)
    _check_origin_length(origin)
    configured_text = configured.decode("utf-8", "replace")
    _check_configured_origin(configured_text)
    _check_unicode_host(configured_text)
    _check_request_headers(requested.decode("latin-1"))
    _check_vary(requested)
    POLICY.origin_value(origin)
    _preflight(origin, method, requested)
    _preflight(origin, method, requested, ANY_METHOD_ROUTE)
    calls = _calls_run(lambda: POLICY.origin_value(origin))
    assert calls <= MAX_DECISION_CALLS, (calls, len(origin))


def main() -> None:
    import atheris

    atheris.Setup(sys.argv, check_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
