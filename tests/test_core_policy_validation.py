"""Definition-time validation and normalisation of CORSPolicy, cors() and no_cors."""

import pytest

from cors_routes import CORSConfigError, CORSPolicy, cors

# ---------- basics


def test_config_error_is_a_value_error():
    assert issubclass(CORSConfigError, ValueError)


def test_defaults():
    p = CORSPolicy()
    assert p.allow_origins == ()
    assert p.allow_origin_regex is None
    assert p.allow_origin_func is None
    assert p.allow_methods is None
    assert p.allow_headers == ()
    assert p.allow_credentials is False
    assert p.expose_headers == ()
    assert p.max_age == 600
    assert p.allow_private_network is False


def test_starlette_keyword_names_are_accepted():
    # the kwargs a user passes to Starlette's CORSMiddleware move over unchanged
    p = CORSPolicy(
        allow_origins=["https://app.example"],
        allow_origin_regex=r"https://.*\.app\.example",
        allow_methods=["GET", "POST"],
        allow_headers=["X-Token"],
        allow_credentials=True,
        expose_headers=["X-Total"],
        max_age=100,
    )
    assert p.allow_origins == ("https://app.example",)
    assert p.allow_origin_regex == r"https://.*\.app\.example"
    assert p.allow_methods == ("GET", "POST")
    assert p.allow_headers == ("x-token",)
    assert p.allow_credentials is True
    assert p.expose_headers == ("x-total",)
    assert p.max_age == 100


def test_sequences_become_tuples():
    p = CORSPolicy(
        allow_origins=["https://a.example"],
        allow_methods=["GET"],
        allow_headers=["x-a"],
        expose_headers=["x-b"],
    )
    assert isinstance(p.allow_origins, tuple)
    assert isinstance(p.allow_methods, tuple)
    assert isinstance(p.allow_headers, tuple)
    assert isinstance(p.expose_headers, tuple)


# ---------- immutability


@pytest.mark.parametrize(
    "attr, value",
    [
        ("allow_origins", ("https://evil.example",)),
        ("allow_credentials", True),
        ("max_age", 1),
        ("allow_methods", ("DELETE",)),
        ("allow_headers", ("*",)),
    ],
)
def test_policy_is_immutable(attr, value):
    p = CORSPolicy(allow_origins=["https://a.example"])
    before = getattr(p, attr)
    with pytest.raises((AttributeError, TypeError)):
        setattr(p, attr, value)
    assert getattr(p, attr) == before


def test_policy_is_hashable_and_comparable():
    a = CORSPolicy(allow_origins=["https://a.example"], allow_headers=["X-A"])
    b = CORSPolicy(allow_origins=("https://a.example",), allow_headers=("x-a",))
    c = CORSPolicy(allow_origins=["https://b.example"])
    assert a == b
    assert hash(a) == hash(b)
    assert a != c
    assert len({a, b, c}) == 2


def test_equality_is_after_normalisation():
    assert CORSPolicy(allow_origins=["HTTPS://A.Example"]) == CORSPolicy(
        allow_origins=["https://a.example"]
    )


# ---------- origins


@pytest.mark.parametrize(
    "origin",
    [
        "https://app.example",
        "http://localhost:8000",
        "http://127.0.0.1:5173",
        "https://a.example:8443",
        "http://a.example:443",  # not the default port for http
        "https://*.example.com",
        "http://*.example.test:8080",
        "*",
    ],
)
def test_valid_origins_are_accepted(origin):
    assert CORSPolicy(allow_origins=[origin]).allow_origins == (origin,)


@pytest.mark.parametrize(
    "given, normalised",
    [
        ("HTTPS://APP.EXAMPLE", "https://app.example"),
        ("https://App.Example:8443", "https://app.example:8443"),
        ("Http://LocalHost:8000", "http://localhost:8000"),
        ("https://*.Example.COM", "https://*.example.com"),
        ("https://bücher.example", "https://xn--bcher-kva.example"),
        ("https://*.bücher.example", "https://*.xn--bcher-kva.example"),
        ("https://straße.example", "https://xn--strae-oqa.example"),  # UTS #46, not IDNA 2003
        ("https://*.Faß.de", "https://*.xn--fa-hia.de"),
    ],
)
def test_origin_normalisation(given, normalised):
    assert CORSPolicy(allow_origins=[given]).allow_origins == (normalised,)


@pytest.mark.parametrize(
    "origin",
    [
        "https://a.com/",  # trailing slash (fastapi#5308)
        "https://a.com/path",
        "https://a.com?x=1",
        "https://a.com/?x=1",
        "https://a.com#frag",
        "https://a.com:443",  # default port
        "http://a.com:80",  # default port
        "a.com",  # no scheme
        "//a.com",
        "https://",
        "",
        "null",
        "NULL",
        "https://*example.com",
        "https://a.*.example.com",
        "*.example.com",
        "https://*.*.example.com",
        "https://*.example.com/",
        "https://*.example.com:443",
    ],
)
def test_invalid_origin_is_refused(origin):
    with pytest.raises(CORSConfigError) as info:
        CORSPolicy(allow_origins=[origin])
    if origin:
        message = str(info.value)
        assert origin in message or origin.lower() in message


def test_allow_origins_as_a_string_is_refused():
    # a str is a sequence of characters; silently treating it as one would be a trap
    with pytest.raises(CORSConfigError):
        CORSPolicy(allow_origins="https://a.example")


def test_credentials_with_any_origin_is_refused():
    # Starlette reflects any origin here; we refuse the configuration instead
    with pytest.raises(CORSConfigError):
        CORSPolicy(allow_origins=["*"], allow_credentials=True)


def test_credentials_with_any_origin_among_others_is_refused():
    with pytest.raises(CORSConfigError):
        CORSPolicy(allow_origins=["https://a.example", "*"], allow_credentials=True)


def test_credentials_with_subdomain_pattern_is_fine():
    p = CORSPolicy(allow_origins=["https://*.example.com"], allow_credentials=True)
    assert p.allow_credentials is True


@pytest.mark.parametrize("regex", ["(", "https://[a-", "*abc", "a{2,1}"])
def test_invalid_regex_is_refused(regex):
    with pytest.raises(CORSConfigError):
        CORSPolicy(allow_origin_regex=regex)


def test_valid_regex_is_kept():
    p = CORSPolicy(allow_origin_regex=r"https://[a-z]+\.example\.org")
    assert p.allow_origin_regex == r"https://[a-z]+\.example\.org"


@pytest.mark.parametrize("func", ["https://a.example", 42, ["https://a.example"]])
def test_non_callable_origin_func_is_refused(func):
    with pytest.raises(CORSConfigError):
        CORSPolicy(allow_origin_func=func)


def test_origin_func_is_kept():
    def f(origin: str) -> bool:
        return True

    assert CORSPolicy(allow_origin_func=f).allow_origin_func is f


# ---------- methods


@pytest.mark.parametrize(
    "given, normalised",
    [
        (["get"], ("GET",)),
        (["Post", "delete"], ("POST", "DELETE")),
        (["options", "head", "put", "patch"], ("OPTIONS", "HEAD", "PUT", "PATCH")),
        (["GET"], ("GET",)),
        (["PURGE"], ("PURGE",)),
        (["Purge"], ("Purge",)),  # custom methods are case-sensitive and kept as given
        (["x-Custom"], ("x-Custom",)),
        (["*"], ("*",)),
    ],
)
def test_method_normalisation(given, normalised):
    assert CORSPolicy(allow_methods=given).allow_methods == normalised


@pytest.mark.parametrize(
    "method", ["GE T", "", "GET,POST", "GET\r\n", "(GET)", "G\u00c9T", "get/put"]
)
def test_invalid_method_token_is_refused(method):
    with pytest.raises(CORSConfigError):
        CORSPolicy(allow_methods=[method])


@pytest.mark.parametrize("method", ["CONNECT", "TRACE", "TRACK", "connect", "trace"])
def test_forbidden_method_is_refused(method):
    with pytest.raises(CORSConfigError) as info:
        CORSPolicy(allow_methods=[method])
    assert method in str(info.value)


# ---------- headers


@pytest.mark.parametrize(
    "given, normalised",
    [
        (["X-Token"], ("x-token",)),
        (["Authorization", "Content-Type"], ("authorization", "content-type")),
        (["*"], ("*",)),
    ],
)
def test_allow_headers_are_lower_cased(given, normalised):
    assert CORSPolicy(allow_headers=given).allow_headers == normalised


def test_expose_headers_are_lower_cased():
    p = CORSPolicy(allow_origins=["https://a.example"], expose_headers=["X-Total-Count", "ETag"])
    assert p.expose_headers == ("x-total-count", "etag")


@pytest.mark.parametrize("header", ["bad header", "", "x:y", "x-a,x-b", "x\u00e9", "x-a\n"])
def test_invalid_allow_header_name_is_refused(header):
    with pytest.raises(CORSConfigError):
        CORSPolicy(allow_headers=[header])


@pytest.mark.parametrize(
    "header",
    ["cookie", "Cookie", "host", "sec-foo", "Sec-Fetch-Mode", "proxy-x", "Proxy-Authorization"],
)
def test_forbidden_allow_header_name_is_refused(header):
    with pytest.raises(CORSConfigError) as info:
        CORSPolicy(allow_headers=[header])
    assert header.lower() in str(info.value).lower()


@pytest.mark.parametrize("header", ["Set-Cookie", "set-cookie2", "SET-COOKIE"])
def test_forbidden_response_header_in_expose_headers_is_refused(header):
    # Fetch "forbidden response-header name": never exposed to a script, whatever is listed
    with pytest.raises(CORSConfigError) as info:
        CORSPolicy(allow_origins=["https://a.example"], expose_headers=[header])
    assert repr(header) in str(info.value) and "forbidden response header" in str(info.value)


@pytest.mark.parametrize(
    "header",
    [
        "Access-Control-Allow-Origin",
        "access-control-allow-credentials",
        "Access-Control-Request-Method",
        "Access-Control-Request-Headers",
        "access-control-max-age",
        "Access-Control-Expose-Headers",
    ],
)
@pytest.mark.parametrize("option", ["allow_headers", "expose_headers"])
def test_cors_protocol_header_names_are_refused(option, header):
    with pytest.raises(CORSConfigError) as info:
        CORSPolicy(allow_origins=["https://a.example"], **{option: [header]})
    message = str(info.value)
    assert f"{option} entry {header!r}" in message and "remove it" in message
    if option == "allow_headers":
        assert "the browser sends Access-Control-Request-* on a preflight by itself" in message
    else:
        assert "is a CORS response header" in message


@pytest.mark.parametrize("header", ["X-Access-Control-Allow-Origin", "Set-Cookie-Count"])
def test_names_that_only_resemble_cors_or_cookie_headers_are_fine(header):
    p = CORSPolicy(allow_headers=[header], expose_headers=[header])
    assert p.allow_headers == p.expose_headers == (header.lower(),)


@pytest.mark.parametrize("header", ["bad header", "", "x:y"])
def test_invalid_expose_header_name_is_refused(header):
    with pytest.raises(CORSConfigError):
        CORSPolicy(allow_origins=["https://a.example"], expose_headers=[header])


def test_credentials_with_any_expose_header_is_refused():
    with pytest.raises(CORSConfigError):
        CORSPolicy(
            allow_origins=["https://a.example"], allow_credentials=True, expose_headers=["*"]
        )


def test_any_expose_header_without_credentials_is_fine():
    p = CORSPolicy(allow_origins=["https://a.example"], expose_headers=["*"])
    assert p.expose_headers == ("*",)


def test_credentials_with_any_allow_header_is_fine():
    # '*' in allow_headers is served by reflection, which works with credentials
    p = CORSPolicy(allow_origins=["https://a.example"], allow_credentials=True, allow_headers=["*"])
    assert p.allow_headers == ("*",)


def test_credentials_with_any_method_is_fine():
    p = CORSPolicy(allow_origins=["https://a.example"], allow_credentials=True, allow_methods=["*"])
    assert p.allow_methods == ("*",)


# ---------- max_age


@pytest.mark.parametrize("max_age", [-1, -600])
def test_negative_max_age_is_refused(max_age):
    with pytest.raises(CORSConfigError) as info:
        CORSPolicy(max_age=max_age)
    assert "max_age" in str(info.value)


@pytest.mark.parametrize("max_age", [0, 1, 7200, 86400])
def test_non_negative_max_age_is_kept(max_age):
    assert CORSPolicy(max_age=max_age).max_age == max_age


# ---------- all problems at once


def test_every_problem_is_reported_in_one_message():
    with pytest.raises(CORSConfigError) as info:
        CORSPolicy(
            allow_origins=["https://a.com/", "b.com", "*"],
            allow_credentials=True,
            allow_origin_regex="(",
            allow_methods=["TRACE", "GE T"],
            allow_headers=["cookie", "bad header"],
            expose_headers=["*"],
            max_age=-5,
        )
    message = str(info.value)
    for needle in ["https://a.com/", "b.com", "TRACE", "GE T", "cookie", "bad header", "max_age"]:
        assert needle in message, needle


def test_two_bad_origins_are_both_named():
    with pytest.raises(CORSConfigError) as info:
        CORSPolicy(allow_origins=["https://one.example/", "https://two.example:443"])
    assert "https://one.example/" in str(info.value)
    assert "https://two.example:443" in str(info.value)


# ---------- cors() decorator


def test_cors_with_policy_and_kwargs_is_refused():
    policy = CORSPolicy(allow_origins=["https://a.example"])
    with pytest.raises(CORSConfigError):

        @cors(policy, allow_origins=["https://b.example"])
        def endpoint():
            return {}


def test_cors_kwargs_are_validated_at_decoration_time():
    with pytest.raises(CORSConfigError):

        @cors(allow_origins=["https://a.example/"])
        def endpoint():
            return {}


def test_cors_marks_the_function_and_calls_through_to_it():
    # @cors marks the function and wraps it in a call-through that always runs the user's
    # own code (never skips it), keeps its signature through __wrapped__, and refuses only
    # when no part of cors_routes handles the request; functools.wraps carries the marker
    # to any wrapper written around it.
    import functools
    import inspect

    from cors_routes import CORSConfigError
    from cors_routes._dispatch import forget, handled_here
    from cors_routes.decorators import _endpoint_policy

    policy = CORSPolicy(allow_origins=["https://a.example"])

    def endpoint(item_id: int, q: str | None = None) -> dict[str, bool]:
        return {"ok": True}

    decorated = cors(policy)(endpoint)
    assert decorated.__wrapped__ is endpoint
    assert inspect.signature(decorated) == inspect.signature(endpoint)
    assert decorated.__globals__ is endpoint.__globals__
    assert _endpoint_policy(decorated) is policy
    with pytest.raises(CORSConfigError, match="install"):
        decorated(1)
    token = handled_here()
    try:
        assert decorated(1) == {"ok": True}
    finally:
        forget(token)
    endpoint = decorated

    @functools.wraps(endpoint)
    def wrapper():
        return endpoint()

    assert _endpoint_policy(wrapper) is policy


def test_cors_keeps_the_kind_of_callable_it_wraps():
    # Frameworks dispatch on the kind of function (coroutine function, generator, async
    # generator): the call-through is of the same kind and yields what the endpoint yields.
    import asyncio
    import inspect

    from cors_routes._dispatch import forget, handled_here

    policy = CORSPolicy(allow_origins=["https://a.example"])

    async def coroutine(item_id: int) -> int:
        return item_id

    def generator():
        yield 1
        yield 2

    async def async_generator():
        yield 1
        yield 2

    wrapped = [cors(policy)(f) for f in (coroutine, generator, async_generator)]
    assert inspect.iscoroutinefunction(wrapped[0])
    assert inspect.isgeneratorfunction(wrapped[1])
    assert inspect.isasyncgenfunction(wrapped[2])

    async def collect():
        return [item async for item in wrapped[2]()]

    token = handled_here()
    try:
        assert asyncio.run(wrapped[0](3)) == 3
        assert list(wrapped[1]()) == [1, 2]
        assert asyncio.run(collect()) == [1, 2]
    finally:
        forget(token)
