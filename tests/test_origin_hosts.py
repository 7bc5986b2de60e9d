"""Hosts in configured origins: what a browser sends for them, and patterns that grant too much.

The expected values below are what Chromium 156 (the Debian package, /usr/bin/chromium)
prints for ``new URL("https://" + host).origin``: the URL Standard's host parser, which
converts a Unicode host with UTS #46 (non-transitional) and reads a host that ends in a
number as an IPv4 address. They are module-level tables so a real-browser test can check
them again against the browser installed.
"""

from __future__ import annotations

import subprocess
import sys

import idna
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cors_routes import CORSConfigError, CORSPolicy
from cors_routes._origins import ParsedOrigin, parse_configured_origin

# (host as configured, the ASCII host the browser sends)
CHROMIUM_HOSTS = [
    ("straße.example", "xn--strae-oqa.example"),  # IDNA 2003 would say strasse.example
    ("faß.de", "xn--fa-hia.de"),  # IDNA 2003: fass.de, another registrable domain
    ("ελλάς.example", "xn--hxarsa0b.example"),  # final sigma kept (IDNA 2003: xn--hxarsa5b)
    ("ß.example", "xn--zca.example"),
    ("Straße.Example", "xn--strae-oqa.example"),
    ("BÜCHER.Example", "xn--bcher-kva.example"),  # upper-case non-ASCII is mapped
    ("ΕΛΛΆΣ.example", "xn--hxarsa5b.example"),  # capital sigma maps to small sigma, not final
    ("क्\u200dष.example", "xn--11b2ezcw70k.example"),  # ZWJ after a virama is kept
    ("نامه\u200cای.example", "xn--mgba3gch31f060k.example"),  # noqa: RUF001 (ZWNJ in context)
    ("e\u0301.example", "xn--9ca.example"),  # decomposed é is composed (NFC)
    ("a\u00adb.example", "ab.example"),  # soft hyphen is dropped
    ("ﬁ.example", "fi.example"),  # compatibility mapping
    ("ｅｘａｍｐｌｅ.com", "example.com"),  # noqa: RUF001 (full-width letters)
]

# Hosts the idna package refuses (IDNA 2008 disallows these code points) that Chromium
# accepts: (host, what Chromium sends). cors_routes refuses them with this ASCII form.
CHROMIUM_HOSTS_IDNA_REFUSES = [
    ("☕.example", "xn--53h.example"),
    ("😀.example", "xn--e28h.example"),
    ("\u2764\ufe0f.example", "xn--qei.example"),  # the variation selector is dropped
    ("👍🏽.example", "xn--on8h5e.example"),
]

# Hosts Chromium refuses too (new URL() throws).
CHROMIUM_INVALID_HOSTS = [
    "a\u200cb.example",  # ZWNJ between two Latin letters: no joining context
]

# (host ending in a number, the IPv4 address Chromium reads it as, or None if it throws)
CHROMIUM_IPV4_HOSTS = [
    ("127.0.0.1", "127.0.0.1"),
    ("127.1", "127.0.0.1"),
    ("0x7f.0.0.1", "127.0.0.1"),
    ("0X7F.1", "127.0.0.1"),
    ("010.0.0.1", "8.0.0.1"),  # a leading 0 is octal
    ("0.0.1", "0.0.0.1"),
    ("4294967295", "255.255.255.255"),
    ("1.2.3.0x", "1.2.3.0"),
    ("1.0x", "1.0.0.0"),
    ("4294967296", None),
    ("999.1.1.1", None),
    ("1.2.3.4.5", None),
    ("08.0.0.1", None),
    ("a.1", None),
    ("example.0x", None),
]
# Hosts whose last label is not a number are domains, whatever else they hold.
CHROMIUM_DOMAINS_WITH_DIGITS = ["example.1a", "abc.0x1g", "1a.example"]


def origins(policy: CORSPolicy) -> tuple[str, ...]:
    return policy.allow_origins


def refusal(entry: str) -> str:
    with pytest.raises(CORSConfigError) as info:
        CORSPolicy(allow_origins=[entry])
    return str(info.value)


# ---------- UTS #46


@pytest.mark.parametrize(("host", "ascii_host"), CHROMIUM_HOSTS)
def test_unicode_host_becomes_what_the_browser_sends(host, ascii_host):
    policy = CORSPolicy(allow_origins=[f"https://{host}"])
    assert origins(policy) == (f"https://{ascii_host}",)
    sent = f"https://{ascii_host}".encode()
    assert policy.origin_value(sent) == sent
    # the entry's conversion is the idna package's UTS #46, non-transitional
    assert idna.encode(host, uts46=True, transitional=False).decode() == ascii_host


@pytest.mark.parametrize(("host", "ascii_host"), CHROMIUM_HOSTS)
def test_unicode_pattern_base_becomes_what_the_browser_sends(host, ascii_host):
    policy = CORSPolicy(allow_origins=[f"https://*.{host}"])
    assert origins(policy) == (f"https://*.{ascii_host}",)
    sent = f"https://www.{ascii_host}".encode()
    assert policy.origin_value(sent) == sent


@pytest.mark.parametrize(
    ("host", "other_domain"),
    [("straße.example", "strasse.example"), ("faß.de", "fass.de")],
)
def test_a_unicode_host_does_not_allow_its_idna_2003_twin(host, other_domain):
    # the built-in "idna" codec (IDNA 2003) maps ß to ss: a different registrable domain
    assert host.encode("idna").decode() == other_domain
    for entry, sent in (
        (f"https://{host}", other_domain),
        (f"https://*.{host}", f"a.{other_domain}"),
    ):
        policy = CORSPolicy(allow_origins=[entry])
        assert policy.origin_value(f"https://{sent}".encode()) is None


@pytest.mark.parametrize(("host", "ascii_host"), CHROMIUM_HOSTS_IDNA_REFUSES)
def test_host_idna_refuses_is_refused_with_the_browsers_form_in_the_hint(host, ascii_host):
    for entry, expected in (
        (f"https://{host}", f"'https://{ascii_host}'"),
        (f"https://*.{host}", f"'https://{ascii_host}'"),
    ):
        message = refusal(entry)
        assert expected in message
        assert f"new URL('https://{host}').origin" in message
        assert "browser console" in message


@pytest.mark.parametrize("host", CHROMIUM_INVALID_HOSTS)
def test_host_browsers_refuse_is_refused(host):
    assert "new URL(" in refusal(f"https://{host}")


def test_no_fallback_to_the_idna_2003_codec(monkeypatch):
    # whatever idna refuses is refused: the built-in codec is never asked
    def codec_must_not_be_used(*args, **kwargs):
        raise AssertionError("the IDNA 2003 codec was used")

    monkeypatch.setattr("encodings.idna.ToASCII", codec_must_not_be_used)
    refusal("https://☕.example")
    assert origins(CORSPolicy(allow_origins=["https://faß.de"])) == ("https://xn--fa-hia.de",)


# Code points of the kinds UTS #46 treats differently: deviations (ß ς ZWJ ZWNJ), upper
# case, combining marks, compatibility forms, disallowed symbols, plain ASCII.
unicode_labels = st.text(
    alphabet="aßς\u03c3ΣéÉe\u0301\u200d\u200c्कﬁ\uff45☕-0Ü", min_size=1, max_size=8
)


@settings(max_examples=400, deadline=None)
@given(st.lists(unicode_labels, min_size=1, max_size=3), st.booleans())
def test_unicode_host_conversion_is_uts46_and_a_fixed_point(labels, pattern):
    host = ".".join([*labels, "example"])
    assume(not host.isascii())
    try:
        expected = idna.encode(host, uts46=True, transitional=False).decode()
    except idna.IDNAError:
        expected = None
    entry = f"https://{'*.' if pattern else ''}{host}"
    result = parse_configured_origin(entry)
    if expected is None:
        assert isinstance(result, str)  # refused, never converted some other way
        return
    assert isinstance(result, ParsedOrigin), result
    assert result.host == expected
    assert parse_configured_origin(result.normalized) == result  # normalising is a fixed point


# ---------- public suffixes


@pytest.mark.parametrize(
    ("pattern", "suffix"),
    [
        ("https://*.co.uk", "co.uk"),  # ICANN section
        ("https://*.github.io", "github.io"),  # private section
        ("https://*.herokuapp.com", "herokuapp.com"),
        ("https://*.foo.kawasaki.jp", "foo.kawasaki.jp"),  # under the wildcard *.kawasaki.jp
        ("https://*.公司.cn", "xn--55qx5d.cn"),  # an IDN suffix, in the form browsers send
        ("https://*.CO.UK", "co.uk"),
    ],
)
def test_pattern_over_a_public_suffix_is_refused(pattern, suffix):
    message = refusal(pattern)
    assert f"every site under {suffix!r}, a public suffix" in message
    assert f"'https://*.yourapp.{suffix}'" in message and "or list the origins" in message


@pytest.mark.parametrize(
    "pattern",
    [
        "https://*.yourapp.github.io",
        "https://*.example.co.uk",
        "https://*.city.kawasaki.jp",  # an exception rule of the list: registrable
        "https://*.example.com",
        "http://*.localhost",
        "https://*.example.1a",  # a domain: its last label is not a number
    ],
)
def test_pattern_under_a_registrable_domain_is_accepted(pattern):
    assert origins(CORSPolicy(allow_origins=[pattern])) == (pattern,)


@pytest.mark.parametrize(
    ("pattern", "base", "example"),
    [
        # hundreds of suffixes (s3.amazonaws.com, ...) under a domain that is none itself
        ("https://*.amazonaws.com", "amazonaws.com", "s3-1.amazonaws.com"),
        ("https://*.core.windows.net", "core.windows.net", "blob.core.windows.net"),
        ("https://*.Windows.Net", "windows.net", "servicebus.windows.net"),
        # only a wildcard rule (*.private.repost.aws) under it
        ("https://*.repost.aws", "repost.aws", "x.private.repost.aws"),
    ],
)
def test_pattern_above_public_suffixes_is_refused(pattern, base, example):
    message = refusal(pattern)
    assert "would match sites anyone can register: the Public Suffix List has" in message
    assert f"under {base!r}" in message and repr(example) in message
    assert f"List the exact origins you trust, like 'https://yourname.{example}'" in message
    assert f"use a base below the suffixes, like 'https://*.yourname.{example}'" in message


def test_pattern_above_public_suffixes_grants_nothing_to_a_bucket():
    # the point of the refusal: anyone can create attacker.s3.amazonaws.com
    with pytest.raises(CORSConfigError):
        CORSPolicy(allow_origins=["https://*.amazonaws.com"], allow_credentials=True)
    below = CORSPolicy(allow_origins=["https://*.mybucket.s3.amazonaws.com"])
    assert below.origin_value(b"https://www.mybucket.s3.amazonaws.com") is not None
    assert below.origin_value(b"https://attacker.s3.amazonaws.com") is None


@pytest.mark.parametrize(
    "pattern",
    [
        "https://*.example.com",
        "https://*.app.example.com",
        "https://*.mybucket.s3.amazonaws.com",  # below the suffix s3.amazonaws.com
        "https://*.yourname.blob.core.windows.net",
    ],
)
def test_pattern_with_no_public_suffix_under_it_is_accepted(pattern):
    assert origins(CORSPolicy(allow_origins=[pattern])) == (pattern,)


def test_the_public_suffix_list_is_loaded_lazily_and_once():
    script = """
import sys
import cors_routes
from cors_routes import CORSPolicy
from cors_routes._origins import _public_suffix_list, _suffixes_under
CORSPolicy(allow_origins=["https://app.example", "http://127.0.0.1:8000"])
assert "publicsuffixlist" not in sys.modules, "loaded before any pattern"
CORSPolicy(allow_origins=["https://*.a.example"])
assert "publicsuffixlist" in sys.modules
CORSPolicy(allow_origins=["https://*.b.example", "https://*.c.example"])
assert _public_suffix_list.cache_info().misses == 1, _public_suffix_list.cache_info()
assert _suffixes_under.cache_info().misses == 1, _suffixes_under.cache_info()
print("ok")
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.stdout.strip() == "ok", result.stderr


# ---------- hosts that end in a number


@pytest.mark.parametrize(
    "pattern",
    ["http://*.0.0.1", "http://*.1", "https://*.0x7f", "https://*.example.0x1", "https://*.a.12"],
)
def test_pattern_whose_base_ends_in_a_number_is_refused(pattern):
    message = refusal(pattern)
    assert "ends in a number" in message and "IP addresses have no subdomains" in message
    assert "'http://127.0.0.1:8000'" in message


def test_pattern_over_0_0_1_would_have_matched_localhost():
    # why: a browser on http://127.0.0.1 sends exactly what such a pattern would match
    with pytest.raises(CORSConfigError):
        CORSPolicy(allow_origins=["http://*.0.0.1"])


@pytest.mark.parametrize("pattern", ["https://*.[::1]", "http://*.[::1]:8000"])
def test_pattern_over_an_ipv6_address_is_refused(pattern):
    assert "IP addresses have no subdomains" in refusal(pattern)


@pytest.mark.parametrize(("host", "address"), CHROMIUM_IPV4_HOSTS)
def test_exact_origin_with_an_ipv4_host_is_accepted_only_in_the_browsers_form(host, address):
    entry = f"http://{host}:8000"
    if address is None:
        message = refusal(entry)
        assert "not a valid one" in message and "'http://127.0.0.1:8000'" in message
    elif address == host:
        assert origins(CORSPolicy(allow_origins=[entry])) == (entry,)
    else:
        message = refusal(entry)
        assert f"they send 'http://{address}:8000'" in message


@pytest.mark.parametrize("host", CHROMIUM_DOMAINS_WITH_DIGITS)
def test_host_with_digits_that_does_not_end_in_a_number_is_a_domain(host):
    assert origins(CORSPolicy(allow_origins=[f"https://{host}"])) == (f"https://{host}",)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 2**32), min_size=1, max_size=5), st.sampled_from(["d", "x", "o"]))
def test_numeric_hosts_are_read_as_the_url_standard_ipv4_parser_does(numbers, notation):
    spelled = {"d": str, "x": hex, "o": lambda n: "0" + oct(n)[2:]}[notation]
    host = ".".join(spelled(n) for n in numbers)
    limits_ok = len(numbers) <= 4 and all(n <= 255 for n in numbers[:-1])
    valid = limits_ok and numbers[-1] < 256 ** (5 - len(numbers))
    result = parse_configured_origin(f"http://{host}")
    if not valid:
        assert isinstance(result, str) and "not a valid one" in result
        return
    address = sum(n * 256 ** (3 - i) for i, n in enumerate(numbers[:-1])) + numbers[-1]
    canonical = ".".join(str(address >> shift & 255) for shift in (24, 16, 8, 0))
    if host == canonical:
        assert isinstance(result, ParsedOrigin) and result.host == canonical
    else:
        assert isinstance(result, str) and f"they send 'http://{canonical}'" in result
