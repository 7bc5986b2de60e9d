"""``allow_origin_regex`` that accepts sites nobody vetted: refused with credentials, a lint
warning without them (issue 14, item 12); an empty regex means none (issue 16, item 10).

A regex that accepts any host of a scheme is ``*``; one that accepts a name under a public
suffix (``vercel.app``, ``s3.amazonaws.com``) accepts sites anyone can register. With
``allow_credentials=True`` either lets those sites make requests as the user, as
``allow_origins=['*']`` or ``'https://*.vercel.app'`` would, and those are refused.
"""

from __future__ import annotations

import pytest
from fastapi import APIRouter, FastAPI
from starlette.testclient import TestClient
from warning_guard import FASTAPI_DOCS_WITHOUT_CORS

from cors_routes import CORSConfigError, CORSPolicy, CORSRoute, cors, install
from cors_routes.lint import Finding, check_app

# Route-class apps keep FastAPI's docs without CORS; the lint's finding about them is not
# what these tests are about (tests/warning_guard.py).
pytestmark = FASTAPI_DOCS_WITHOUT_CORS


def policy_findings(policy: CORSPolicy) -> list[Finding]:
    """The lint's findings about ``policy``, as the default of an app with one route."""
    app = FastAPI(openapi_url=None)
    install(app, default=policy)
    app.add_api_route("/items", lambda: [], methods=["GET"])
    return check_app(app)


def refusal(regex: str) -> str:
    with pytest.raises(CORSConfigError) as info:
        CORSPolicy(allow_origin_regex=regex, allow_credentials=True)
    (problem,) = info.value.problems
    return problem


def codes(policy: CORSPolicy) -> list[str]:
    return [finding.code for finding in policy_findings(policy)]


# -- any host of a scheme ------------------------------------------------------------------

ANY_HOST = [
    (r"https://.*", "any https origin"),
    (r"https?://.*", "any origin"),
    (r".*", "any origin"),
    (r"https://[^/]+", "any https origin"),
    (r"https://[a-z0-9.-]+", "any https origin"),  # any host on the default port
    (r"http://[^:/]+:8666", "any http origin"),  # any host on one port
    (r"^https://.+$", "any https origin"),
    (r"https?://\d+\.\d+\.\d+\.\d+(:\d+)?", "any origin with an IP address"),
]


@pytest.mark.parametrize(("regex", "which"), ANY_HOST)
def test_regex_accepting_any_host_is_refused_with_credentials(regex, which):
    problem = refusal(regex)
    assert problem.startswith(
        f"allow_origin_regex={regex!r} with allow_credentials=True accepts {which} (it accepts "
    )
    assert "as allow_origins=['*'] would" in problem
    assert r"Match only your own origins, like r'https://app\.example\.com'" in problem
    assert "allow_credentials=False for a public API" in problem


@pytest.mark.parametrize(("regex", "which"), ANY_HOST)
def test_regex_accepting_any_host_loads_without_credentials_with_a_warning(regex, which):
    policy = CORSPolicy(allow_origin_regex=regex)
    (finding,) = [f for f in policy_findings(policy) if f.code == "regex-any-origin"]
    assert finding.severity == "warning"
    assert f"accepts {which} (it accepts " in finding.message
    assert "Fine for a public API" in finding.message
    # and it does what it says: any site of the scheme is allowed
    origin = b"https://203.0.113.9" if "IP" in which else b"https://anyone-at-all.example"
    if regex.startswith("http://"):
        origin = b"http://anyone-at-all.example:8666"
    assert policy.origin_value(origin) == origin


# -- the origin null -------------------------------------------------------------------------


@pytest.mark.parametrize("regex", [r"null|https://app\.example", r"[a-z]+(://[a-z.]+)?"])
def test_regex_accepting_null_is_refused_with_credentials(regex):
    problem = refusal(regex)
    assert "matches the origin 'null', which every sandboxed iframe" in problem
    assert "require a scheme" in problem
    assert "allow_origin_func=lambda origin: origin == 'null'" in problem
    assert "regex-allows-null" in codes(CORSPolicy(allow_origin_regex=regex))


# -- names under a public suffix ---------------------------------------------------------------

PUBLIC_SUFFIX = [
    # Vercel's preview deployments, as a real app's documentation writes it
    (r"https://.*\.vercel\.app", "vercel.app"),
    (r"^https://[a-z0-9-]+\.vercel\.app$", "vercel.app"),
    (r"(?i)https://.*\.VERCEL\.APP", "vercel.app"),
    (r"https://[a-z]{3,8}\.netlify\.app", "netlify.app"),
    (r"https://[a-z0-9-]{10,}\.web\.app(:[0-9]+)?", "web.app"),
    (r"https://app\.example\.com|https://.*\.github\.io", "github.io"),
    (r"https://[^.]+\.s3\.amazonaws\.com", "s3.amazonaws.com"),
    # no suffix itself, but hundreds under it (s3-1.amazonaws.com, ...)
    (r"https://.*\.amazonaws\.com", "s3-1.amazonaws.com"),
    (r"https://.*\.core\.windows\.net", "blob.core.windows.net"),
    (r"https://.*\.co\.uk", "co.uk"),
    (r"https://.*\.com", "com"),
]


@pytest.mark.parametrize(("regex", "suffix"), PUBLIC_SUFFIX)
def test_regex_over_a_public_suffix_is_refused_with_credentials(regex, suffix):
    problem = refusal(regex)
    assert f"a made-up name under {suffix!r}, a public suffix (Public Suffix List)" in problem
    escaped = "myapp." + suffix
    assert f"like r'https://{escaped.replace('.', chr(92) + '.')}'" in problem
    assert f"allow_origins=['https://myapp.{suffix}']" in problem


@pytest.mark.parametrize(("regex", "suffix"), PUBLIC_SUFFIX)
def test_regex_over_a_public_suffix_loads_without_credentials_with_a_warning(regex, suffix):
    policy = CORSPolicy(allow_origin_regex=regex)
    (finding,) = [f for f in policy_findings(policy) if f.code == "regex-public-suffix"]
    assert finding.severity == "warning"
    assert f"a made-up name under {suffix!r}" in finding.message
    assert "Fine for public data" in finding.message
    # and it does what it says: the made-up name is allowed
    origin = finding.message.split(" accepts ")[1].split(",")[0].encode()
    assert policy.origin_value(origin) == origin


def test_refused_through_the_decorator_too():
    with pytest.raises(CORSConfigError, match="a public suffix"):

        @cors(allow_origin_regex=r"https://.*\.vercel\.app", allow_credentials=True)
        def endpoint() -> None: ...


# -- regexes that name their own sites -------------------------------------------------------

OWN_SITES = [
    r"https://.*\.example\.com",
    r"https://([a-z]+\.)?example\.com",
    r"https://(app|admin)\.example\.co\.uk",
    r"https://myapp\.vercel\.app",
    r"https://(myapp|myapp-staging)\.vercel\.app",
    r"https://[a-z]+\.mybucket\.s3\.amazonaws\.com",  # below the suffix s3.amazonaws.com
    r"https://[a-z]+\.app\.example\.com",
    r"http://localhost(:\d+)?",
    r"http://.*\.localhost:3000",
    r"http://127\.0\.0\.1:\d+",
    r"https://[a-z0-9-]+\.example\.org(:8443)?",
]


@pytest.mark.parametrize("regex", OWN_SITES)
def test_regex_naming_own_sites_loads_with_credentials_and_no_finding(regex):
    policy = CORSPolicy(allow_origin_regex=regex, allow_credentials=True)
    assert policy.allow_origin_regex == regex
    assert codes(policy) == []
    assert codes(CORSPolicy(allow_origin_regex=regex)) == []


def test_a_regex_naming_own_deployments_serves_them_with_credentials():
    # an app that names its own Vercel deployment serves it with credentials
    router = APIRouter(route_class=CORSRoute)

    @router.get("/me")
    @cors(allow_origin_regex=r"https://(myapp|myapp-staging)\.vercel\.app", allow_credentials=True)
    def me() -> str:
        return "me"

    app = FastAPI()
    app.include_router(router)
    client = TestClient(app)
    ok = client.get("/me", headers={"Origin": "https://myapp.vercel.app"})
    assert ok.headers["access-control-allow-origin"] == "https://myapp.vercel.app"
    assert ok.headers["access-control-allow-credentials"] == "true"
    refused = client.get("/me", headers={"Origin": "https://attacker.vercel.app"})
    assert "access-control-allow-origin" not in refused.headers


# -- an empty regex is no regex ----------------------------------------------------------------


def test_empty_regex_means_none():
    policy = CORSPolicy(allow_origin_regex="")
    assert policy.allow_origin_regex is None
    assert policy == CORSPolicy()
    assert repr(policy) == "CORSPolicy()"
    assert CORSPolicy(allow_origins=["https://a.example"], allow_origin_regex="") == CORSPolicy(
        allow_origins=["https://a.example"]
    )
    assert CORSPolicy(allow_origin_regex=r"https://a\.example").replace(
        allow_origin_regex=""
    ) == CORSPolicy(allow_origin_regex=None)
