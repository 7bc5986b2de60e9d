"""The configuration matrix: invalid policies refused with a specific message and fix hint,
valid ones normalised to the expected form (issue 6, part 3)."""

from __future__ import annotations

import re

import pytest
from pydantic import AnyHttpUrl, HttpUrl

from cors_routes import CORSConfigError, CORSPolicy, cors

# (keyword arguments, what the message must say, the fix hint it must give)
INVALID = [
    (
        {"allow_origins": ["*"], "allow_credentials": True},
        "allow_credentials=True with allow_origins=['*']",
        "list the origins instead",
    ),
    (
        {"allow_origins": ["https://a.com", "*"], "allow_credentials": True},
        "every site on the web make credentialed requests",
        "list the origins instead",
    ),
    ({"allow_origins": ["https://a.com/"]}, "ends with a slash", "write 'https://a.com'"),
    ({"allow_origins": ["https://a.com/app"]}, "has a path", "write 'https://a.com'"),
    ({"allow_origins": ["https://a.com?x=1"]}, "has a query", "write 'https://a.com'"),
    ({"allow_origins": ["https://a.com/p#top"]}, "has a fragment", "write 'https://a.com'"),
    ({"allow_origins": ["https://u:p@a.com"]}, "has user information", "write 'https://a.com'"),
    ({"allow_origins": ["a.com"]}, "has no scheme", "for example 'https://a.com'"),
    ({"allow_origins": ["//a.com"]}, "has no scheme", "for example 'https://a.com'"),
    ({"allow_origins": ["https://a.com:443"]}, "names the default port", "write 'https://a.com'"),
    ({"allow_origins": ["http://A.com:80"]}, "names the default port", "write 'http://a.com'"),
    ({"allow_origins": ["https://a.com:0"]}, "invalid port '0'", "a number from 1 to 65535"),
    ({"allow_origins": ["https://a.com:70000"]}, "invalid port", "a number from 1 to 65535"),
    ({"allow_origins": ["https://a.com:8o"]}, "invalid port", "a number from 1 to 65535"),
    ({"allow_origins": ["null"]}, "'null' is refused", "allow_origin_func=lambda origin"),
    ({"allow_origins": ["NULL"]}, "is refused", "allow_origin_func=lambda origin"),
    ({"allow_origins": [" https://a.com"]}, "surrounding whitespace", "write 'https://a.com'"),
    ({"allow_origins": ["https://*.com"]}, "every site under the top-level domain", "*.example"),
    ({"allow_origins": ["https://a.*.com"]}, "is malformed", "'https://*.example.com'"),
    ({"allow_origins": ["https://*.*.a.com"]}, "is malformed", "'https://*.example.com'"),
    ({"allow_origins": ["https://*.[::1]"]}, "is malformed", "IP addresses have no subdomains"),
    ({"allow_origins": ["https://[::1"]}, "malformed IPv6 host", "'http://[::1]:8000'"),
    ({"allow_origins": ["https://a..com"]}, "invalid host 'a..com'", "dot-separated labels"),
    ({"allow_origins": ["https://-a.com"]}, "invalid host", "dot-separated labels"),
    ({"allow_origins": "https://a.com"}, "is a string, not a list", "['https://a.com']"),
    ({"allow_origins": [42]}, "is not a string", "'https://app.example'"),
    ({"allow_origins": 42}, "is not a list", "allow_origins=[...]"),
    # what an unset setting gives, read without filtering out the empty entries
    ({"allow_origins": [""]}, "origin '' is empty (is an environment variable", "if o.strip()]"),
    ({"allow_origins": ["https://a.com", " "]}, "origin ' ' is empty", "gives [] when it is"),
    ({"allow_origins": ""}, "is an empty string, not a list", "allow_origins=[] to allow no"),
    ({"allow_origin_regex": "https://(a"}, "not a valid regular expression", "missing )"),
    ({"allow_origin_regex": 5}, "is not a string", "pass a pattern"),
    ({"allow_origin_func": "yes"}, "is not callable", "pass a function"),
    ({"allow_methods": ["GE T"]}, "not a valid HTTP method name", "like 'GET'"),
    ({"allow_methods": ["TRACE"]}, "forbidden by the Fetch standard", "remove it"),
    ({"allow_methods": ["connect"]}, "forbidden by the Fetch standard", "remove it"),
    ({"allow_methods": "GET"}, "is a string, not a list", "allow_methods=['GET']"),
    ({"allow_headers": ["bad header"]}, "not a valid header name", "like 'X-Request-Id'"),
    ({"allow_headers": ["X-\u00e9"]}, "not a valid header name", "like 'X-Request-Id'"),
    ({"allow_headers": ["Cookie"]}, "forbidden request header", "sent with allow_credentials"),
    ({"allow_headers": ["Sec-Fetch-Mode"]}, "forbidden request header", "remove it"),
    ({"allow_headers": ["proxy-authorization"]}, "forbidden request header", "remove it"),
    ({"allow_headers": "X-Token"}, "is a string, not a list", "allow_headers=['X-Token']"),
    ({"expose_headers": ["x:y"]}, "not a valid header name", "without spaces, colons"),
    (
        {"expose_headers": ["*"], "allow_credentials": True, "allow_origins": ["https://a.com"]},
        "expose_headers=['*'] does not work with allow_credentials=True",
        "list the headers to expose",
    ),
    (
        {"allow_origins": ["https://*.co.uk"]},
        "every site under 'co.uk', a public suffix",
        "like 'https://*.yourapp.co.uk', or list the origins",
    ),
    (
        {"allow_origins": ["https://*.github.io"]},
        "a public suffix (Public Suffix List)",
        "like 'https://*.yourapp.github.io', or list the origins",
    ),
    ({"allow_origins": ["http://*.0.0.1"]}, "ends in a number", "'http://127.0.0.1:8000'"),
    ({"allow_origins": ["http://127.1"]}, "in a form browsers rewrite", "'http://127.0.0.1'"),
    (
        {"allow_origins": ["http://0x7f.0.0.1:8000"]},
        "in a form browsers rewrite",
        "write 'http://127.0.0.1:8000'",
    ),
    ({"allow_origins": ["http://999.0.0.1"]}, "not a valid one", "four numbers from 0 to 255"),
    (
        {"allow_origins": ["https://\u2615.example"]},
        "that the idna package (IDNA 2008) refuses",
        "sends it as 'https://xn--53h.example'. Check what yours sends with new URL(",
    ),
    (
        {"allow_origins": [f"https://{'.'.join(['a' * 60] * 5)}"]},
        "browsers never send an origin of more than 300",
        "check the host",
    ),
    (
        {"allow_origins": "http://localhost, http://localhost:5173"},
        "is a string holding several origins, not a list",
        "write allow_origins=['http://localhost', 'http://localhost:5173']",
    ),
    (
        {"allow_origins": ["http://localhost,http://localhost:5173"]},
        "holds several origins separated by commas",
        "separate entries, ['http://localhost', 'http://localhost:5173']",
    ),
    (
        {"allow_headers": ["Access-Control-Allow-Origin"]},
        "is a header of the CORS protocol itself",
        "the browser sends Access-Control-Request-* on a preflight by itself",
    ),
    (
        {"allow_headers": ["access-control-request-headers"]},
        "is a header of the CORS protocol itself",
        "the browser sends Access-Control-Request-* on a preflight by itself",
    ),
    ({"expose_headers": ["Set-Cookie"]}, "is a forbidden response header", "remove it"),
    ({"expose_headers": ["set-cookie2"]}, "never let a script read it", "never readable"),
    (
        {"expose_headers": ["Access-Control-Allow-Origin"]},
        "is a CORS response header",
        "exposing it changes nothing that is allowed; remove it",
    ),
    ({"max_age": -1}, "is not a number of seconds", "an int >= 0"),
    ({"max_age": 1.5}, "is not a number of seconds", "an int >= 0"),
    ({"max_age": True}, "is not a number of seconds", "an int >= 0"),
    ({"max_age": "600"}, "is not a number of seconds", "an int >= 0"),
    ({"allow_credentials": "yes"}, "allow_credentials='yes' is not a bool", "True or False"),
    ({"allow_private_network": 1}, "allow_private_network=1 is not a bool", "True or False"),
]


def _id(case: tuple[dict, str, str]) -> str:
    return re.sub(r"\s+", "", repr(case[0]))[:60]


@pytest.mark.parametrize(("kwargs", "message", "hint"), INVALID, ids=map(_id, INVALID))
def test_invalid_policy_is_refused_with_message_and_hint(kwargs, message, hint):
    with pytest.raises(CORSConfigError) as info:
        CORSPolicy(**kwargs)
    text = str(info.value)
    assert message in text
    assert hint in text
    # the same policy through @cors fails the same way, at decoration time
    with pytest.raises(CORSConfigError) as again:
        cors(**kwargs)
    assert str(again.value) == text


def test_the_matrix_is_large_enough():
    assert len(INVALID) >= 20
    assert len(VALID) >= 15


@pytest.mark.parametrize(
    ("kwargs", "hint"),
    [
        ({"allow_origin": ["https://a.com"]}, "did you mean allow_origins?"),
        ({"allow_credential": True}, "did you mean allow_credentials?"),
        ({"max_ages": 5}, "did you mean max_age?"),
        ({"zzz": 1}, "the options are allow_origins"),
    ],
)
def test_unknown_option_names_the_intended_one(kwargs, hint):
    with pytest.raises(CORSConfigError, match="unknown CORS option") as info:
        cors(**kwargs)
    assert hint in str(info.value)


def test_every_problem_is_listed_once():
    with pytest.raises(CORSConfigError) as info:
        CORSPolicy(
            allow_origins=["https://a.com/", "*"],
            allow_credentials=True,
            allow_methods=["TRACE"],
            max_age=-5,
        )
    assert len(info.value.problems) == 4
    assert str(info.value).startswith("4 problems in this CORS policy:")


# (keyword arguments, the normalised value of each field given)
VALID = [
    ({}, {"allow_origins": (), "allow_methods": None, "max_age": 600}),
    ({"allow_origins": ["*"]}, {"allow_origins": ("*",), "allows_any_origin": True}),
    ({"allow_origins": ["HTTPS://App.Example"]}, {"allow_origins": ("https://app.example",)}),
    ({"allow_origins": ["https://a.com:8443"]}, {"allow_origins": ("https://a.com:8443",)}),
    ({"allow_origins": ["http://[::1]:8000"]}, {"allow_origins": ("http://[::1]:8000",)}),
    ({"allow_origins": ["http://[::FFFF:1]"]}, {"allow_origins": ("http://[::ffff:1]",)}),
    (
        {"allow_origins": ["https://b\u00fccher.example"]},
        {"allow_origins": ("https://xn--bcher-kva.example",)},
    ),
    ({"allow_origins": ["https://*.Example.com"]}, {"allow_origins": ("https://*.example.com",)}),
    (
        {"allow_origins": ["http://*.example.test:8080"]},
        {"allow_origins": ("http://*.example.test:8080",)},
    ),
    ({"allow_origins": ["http://*.localhost"]}, {"allow_origins": ("http://*.localhost",)}),
    (
        {"allow_origins": ["https://a.com", "https://A.com", "https://b.com"]},
        {"allow_origins": ("https://a.com", "https://b.com")},
    ),
    ({"allow_origins": ("https://a.com",)}, {"allow_origins": ("https://a.com",)}),
    (
        {"allow_origins": ["chrome-extension://abcdef"]},
        {"allow_origins": ("chrome-extension://abcdef",)},
    ),
    (
        {"allow_methods": ["get", "Post", "PURGE", "purge", "GET"]},
        {"allow_methods": ("GET", "POST", "PURGE", "purge")},
    ),
    ({"allow_methods": ["*"]}, {"allow_methods": ("*",)}),
    ({"allow_methods": []}, {"allow_methods": ()}),
    (
        {"allow_headers": ["X-Token", "x-token", "Authorization"]},
        {"allow_headers": ("x-token", "authorization")},
    ),
    ({"allow_headers": ["*"]}, {"allow_headers": ("*",)}),
    ({"expose_headers": ["X-Total", "ETag"]}, {"expose_headers": ("x-total", "etag")}),
    ({"expose_headers": ["*"]}, {"expose_headers": ("*",)}),
    (
        {"allow_origins": ["https://a.com"], "allow_credentials": True},
        {"allow_credentials": True, "allows_any_origin": False},
    ),
    (
        {"allow_origins": ["https://*.a.com"], "allow_credentials": True, "allow_headers": ["*"]},
        {"allow_origins": ("https://*.a.com",), "allow_headers": ("*",)},
    ),
    ({"max_age": 0}, {"max_age": 0}),
    ({"max_age": 86400}, {"max_age": 86400}),
    (
        {"allow_origin_regex": r"https://[a-z]+\.a\.com"},
        {"allow_origin_regex": r"https://[a-z]+\.a\.com"},
    ),
    ({"allow_private_network": True}, {"allow_private_network": True}),
    (
        {"allow_origins": ["https://stra\u00dfe.example"]},
        {"allow_origins": ("https://xn--strae-oqa.example",)},  # UTS #46, as browsers
    ),
    ({"allow_origins": ["http://127.0.0.1:5173"]}, {"allow_origins": ("http://127.0.0.1:5173",)}),
    (
        {"allow_origins": ["https://*.yourapp.github.io"]},
        {"allow_origins": ("https://*.yourapp.github.io",)},
    ),
    (
        {"allow_origins": [AnyHttpUrl("https://App.example"), HttpUrl("http://localhost:5173/")]},
        {"allow_origins": ("https://app.example", "http://localhost:5173")},
    ),
    ({"expose_headers": ["X-Cookie-Count"]}, {"expose_headers": ("x-cookie-count",)}),
]


@pytest.mark.parametrize(("kwargs", "expected"), VALID, ids=map(_id, VALID))
def test_valid_policy_round_trips_to_its_normalised_form(kwargs, expected):
    policy = CORSPolicy(**kwargs)
    for field, value in expected.items():
        assert getattr(policy, field) == value, field
    # the normalised form is a fixed point: building it again changes nothing
    fields = (
        "allow_origins",
        "allow_origin_regex",
        "allow_origin_func",
        "allow_methods",
        "allow_headers",
        "allow_credentials",
        "expose_headers",
        "max_age",
        "allow_private_network",
    )
    again = CORSPolicy(**{name: getattr(policy, name) for name in fields})
    assert again == policy
    assert hash(again) == hash(policy)
    assert eval(repr(policy), {"CORSPolicy": CORSPolicy}) == policy
