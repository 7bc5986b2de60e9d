"""Property tests: random policies x random (also malformed) requests, driven over raw ASGI."""

import asyncio
import re

from fastapi import FastAPI
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from warning_guard import FASTAPI_DOCS_WITHOUT_CORS, expected_finding

from cors_routes import CORSConfigError, CORSPolicy, CORSRoute, cors

# Route-class apps keep FastAPI's docs without CORS; the lint's finding about them is not
# what these tests are about (tests/warning_guard.py).
pytestmark = FASTAPI_DOCS_WITHOUT_CORS

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

EXACT = ["https://a.test", "http://a.test:8080", "https://b.test", "http://localhost:3000"]
PATTERNS = ["https://*.a.test", "http://*.p.test:8080"]
CANDIDATE_ORIGINS = [
    *EXACT,
    "https://x.a.test",
    "https://x.y.a.test",
    "http://x.a.test",
    "https://x.a.test:8443",
    "http://x.p.test:8080",
    "http://x.p.test",
    "http://p.test:8080",
    "https://b.a.test",
    "https://ba.test",
    "https://a.test.evil.io",
    "https://evil-a.test",
    "https://b.testa.test",
    "http://a.test",
    "https://a.test:443",
    "https://A.test",
    "https://a.test/",
    "null",
    "http://localhost:3001",
]
SERVED = ["GET", "POST", "PUT", "DELETE", "PATCH"]
REQUEST_METHODS = [*SERVED, "HEAD", "OPTIONS", "patch", "get", "PURGE", "GE T", ""]
HEADER_POOL = ["x-a", "X-B", "authorization", "content-type", "accept", "x-c", "cookie"]
SAFELISTED = {"accept", "accept-language", "content-language", "content-type"}
TCHAR = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
ORIGIN_RE = re.compile(r"^(https?)://([a-z0-9-]+(?:\.[a-z0-9-]+)*)(?::([0-9]+))?$")

ascii_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
any_bytes = st.binary(max_size=60).filter(lambda b: b"\r" not in b and b"\n" not in b)


# ---------- oracle


def parse_origin(origin):
    m = ORIGIN_RE.match(origin)
    if not m:
        return None
    scheme, host, port = m.groups()
    default = "443" if scheme == "https" else "80"
    if port == default:
        return None  # a serialised origin never carries its default port
    return scheme, host, port or default


def origin_allowed(spec, origin):
    if "*" in spec["origins"]:
        return True
    if origin in spec["origins"]:
        return True
    parsed = parse_origin(origin)
    if parsed is None:
        return False
    scheme, host, port = parsed
    for pattern in spec["origins"]:
        if "*." not in pattern:
            continue
        p_scheme, p_host, p_port = parse_origin(pattern.replace("*.", "wild."))
        suffix = "." + p_host[len("wild.") :]
        if scheme == p_scheme and port == p_port and host.endswith(suffix) and host != suffix[1:]:
            label_part = host[: -len(suffix)]
            if label_part and all(label_part.split(".")):
                return True
    return False


def parse_acrh(value):
    """None when the list is malformed, else the lower-cased names."""
    if len(value) > 8192:
        return None
    names = []
    for element in value.split(","):
        element = element.strip(" \t")
        if not element:
            continue
        if not TCHAR.match(element):
            return None
        names.append(element.lower())
    return names


def preflight_granted(spec, origin, acrm, acrh):
    if not origin_allowed(spec, origin):
        return False
    if acrm not in spec["served"]:
        return False
    methods = spec["methods"]
    if methods is not None and "*" not in methods and acrm not in methods:
        return False
    if acrh is None:
        return True
    names = parse_acrh(acrh)
    if names is None:
        return False
    allowed = set(spec["headers"]) | SAFELISTED
    return "*" in spec["headers"] or all(n in allowed for n in names)


# ---------- strategies


@st.composite
def policy_specs(draw):
    star = draw(st.booleans()) and draw(st.booleans())
    origins = draw(st.lists(st.sampled_from(EXACT + PATTERNS), unique=True, max_size=4))
    if star:
        origins = [*origins, "*"]
    credentials = False if star else draw(st.booleans())
    served = draw(st.lists(st.sampled_from(SERVED), min_size=1, max_size=3, unique=True))
    methods = draw(
        st.one_of(
            st.none(),
            st.just(["*"]),
            st.lists(st.sampled_from(SERVED), max_size=3, unique=True),
        )
    )
    headers = draw(
        st.one_of(
            st.just(["*"]),
            st.lists(st.sampled_from(["x-a", "x-b", "authorization"]), max_size=3, unique=True),
        )
    )
    expose_choices = [[], ["x-e"], ["x-e", "x-f"]] + ([] if credentials else [["*"]])
    expose = draw(st.sampled_from(expose_choices))
    return {
        "origins": origins,
        "credentials": credentials,
        "served": served,
        "methods": methods,
        "headers": headers,
        "expose": expose,
        "private": draw(st.booleans()),
    }


origins_st = st.one_of(st.sampled_from(CANDIDATE_ORIGINS), ascii_text)
acrh_st = st.one_of(
    st.none(),
    st.lists(st.sampled_from(HEADER_POOL), max_size=4).flatmap(
        lambda names: st.sampled_from([",", ", ", " ,", ",,", "\t,"]).map(
            lambda sep: sep.join(names)
        )
    ),
    ascii_text,
)


def build_app(spec):
    app = FastAPI()
    app.router.route_class = CORSRoute

    @app.api_route("/r/{x}", methods=spec["served"])
    @cors(
        allow_origins=spec["origins"],
        allow_credentials=spec["credentials"],
        allow_methods=spec["methods"],
        allow_headers=spec["headers"],
        expose_headers=spec["expose"],
        allow_private_network=spec["private"],
    )
    def endpoint(x: str):
        return {"x": x}

    return app


def call(app, method, headers, path="/r/1"):
    """Drive the app over raw ASGI so header bytes reach it exactly as given."""
    messages = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        messages.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower(), v) for k, v in headers],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))
    start = messages[0]
    assert start["type"] == "http.response.start"
    body = b"".join(m.get("body", b"") for m in messages[1:])
    raw = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in start["headers"]]
    return start["status"], raw, body


def one(raw, name):
    values = [v for k, v in raw if k == name]
    assert len(values) <= 1, (name, values)
    return values[0] if values else None


def acx(raw):
    return {k: v for k, v in raw if k.startswith("access-control-")}


def vary_tokens(raw):
    lines = [v for k, v in raw if k == "vary"]
    assert len(lines) <= 1, lines
    return [t.strip().lower() for line in lines for t in line.split(",") if t.strip()]


def tokens(value):
    return [t.strip() for t in value.split(",") if t.strip()]


def check_never_star_with_credentials(spec, raw):
    for name in (
        "access-control-allow-methods",
        "access-control-allow-headers",
        "access-control-expose-headers",
    ):
        value = one(raw, name)
        if value is not None and spec["credentials"]:
            assert "*" not in tokens(value), (name, value)
    # ACAM and ACAH are always reflected, never "*"
    for name in ("access-control-allow-methods", "access-control-allow-headers"):
        value = one(raw, name)
        if value is not None:
            assert "*" not in tokens(value), (name, value)
    acao = one(raw, "access-control-allow-origin")
    if spec["credentials"]:
        assert acao != "*"
        if acao is not None:
            assert one(raw, "access-control-allow-credentials") == "true"
    else:
        assert one(raw, "access-control-allow-credentials") is None


# ---------- properties


@expected_finding("allows-no-origin")  # random policies may allow no origin
@SETTINGS
@given(spec=policy_specs(), origin=st.one_of(st.none(), origins_st), method=st.sampled_from(SERVED))
def test_actual_requests(spec, origin, method):
    app = build_app(spec)
    headers = [] if origin is None else [(b"origin", origin.encode())]
    status, raw, body = call(app, method, headers)
    assert status == (200 if method in spec["served"] else 405)
    if status == 200:
        assert body == b'{"x":"1"}'
    check_never_star_with_credentials(spec, raw)
    acao = one(raw, "access-control-allow-origin")
    event(f"actual granted={acao is not None}")
    star = "*" in spec["origins"]
    if star:
        assert acao == "*"
        assert "origin" not in vary_tokens(raw)
    else:
        assert vary_tokens(raw) == ["origin"]
        expected = origin is not None and origin_allowed(spec, origin)
        if origin in CANDIDATE_ORIGINS or not expected:
            assert (acao is not None) == expected, (origin, acao)
        if acao is not None:
            assert acao == origin
    # nothing about methods, request headers or max-age on actual responses
    assert set(acx(raw)) <= {
        "access-control-allow-origin",
        "access-control-allow-credentials",
        "access-control-expose-headers",
    }
    if acao is None:
        assert acx(raw) == {}
    else:
        expose = one(raw, "access-control-expose-headers")
        if spec["expose"]:
            assert sorted(tokens(expose)) == sorted(spec["expose"])
        else:
            assert expose is None


@SETTINGS
@given(
    spec=policy_specs(),
    origin=origins_st,
    acrm=st.one_of(st.sampled_from(REQUEST_METHODS), ascii_text),
    acrh=acrh_st,
    private=st.booleans(),
)
@expected_finding("allows-no-origin")  # random policies may allow no origin
def test_preflights(spec, origin, acrm, acrh, private):
    app = build_app(spec)
    headers = [(b"origin", origin.encode()), (b"access-control-request-method", acrm.encode())]
    if acrh is not None:
        headers.append((b"access-control-request-headers", acrh.encode()))
    if private:
        headers.append((b"access-control-request-private-network", b"true"))
    status, raw, body = call(app, "OPTIONS", headers)
    event(f"preflight status {status}")
    assert status in (204, 403, 405), status
    check_never_star_with_credentials(spec, raw)
    acao = one(raw, "access-control-allow-origin")
    expected = preflight_granted(spec, origin, acrm, acrh)
    if status != 204:
        assert acx(raw) == {}, raw
    else:
        assert body == b""
    # no grant the policy does not give
    if not expected:
        assert status != 204, (origin, acrm, acrh)
    # and every grant the structured requests should get
    if origin in CANDIDATE_ORIGINS and acrm in REQUEST_METHODS and expected:
        assert status == 204, (origin, acrm, acrh, raw)
    if status == 204:
        assert acao == ("*" if "*" in spec["origins"] else origin)
        # The asked method first; then others the same route grants there (one route here).
        listed = one(raw, "access-control-allow-methods").split(", ")
        assert listed[0] == acrm
        assert set(listed[1:]) <= set(spec["served"]) - {"GET", "HEAD", "POST", acrm}
        assert one(raw, "access-control-max-age") == "600"
        acah = one(raw, "access-control-allow-headers")
        requested = parse_acrh(acrh) if acrh is not None else []
        if requested:
            assert sorted(set(tokens(acah))) == sorted(set(requested))
        assert one(raw, "access-control-expose-headers") is None
        pna = one(raw, "access-control-allow-private-network")
        assert pna == ("true" if private and spec["private"] else None)
    if status in (204, 403):
        assert {"origin", "access-control-request-method", "access-control-request-headers"} <= set(
            vary_tokens(raw)
        )


@SETTINGS
@given(
    spec=policy_specs(),
    method=st.sampled_from(["GET", "OPTIONS", "POST", "DELETE"]),
    header_values=st.lists(
        st.tuples(
            st.sampled_from(
                [
                    b"origin",
                    b"access-control-request-method",
                    b"access-control-request-headers",
                    b"access-control-request-private-network",
                    b"vary",
                ]
            ),
            any_bytes,
        ),
        max_size=5,
    ),
)
@expected_finding("allows-no-origin")  # random policies may allow no origin
def test_no_server_error_from_bad_headers(spec, method, header_values):
    app = build_app(spec)
    status, raw, _ = call(app, method, header_values)
    assert status in (200, 204, 403, 405), status
    check_never_star_with_credentials(spec, raw)
    acao = one(raw, "access-control-allow-origin")
    if acao is not None and acao != "*":
        origins = [v.decode("latin-1") for k, v in header_values if k == b"origin"]
        assert acao in origins
        assert origin_allowed(spec, acao)


@settings(max_examples=200, deadline=None)
@given(
    origins=st.lists(
        st.one_of(st.sampled_from(EXACT + PATTERNS + ["*", "null"]), ascii_text), max_size=4
    ),
    methods=st.one_of(
        st.none(), st.lists(st.one_of(st.sampled_from(REQUEST_METHODS), ascii_text), max_size=3)
    ),
    headers=st.lists(st.one_of(st.sampled_from(HEADER_POOL), ascii_text), max_size=3),
    credentials=st.booleans(),
    max_age=st.integers(min_value=-10, max_value=10**6),
)
def test_policy_construction_is_valid_or_config_error(
    origins, methods, headers, credentials, max_age
):
    try:
        policy = CORSPolicy(
            allow_origins=origins,
            allow_methods=methods,
            allow_headers=headers,
            allow_credentials=credentials,
            max_age=max_age,
        )
    except CORSConfigError as error:
        assert str(error)
        return
    assert max_age >= 0
    assert not (credentials and "*" in policy.allow_origins)
    for origin in policy.allow_origins:
        if origin == "*":
            continue
        assert parse_origin(origin.replace("*.", "wild.")) is not None, origin
    for name in policy.allow_headers:
        assert name == "*" or (TCHAR.match(name) and name == name.lower()), name
    # normalisation is idempotent
    again = CORSPolicy(
        allow_origins=policy.allow_origins,
        allow_methods=policy.allow_methods,
        allow_headers=policy.allow_headers,
        allow_credentials=policy.allow_credentials,
        max_age=policy.max_age,
    )
    assert again == policy
    assert hash(again) == hash(policy)
