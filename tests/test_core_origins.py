"""Origin matching: exact, "*", subdomain patterns, regex, allow_origin_func."""

import logging

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient
from warning_guard import FASTAPI_DOCS_WITHOUT_CORS
from work_counts import library_lines as lines_run

from cors_routes import CORSConfigError, CORSPolicy, CORSRoute, cors
from cors_routes._origins import MAX_ORIGIN_LENGTH, parse_request_origin
from cors_routes._text import escape

# Route-class apps keep FastAPI's docs without CORS; the lint's finding about them is not
# what these tests are about (tests/warning_guard.py).
pytestmark = FASTAPI_DOCS_WITHOUT_CORS


def client_for(**policy):
    app = FastAPI()
    app.router.route_class = CORSRoute

    @app.put("/r")
    @cors(**policy)
    def endpoint():
        return {"ok": True}

    return TestClient(app)


def allowed(client, origin):
    """Check the actual request and the preflight agree, return whether the origin was granted."""
    actual = client.put("/r", headers={"Origin": origin})
    assert actual.status_code == 200
    pre = client.options("/r", headers={"Origin": origin, "Access-Control-Request-Method": "PUT"})
    acao = actual.headers.get("access-control-allow-origin")
    if pre.status_code == 204:
        assert pre.headers["access-control-allow-origin"] == origin
        assert acao == origin
        return True
    assert pre.status_code == 403
    assert "access-control-allow-origin" not in pre.headers
    assert acao is None
    return False


# ---------- exact


@pytest.mark.parametrize(
    "origin, expected",
    [
        ("https://app.example", True),
        ("http://app.example", False),
        ("https://app.example:443", False),  # browsers never send the default port
        ("https://app.example:8443", False),
        ("https://www.app.example", False),
        ("https://app.example.evil.io", False),
        ("https://app.exampl", False),
        ("https://app.examplex", False),
        ("https://xapp.example", False),
        ("https://app.example/", False),
        ("https://APP.EXAMPLE", False),
        ("null", False),
        ("", False),
    ],
)
def test_exact_origin(origin, expected):
    assert allowed(client_for(allow_origins=["https://app.example"]), origin) is expected


@pytest.mark.parametrize(
    "origin, expected",
    [
        ("http://localhost:8000", True),
        ("http://localhost:8001", False),
        ("http://localhost", False),
        ("https://localhost:8000", False),
        ("http://127.0.0.1:8000", False),
    ],
)
def test_exact_origin_with_port(origin, expected):
    assert allowed(client_for(allow_origins=["http://localhost:8000"]), origin) is expected


def test_exact_origin_configured_in_upper_case_matches_lower_case_request():
    assert allowed(client_for(allow_origins=["HTTPS://App.Example"]), "https://app.example")


def test_idn_origin_configured_in_unicode_matches_punycode_request():
    client = client_for(allow_origins=["https://bücher.example"])
    assert allowed(client, "https://xn--bcher-kva.example")


def test_many_exact_origins():
    origins = [f"https://app{i}.example" for i in range(1000)]
    client = client_for(allow_origins=origins)
    assert allowed(client, "https://app0.example")
    assert allowed(client, "https://app999.example")
    assert not allowed(client, "https://app1000.example")


@pytest.mark.parametrize(
    "origin, expected",
    [
        ("https://foo.com", True),
        ("https://bar.com", True),
        ("https://barfoo.com", False),
        ("https://foobar.com", False),
        ("https://foo.combar.com", False),
        ("https://bar.comfoo.com", False),
        ("https://foo.com.bar.com", False),
    ],
)
def test_two_origins_do_not_combine(origin, expected):
    # GHSA-vhxv-fg4m-p2w8: allowing foo.com and bar.com must not allow barfoo.com
    client = client_for(allow_origins=["https://foo.com", "https://bar.com"])
    assert allowed(client, origin) is expected


# ---------- subdomain patterns


@pytest.mark.parametrize(
    "origin, expected",
    [
        ("https://a.example.com", True),
        ("https://a.b.example.com", True),
        ("https://x.y.z.example.com", True),
        ("https://a-b.example.com", True),
        ("https://example.com", False),  # not the apex
        ("http://a.example.com", False),  # not another scheme
        ("https://a.example.com:8443", False),  # not another port
        ("https://a.example.com:443", False),
        ("https://evil-example.com", False),
        ("https://a.evil-example.com", False),
        ("https://example.com.evil.io", False),
        ("https://a.example.com.evil.io", False),
        ("https://aexample.com", False),
        ("https://.example.com", False),
        ("https://a..example.com", False),
        ("https://a.example.co", False),
        ("https://a.example.com/", False),
        ("null", False),
    ],
)
def test_subdomain_pattern(origin, expected):
    assert allowed(client_for(allow_origins=["https://*.example.com"]), origin) is expected


@pytest.mark.parametrize(
    "origin, expected",
    [
        ("http://a.example.test:8080", True),
        ("http://a.b.example.test:8080", True),
        ("http://a.example.test", False),
        ("http://a.example.test:8081", False),
        ("http://a.example.test:80", False),
        ("http://example.test:8080", False),
        ("https://a.example.test:8080", False),
    ],
)
def test_subdomain_pattern_with_port(origin, expected):
    assert allowed(client_for(allow_origins=["http://*.example.test:8080"]), origin) is expected


def test_subdomain_pattern_and_apex_together():
    client = client_for(allow_origins=["https://example.com", "https://*.example.com"])
    assert allowed(client, "https://example.com")
    assert allowed(client, "https://www.example.com")
    assert not allowed(client, "https://wwwexample.com")


def test_subdomain_pattern_with_credentials_reflects_origin():
    client = client_for(allow_origins=["https://*.example.com"], allow_credentials=True)
    r = client.put("/r", headers={"Origin": "https://a.example.com"})
    assert r.headers["access-control-allow-origin"] == "https://a.example.com"
    assert r.headers["access-control-allow-credentials"] == "true"


# ---------- "*"


@pytest.mark.parametrize(
    "origin", ["https://anything.example", "http://localhost:1234", "null", "https://x.y.z"]
)
def test_star_allows_any_origin(origin):
    client = client_for(allow_origins=["*"])
    pre = client.options("/r", headers={"Origin": origin, "Access-Control-Request-Method": "PUT"})
    assert pre.status_code == 204
    assert pre.headers["access-control-allow-origin"] == "*"
    assert (
        client.put("/r", headers={"Origin": origin}).headers["access-control-allow-origin"] == "*"
    )


# ---------- regex


@pytest.mark.parametrize(
    "origin, expected",
    [
        ("https://a.example.org", True),
        ("https://abc.example.org", True),
        ("https://a.example.org.evil.com", False),  # prefix match must not pass (starlette#800)
        ("https://a.example.orgx", False),
        ("xhttps://a.example.org", False),
        ("https://a.example.org/", False),
        ("http://a.example.org", False),
        ("https://example.org", False),
    ],
)
def test_regex_full_match(origin, expected):
    client = client_for(allow_origin_regex=r"https://[a-z]+\.example\.org")
    assert allowed(client, origin) is expected


def test_regex_with_explicit_anchors():
    client = client_for(allow_origin_regex=r"^https://[a-z]+\.example\.org$")
    assert allowed(client, "https://a.example.org")
    assert not allowed(client, "https://a.example.org.evil.com")


def test_regex_alternation_is_fully_anchored():
    # "a|b" anchored naively as "^a|b$" would let "b" match as a suffix
    client = client_for(allow_origin_regex=r"https://one\.example|https://two\.example")
    assert allowed(client, "https://one.example")
    assert allowed(client, "https://two.example")
    assert not allowed(client, "https://one.example.evil.io")
    assert not allowed(client, "https://evil.io.https://two.example")


def test_regex_credentials_reflect_origin():
    client = client_for(allow_origin_regex=r"https://.*\.example\.org", allow_credentials=True)
    r = client.put("/r", headers={"Origin": "https://x.example.org"})
    assert r.headers["access-control-allow-origin"] == "https://x.example.org"
    assert r.headers["access-control-allow-credentials"] == "true"


# ---------- allow_origin_func


def test_sync_func():
    seen = []

    def check(origin):
        seen.append(origin)
        return origin.endswith(".trusted.example")

    client = client_for(allow_origin_func=check)
    assert allowed(client, "https://a.trusted.example")
    assert not allowed(client, "https://a.untrusted.example")
    assert "https://a.trusted.example" in seen
    assert "https://a.untrusted.example" in seen


def test_async_func():
    async def check(origin):
        return origin == "https://async.example"

    client = client_for(allow_origin_func=check)
    assert allowed(client, "https://async.example")
    assert not allowed(client, "https://other.example")


def test_func_with_credentials_reflects_origin():
    client = client_for(
        allow_origin_func=lambda o: o == "https://any.example", allow_credentials=True
    )
    r = client.put("/r", headers={"Origin": "https://any.example"})
    assert r.headers["access-control-allow-origin"] == "https://any.example"
    assert r.headers["access-control-allow-credentials"] == "true"


def test_func_not_asked_about_malformed_origins():
    seen = []

    def check(origin):
        seen.append(origin)
        return True

    client = client_for(allow_origin_func=check)
    bad_origins = ["not an origin", "https://a.example/path", "javascript:alert(1)", "https://"]
    for bad in bad_origins:
        assert not allowed(client, bad), bad
    assert not set(seen) & set(bad_origins)


def test_func_not_asked_without_origin():
    seen = []
    client = client_for(allow_origin_func=lambda o: seen.append(o) or True)
    client.put("/r")  # the library may probe the function once when the app starts
    before = len(seen)
    r = client.put("/r")
    assert "access-control-allow-origin" not in r.headers
    assert seen[before:] == []
    assert None not in seen and "" not in seen


def test_null_origin_via_func():
    client = client_for(allow_origin_func=lambda o: o == "null")
    assert allowed(client, "null")
    r = client.put("/r", headers={"Origin": "null"})
    assert r.headers["access-control-allow-origin"] == "null"
    assert not allowed(client, "https://app.example")


def test_null_origin_denied_by_default():
    assert not allowed(client_for(allow_origins=["https://app.example"]), "null")


@pytest.mark.parametrize("pattern", ["https://*.example.com", "http://*.example.test:8080"])
def test_null_origin_never_matches_a_pattern(pattern):
    assert not allowed(client_for(allow_origins=[pattern]), "null")


def test_sync_func_raising_denies_and_logs(caplog):
    def check(origin):
        raise RuntimeError("database down")

    client = client_for(allow_origin_func=check)
    with caplog.at_level(logging.WARNING, logger="cors_routes"):
        assert not allowed(client, "https://app.example")
    records = [r for r in caplog.records if r.name.split(".")[0] == "cors_routes"]
    assert records
    assert any(
        (r.exc_info and isinstance(r.exc_info[1], RuntimeError))
        or "database down" in r.getMessage()
        for r in records
    )


def test_async_func_raising_denies_and_logs(caplog):
    async def check(origin):
        raise ValueError("async failure")

    client = client_for(allow_origin_func=check, allow_origins=["https://listed.example"])
    with caplog.at_level(logging.WARNING, logger="cors_routes"):
        assert not allowed(client, "https://app.example")
        # the other mechanisms still work
        assert allowed(client, "https://listed.example")
    records = [r for r in caplog.records if r.name.split(".")[0] == "cors_routes"]
    assert any(
        (r.exc_info and isinstance(r.exc_info[1], ValueError)) or "async failure" in r.getMessage()
        for r in records
    )


def test_func_raising_does_not_break_the_response():
    def check(origin):
        raise RuntimeError("boom")

    client = client_for(allow_origin_func=check)
    r = client.put("/r", headers={"Origin": "https://app.example"})
    assert r.status_code == 200
    assert r.json() == {"ok": True}
    assert "access-control-allow-origin" not in r.headers


# ---------- combined mechanisms


@pytest.mark.parametrize(
    "origin, expected",
    [
        ("https://listed.example", True),
        ("https://a.pattern.example", True),
        ("https://re1.regex.example", True),
        ("https://func.example", True),
        ("https://none.example", False),
        ("https://pattern.example", False),
        ("https://re.regex.example", False),
    ],
)
def test_any_mechanism_allows(origin, expected):
    client = client_for(
        allow_origins=["https://listed.example", "https://*.pattern.example"],
        allow_origin_regex=r"https://re\d\.regex\.example",
        allow_origin_func=lambda o: o == "https://func.example",
    )
    assert allowed(client, origin) is expected


# ---------- the origin length bound (work is counted in the library's lines, never timed)

PATTERN_POLICY = CORSPolicy(allow_origins=["https://*.example.com"])


def deep_origin(length: int) -> bytes:
    """``https://a.a.(...).example.com`` of exactly ``length`` bytes: as many labels as fit."""
    body = length - len("https://") - len("example.com")
    labels = "a." * (body // 2)
    return ("https://" + "b" * (body % 2) + labels + "example.com").encode()


def run_without_suspending(coroutine):
    """The result of a coroutine that never awaits anything that suspends (sync predicates)."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    raise AssertionError("the coroutine suspended")


def test_max_origin_length_leaves_room_for_any_origin_a_browser_sends():
    # scheme "://" a 253-byte host ":" port, with a long scheme such as chrome-extension
    assert len("chrome-extension://") + 253 + len(":65535") <= MAX_ORIGIN_LENGTH <= 320


def test_pattern_match_costs_the_same_whatever_the_number_of_labels():
    short = b"https://a.example.com"
    for length in (250, MAX_ORIGIN_LENGTH):
        deep = deep_origin(length)
        assert len(deep) == length and deep.count(b".") > length // 3
        assert PATTERN_POLICY.origin_value(deep) == deep  # within the bound: granted
        # no work per label: the same lines as a host with one label under the base
        assert lines_run(lambda d=deep: PATTERN_POLICY.origin_value(d)) == lines_run(
            lambda: PATTERN_POLICY.origin_value(short)
        )


@pytest.mark.parametrize("length", [MAX_ORIGIN_LENGTH + 1, 500_000, 1_000_000])
def test_an_origin_over_the_bound_is_refused_before_any_parsing(length):
    long = deep_origin(length)
    short = b"https://a.example.com"
    policy = CORSPolicy(
        allow_origins=["https://app.example", "https://*.example.com"],
        allow_origin_regex=r"https://.*\.example\.com",
    )
    assert parse_request_origin(long.decode()) is None
    assert policy.origin_value(long) is None
    assert lines_run(lambda: policy.origin_value(long)) <= lines_run(
        lambda: policy.origin_value(short)
    )
    assert lines_run(lambda: parse_request_origin(long.decode())) <= lines_run(
        lambda: parse_request_origin(short.decode())
    )


@pytest.mark.parametrize("length", [MAX_ORIGIN_LENGTH + 1, 1_000_000])
def test_an_origin_over_the_bound_never_reaches_the_predicate(length, caplog):
    seen = []

    def check(origin):
        seen.append(origin)
        raise RuntimeError("must not be asked")

    policy = CORSPolicy(allow_origin_func=check)
    long = deep_origin(length)[:-3] + b"\ncom"  # over the bound, with a newline in it
    with caplog.at_level(logging.DEBUG, logger="cors_routes"):
        assert run_without_suspending(policy.ask_origin_func(long)) is None
        # no more work than for a short value that is no origin either
        assert lines_run(lambda: run_without_suspending(policy.ask_origin_func(long))) <= (
            lines_run(lambda: run_without_suspending(policy.ask_origin_func(b"not an origin")))
        )
    assert seen == []
    assert not [r for r in caplog.records if r.name == "cors_routes"]
    # and the whole request path agrees: nothing is granted
    client = client_for(allow_origin_func=lambda origin: True)
    assert not allowed(client, deep_origin(length).decode())


def test_a_configured_origin_over_the_bound_is_refused():
    host = ".".join(["a" * 60] * 5)  # 304 characters: no browser sends such an origin
    with pytest.raises(CORSConfigError) as info:
        CORSPolicy(allow_origins=[f"https://{host}"])
    assert f"never send an origin of more than {MAX_ORIGIN_LENGTH}" in str(info.value)
    with pytest.raises(CORSConfigError):
        CORSPolicy(allow_origins=[f"https://*.{host}"])


# ---------- the ERROR line when allow_origin_func raises


def test_origin_in_the_predicate_error_line_is_escaped_and_shortened(caplog):
    def check(origin):
        raise RuntimeError("database down")

    policy = CORSPolicy(allow_origin_func=check)
    origin = deep_origin(MAX_ORIGIN_LENGTH - 10)
    with caplog.at_level(logging.ERROR, logger="cors_routes"):
        assert run_without_suspending(policy.ask_origin_func(origin)) is None
    (record,) = [r for r in caplog.records if r.name == "cors_routes"]
    message = record.getMessage()
    assert record.levelno == logging.ERROR and isinstance(record.exc_info[1], RuntimeError)
    assert f"({len(origin)} chars)" in message
    assert origin.decode() not in message
    assert len(message) < 300 and "\n" not in message


def test_escape_makes_control_characters_visible_on_one_line():
    # what reaches the ERROR line is a valid origin; escape() guards every value anyway
    shown = escape("https://a.example\r\nFAKE LOG LINE \x1b[31m" + "x" * 500)
    assert "\n" not in shown and "\r" not in shown and "\x1b" not in shown
    assert "\\r\\n" in shown and "\\x1b" in shown
    assert shown.endswith(f"...({38 + 500} chars)'") and len(shown) < 250
