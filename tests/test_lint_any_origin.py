"""The lint's ``credentials-any-origin``: credentials with a rule that accepts any site of a
scheme is an error, whether the rule is a regex or a predicate; a rule that decides is not."""

from __future__ import annotations

import pytest

from cors_routes import CORSPolicy
from cors_routes.lint import _lint_policy


def any_origin(policy: CORSPolicy) -> list[str]:
    return [f.message for f in _lint_policy(policy) if f.code == "credentials-any-origin"]


@pytest.mark.parametrize(
    ("regex", "scheme"),
    [
        (r"https://.*", "https"),
        (r"https?://.*", None),
        (r".*", None),
        (r"https://[^/]+", "https"),
        (r"https://[a-z0-9.-]+", "https"),  # any host on the default port
        (r"http://[^:/]+:8666", "http"),  # any host on one port
    ],
)
def test_regex_accepting_any_host_of_a_scheme(regex, scheme):
    (finding,) = [
        f
        for f in _lint_policy(CORSPolicy(allow_origin_regex=regex, allow_credentials=True))
        if f.code == "credentials-any-origin"
    ]
    assert finding.severity == "error"
    assert "allow_origin_regex" in finding.message
    which = "any origin" if scheme is None else f"any {scheme} origin"
    assert f"accepts {which} (it accepts {scheme or 'https'}://" in finding.message


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
