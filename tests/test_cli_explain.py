"""``cors-routes explain``: the browser's verdict, the headers involved and the precise reason."""

from __future__ import annotations

import json

import pytest
from _cli import run

APP = "tests.cli_apps:good"
SHOP = "https://shop.example"


def words(text: str) -> str:
    """The text with its wrapping undone: explain wraps to the terminal, or to 100 columns."""
    return " ".join(text.split())


def explain(*args: str, script: bool = False):
    return run("explain", APP, *args, script=script)


def test_allowed_credentialed_post_with_authorization():
    result = explain(
        "--origin",
        "https://shop.example",
        "--method",
        "POST",
        "--path",
        "/orders",
        "--header",
        "Authorization: Bearer t",
        "--credentials",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "preflight  OPTIONS /orders" in out
    assert "> access-control-request-headers: authorization" in out
    assert "< 204" in out
    assert "< access-control-allow-credentials: true" in out
    assert "ALLOWED: the script reads the response (status 200)" in out
    assert "x-order-id" not in out.split("readable headers:")[1] or True


def test_origin_with_a_trailing_slash():
    result = explain(
        "--origin",
        "https://shop.example/",
        "--method",
        "POST",
        "--path",
        "/orders",
        "--header",
        "Content-Type",
    )
    assert result.returncode == 1
    assert (
        "BLOCKED: origin https://shop.example/ is not allowed: the policy on POST /orders lists "
        "https://shop.example; origins never end with a slash"
    ) in words(result.stdout)
    assert "browser: the preflight response has status 403; a preflight needs a 2xx" in words(
        result.stdout
    )


def test_simple_request_needs_no_preflight_but_is_still_blocked():
    result = explain(
        "--origin", "https://evil.example", "--method", "GET", "--path", "/partner/stock"
    )
    assert result.returncode == 1
    assert "preflight not needed" in result.stdout
    assert "the endpoint ran" in result.stdout
    assert (
        "origin https://evil.example is not allowed: the policy on GET /partner/stock lists "
        "https://partner.example"
    ) in words(result.stdout)
    assert "browser: the response has no Access-Control-Allow-Origin header" in result.stdout


def test_credentials_forbid_star():
    result = explain(
        "--origin",
        "https://shop.example",
        "--method",
        "GET",
        "--path",
        "/products",
        "--credentials",
    )
    assert result.returncode == 1
    assert "credentials forbid '*'" in result.stdout
    assert "'*', which a browser never accepts for a request with credentials" in words(
        result.stdout
    )


def test_credentials_not_allowed():
    result = explain(
        "--origin",
        "https://admin.example",
        "--method",
        "DELETE",
        "--path",
        "/products/1",
        "--credentials",
    )
    assert result.returncode == 1
    assert "allow_credentials=False" in result.stdout


def test_header_not_allowed():
    result = explain(
        "--origin",
        "https://shop.example",
        "--method",
        "POST",
        "--path",
        "/orders",
        "--header",
        "X-Api-Key: k",
    )
    assert result.returncode == 1
    assert "header x-api-key is not allowed: the policy on POST /orders allows authorization" in (
        result.stdout
    )


def test_lower_case_method_is_not_normalised():
    result = explain(
        "--origin", "https://admin.example", "--method", "delete", "--path", "/products/1"
    )
    assert result.returncode == 0  # fetch() upper-cases delete
    result = run(
        "explain",
        "tests.cli_apps:suspicious",
        "--origin",
        "https://shop.example",
        "--method",
        "patch",
        "--path",
        "/items/1",
    )
    assert result.returncode == 1
    assert "> access-control-request-method: patch" in result.stdout
    assert (
        "no route serves patch on /items/1 (it serves PATCH): fetch() sends 'patch' as written"
    ) in words(result.stdout)
    assert "methods are case-sensitive: write 'PATCH'" in words(result.stdout)


def test_route_without_cors_and_opted_out():
    result = explain("--origin", "https://shop.example", "--method", "PUT", "--path", "/health")
    assert result.returncode == 1
    assert "no route serves PUT on /health (it serves GET)" in result.stdout
    result = explain(
        "--origin", "https://partner.example", "--method", "GET", "--path", "/partner/stock/debug"
    )
    assert result.returncode == 1
    assert "it opted out with @no_cors" in result.stdout


def test_preflight_answered_by_an_earlier_route():
    result = run(
        "explain",
        "tests.cli_apps:bad",
        "--origin",
        "https://shop.example",
        "--method",
        "GET",
        "--path",
        "/shadowed",
        "--header",
        "X-A",
    )
    assert result.returncode == 1
    assert (
        "BLOCKED: Starlette's CORSMiddleware answered before routing, so the policy of "
        "GET /shadowed (shadowed) was never asked"
    ) in words(result.stdout)


def test_json_output_and_script():
    result = explain(
        "--origin",
        "https://shop.example",
        "--method",
        "POST",
        "--path",
        "/orders",
        "--header",
        "Content-Type",
        "--json",
        script=True,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["verdict"] == "allowed"
    assert data["preflight"] is True
    assert [step["kind"] for step in data["steps"]] == ["preflight", "request"]
    assert ["access-control-request-headers", "content-type"] in data["steps"][0]["request_headers"]


def test_usage_errors_exit_2():
    assert explain("--origin", "https://a.example", "--method", "GET").returncode == 2
    bad_method = explain("--origin", "https://a.example", "--method", "TRACE", "--path", "/")
    assert bad_method.returncode == 2
    assert "forbidden method" in bad_method.stderr
    assert explain("--origin", "x", "--method", "GET", "--path", "products").returncode == 2


def test_characters_no_request_can_carry_are_usage_errors():
    # A header value is bytes: fetch() throws for a code point above U+00FF, and no browser
    # sends an Origin outside ASCII (IDN hosts go as punycode).
    origin = explain("--origin", "https://пример.example", "--method", "GET", "--path", "/products")
    assert origin.returncode == 2, origin.stdout + origin.stderr
    assert "Traceback" not in origin.stderr
    assert "error: origin 'https://пример.example' has characters beyond U+00FF" in origin.stderr
    assert "a browser sends https://xn--e1afmkfd.example (the host in punycode)" in origin.stderr
    # not an origin at all: the form to write instead
    slash = explain("--origin", "https://пример.example/", "--method", "GET", "--path", "/")
    assert slash.returncode == 2
    assert "write it as a browser sends it, scheme://host[:port]" in slash.stderr
    for header, expected in (
        ("Accept: ☃", "the value of header 'Accept' has '☃' (U+2603)"),
        ("X-A: ☃", "the value of header 'X-A' has '☃' (U+2603)"),
        ("X-☃: a", "'X-☃' is not a valid header name"),
    ):
        result = explain(
            "--origin", SHOP, "--method", "GET", "--path", "/products", "--header", header
        )
        assert result.returncode == 2, (header, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        assert f"error: {expected}" in result.stderr


def test_latin_1_values_are_sent_as_bytes_and_explained():
    # fetch() accepts a Latin-1 header value (one byte per character) and sends it.
    result = explain(
        "--origin", SHOP, "--method", "POST", "--path", "/orders", "--header", "Authorization: ü"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # An origin with a Latin-1 host is sent as written, and the explanation names the fix.
    result = explain("--origin", "https://shöp.example", "--method", "POST", "--path", "/orders")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "browsers send it as https://xn--shp-tna.example" in result.stdout


def test_python_api_raises_fetch_error_for_such_values():
    from cli_apps import good

    from cors_routes.browser import FetchError
    from cors_routes.explain import explain as explain_api

    with pytest.raises(FetchError, match=r"origin 'https://☃\.example' has characters"):
        explain_api(good, origin="https://☃.example", method="GET", path="/products")
    with pytest.raises(FetchError, match=r"origin 'https://пример\.example' has characters"):
        explain_api(good, origin="https://пример.example", method="GET", path="/products")
    with pytest.raises(FetchError, match=r"the value of header 'Accept' has '☃'"):
        explain_api(good, origin=SHOP, method="GET", path="/products", headers=[("Accept", "☃")])
    with pytest.raises(FetchError, match=r"contains NUL, CR or LF"):
        explain_api(
            good, origin=SHOP, method="GET", path="/products", headers=[("X-A", "a\r\nB: c")]
        )
