"""The lint's ``credentials-any-origin``: credentials with a predicate that accepts any site of
a scheme is an error (such a regex is refused outright: tests/test_origin_regex.py); a rule
that decides is not."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from cors_routes import CORSPolicy
from cors_routes.lint import _lint_policy


def any_origin(policy: CORSPolicy) -> list[str]:
    return [f.message for f in _lint_policy(policy) if f.code == "credentials-any-origin"]


def host(origin: str) -> str:
    return origin.split("://")[-1].split(":")[0]


def test_predicate_accepting_any_ip_address_host():
    (message,) = any_origin(
        CORSPolicy(allow_origin_func=lambda o: host(o)[:1].isdigit(), allow_credentials=True)
    )
    assert "accepts any origin with an IP address (it accepts https://23.45.67.89" in message
    # a private network's addresses are not any site's
    private = CORSPolicy(
        allow_origin_func=lambda o: host(o)[:1].isdigit() and ip_address(host(o)).is_private,
        allow_credentials=True,
    )
    assert any_origin(private) == []


def test_predicate_accepting_any_https_origin():
    (message,) = any_origin(
        CORSPolicy(allow_origin_func=lambda o: o.startswith("https://"), allow_credentials=True)
    )
    assert "an allow_origin_func that accepts any https origin" in message


@pytest.mark.parametrize(
    "policy",
    [
        CORSPolicy(allow_origin_regex=r"https://([a-z]+\.)?example\.com", allow_credentials=True),
        CORSPolicy(
            allow_origin_func=lambda o: o in {"https://a.example", "https://b.example"},
            allow_credentials=True,
        ),
        CORSPolicy(allow_origin_regex=r"https://.*\.example\.com", allow_credentials=True),
        CORSPolicy(allow_origins=["https://*.example.com"], allow_credentials=True),
        CORSPolicy(allow_origin_regex=r"https://.*"),  # no credentials: not this finding
    ],
)
def test_rules_that_decide_are_not_reported(policy):
    assert any_origin(policy) == []
