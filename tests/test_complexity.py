"""Per-request work does not grow with the size of a policy or of a request header.

Machine-independent: these tests count the Python lines executed (with ``sys.settrace``),
never seconds. Work done in C (a set lookup, a regex scan, bytes.translate) is one line
whatever its input, so equal line counts mean no Python-level loop over origins, patterns
or header names. The timings are in ``python -m benchmarks``.

Only the library's own lines are counted, with the garbage collector paused: a collection
during the call runs finalizers and weak-reference callbacks (``weakref.WeakSet`` cleans up
in Python), and the warnings or logging machinery may run too; none of that is the
library's work, and counting it made these tests fail now and then.
"""

from __future__ import annotations

import gc
from typing import Any

from fastapi.routing import APIRoute
from work_counts import library_lines as lines_run

from cors_routes import CORSPolicy, CORSRoute, cors
from cors_routes._headers import parse_request_headers

EXACT = [f"https://site{i}.example" for i in range(10_000)]
PATTERNS = [f"https://*.tenant{i}.example" for i in range(1_000)]
BIG = CORSPolicy(allow_origins=["https://app.example", *EXACT, *PATTERNS])
SMALL = CORSPolicy(allow_origins=["https://app.example", "https://*.tenant999.example"])


def test_the_count_leaves_out_the_collector_and_code_outside_the_library():
    origin = b"https://app.example"
    alone = lines_run(lambda: SMALL.origin_value(origin))
    assert alone > 0

    class Cycle:
        def __init__(self) -> None:
            self.me = self

        def __del__(self) -> None:
            for _ in range(10):
                pass

    def with_garbage_and_caller_code() -> Any:
        # Enough cyclic garbage to trigger a collection, made by code outside the library.
        for _ in range(2 * gc.get_threshold()[0]):
            Cycle()
        return SMALL.origin_value(origin)

    assert lines_run(with_garbage_and_caller_code) == alone
    gc.collect()


def test_exact_origin_lookup_does_not_grow_with_the_number_of_origins():
    one = CORSPolicy(allow_origins=["https://app.example"])
    for origin in (b"https://app.example", b"https://nowhere.example"):
        assert lines_run(lambda o=origin: BIG.origin_value(o)) <= lines_run(
            lambda o=origin: SMALL.origin_value(o)
        )
        assert lines_run(lambda o=origin: one.origin_value(o)) > 0
    assert BIG.origin_value(b"https://site9999.example") == b"https://site9999.example"


def test_pattern_lookup_does_not_grow_with_the_number_of_patterns():
    hit = b"https://a.b.tenant999.example"
    assert BIG.origin_value(hit) == hit and SMALL.origin_value(hit) == hit
    assert lines_run(lambda: BIG.origin_value(hit)) == lines_run(lambda: SMALL.origin_value(hit))
    miss = b"https://a.b.tenant1000.example"
    assert BIG.origin_value(miss) is None
    assert lines_run(lambda: BIG.origin_value(miss)) == lines_run(lambda: SMALL.origin_value(miss))


def test_request_header_list_is_parsed_without_a_python_loop_per_element():
    one = "x-token, x-token"  # the same branches as many: whitespace around elements
    many = ", ".join(["x-token"] * 128)  # the most elements a list may have
    assert parse_request_headers(many) == ["x-token"] * 128
    assert lines_run(lambda: parse_request_headers(many)) == lines_run(
        lambda: parse_request_headers(one)
    )
    too_many = ", ".join(["x-token"] * 900)  # ~8 KiB: refused by counting, not parsing
    assert parse_request_headers(too_many) is None
    assert lines_run(lambda: parse_request_headers(too_many)) <= lines_run(
        lambda: parse_request_headers(one)
    )
    empties = "," * 1000
    assert parse_request_headers(empties) == []
    # the same branches as the fewest empty elements that take the counting path
    assert lines_run(lambda: parse_request_headers(empties)) == lines_run(
        lambda: parse_request_headers("," * 130)
    )
    inner = "x-token ," * 800 + "a b"
    assert parse_request_headers(inner) is None
    assert lines_run(lambda: parse_request_headers(inner)) == lines_run(
        lambda: parse_request_headers("x-token ," * 130 + "a b")
    )
    assert parse_request_headers("x-token ," * 100 + "a b") is None


def test_allowed_request_headers_is_one_c_level_check():
    many = ["x-token"] * 900
    policy = CORSPolicy(allow_origins=["https://app.example"], allow_headers=["x-token"])
    assert policy.allowed_request_headers(many)
    assert lines_run(lambda: policy.allowed_request_headers(many)) == lines_run(
        lambda: policy.allowed_request_headers(["x-token"])
    )


def _scope(method: str, path: str) -> dict[str, Any]:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "root_path": "",
        "headers": [(b"host", b"api.example"), (b"origin", b"https://app.example")],
    }


def test_matches_adds_a_constant_few_lines_for_requests_that_are_not_preflights():
    # The routing tax: every request runs matches() of every route before its own.
    @cors(allow_origins=["https://app.example"])
    async def endpoint() -> None: ...

    async def plain() -> None: ...

    cors_route = CORSRoute("/items", endpoint, methods=["GET"])
    plain_route = APIRoute("/items", plain, methods=["GET"])
    for method, path in (("GET", "/elsewhere"), ("GET", "/items"), ("POST", "/items")):
        scope = _scope(method, path)
        extra = lines_run(lambda s=scope: cors_route.matches(dict(s))) - lines_run(
            lambda s=scope: plain_route.matches(dict(s))
        )
        assert 0 <= extra <= 3, (method, path, extra)
