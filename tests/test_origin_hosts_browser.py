"""The hosts of configured origins, converted as Chromium converts them, asked of Chromium.

tests/test_origin_hosts.py holds the values read off Chromium once; here the browser is
asked again on every run, so a change in either side (a new idna release, a browser that
changes its URL parser) fails the suite instead of silently mismatching.
"""

from __future__ import annotations

import pytest
from e2e_chromium import chromium_page
from test_origin_hosts import (
    CHROMIUM_HOSTS,
    CHROMIUM_HOSTS_IDNA_REFUSES,
    CHROMIUM_INVALID_HOSTS,
    CHROMIUM_IPV4_HOSTS,
)

from cors_routes import CORSConfigError, CORSPolicy

ORIGIN_OF = """(hosts) => hosts.map((host) => {
  try { return new URL("https://" + host).origin; } catch (error) { return null; }
})"""


@pytest.fixture(scope="module")
def chromium_origins():
    hosts = [
        *(host for host, _ in CHROMIUM_HOSTS),
        *(host for host, _ in CHROMIUM_HOSTS_IDNA_REFUSES),
        *CHROMIUM_INVALID_HOSTS,
        *(host for host, _ in CHROMIUM_IPV4_HOSTS),
    ]
    with chromium_page() as page:
        page.set_content("<title>hosts</title>")
        return dict(zip(hosts, page.evaluate(ORIGIN_OF, hosts), strict=True))


@pytest.mark.parametrize("host, ascii_host", CHROMIUM_HOSTS)
def test_an_origin_means_what_chromium_sends(chromium_origins, host, ascii_host):
    sent = chromium_origins[host]
    assert sent == f"https://{ascii_host}"
    assert CORSPolicy(allow_origins=[f"https://{host}"]).allow_origins == (sent,)


@pytest.mark.parametrize("host, ascii_host", CHROMIUM_HOSTS_IDNA_REFUSES)
def test_a_host_the_idna_package_refuses_gets_chromiums_form_as_the_hint(
    chromium_origins, host, ascii_host
):
    assert chromium_origins[host] == f"https://{ascii_host}"
    with pytest.raises(CORSConfigError) as refused:
        CORSPolicy(allow_origins=[f"https://{host}"])
    assert ascii_host in str(refused.value)


@pytest.mark.parametrize("host", CHROMIUM_INVALID_HOSTS)
def test_a_host_chromium_refuses_is_refused(chromium_origins, host):
    assert chromium_origins[host] is None
    with pytest.raises(CORSConfigError):
        CORSPolicy(allow_origins=[f"https://{host}"])


@pytest.mark.parametrize("host, ipv4", CHROMIUM_IPV4_HOSTS)
def test_ipv4_hosts_are_read_as_chromium_reads_them(chromium_origins, host, ipv4):
    sent = chromium_origins[host]
    assert sent == (None if ipv4 is None else f"https://{ipv4}")
    if ipv4 == host:
        assert CORSPolicy(allow_origins=[f"https://{host}"]).allow_origins == (sent,)
    else:  # refused, with the form Chromium sends as the hint where there is one
        with pytest.raises(CORSConfigError) as refused:
            CORSPolicy(allow_origins=[f"https://{host}"])
        if ipv4 is not None:
            assert ipv4 in str(refused.value)
