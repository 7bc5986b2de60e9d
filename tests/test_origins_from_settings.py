"""Origins read from settings: pydantic URL objects, and comma-separated strings.

Apps keep their origins in settings: ``list[AnyHttpUrl]`` with pydantic-settings (whose
``str()`` ends with "/"), or one environment variable holding origins separated by commas.
Both recipes below go straight into a policy and are granted in a real request.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi import FastAPI
from pydantic import AnyHttpUrl, AnyUrl, HttpUrl, TypeAdapter
from pydantic_settings import BaseSettings
from starlette.testclient import TestClient
from warning_guard import FASTAPI_DOCS_WITHOUT_CORS

from cors_routes import CORSConfigError, CORSPolicy, CORSRoute, cors

# Route-class apps keep FastAPI's docs without CORS; the lint's finding about them is not
# what these tests are about (tests/warning_guard.py).
pytestmark = FASTAPI_DOCS_WITHOUT_CORS

EXPECTED = ("https://app.example", "http://localhost:5173", "https://xn--strae-oqa.example")


def granted(policy: CORSPolicy, origin: str) -> bool:
    """Whether a FastAPI app serving ``policy`` grants ``origin``, preflight and actual alike."""
    app = FastAPI()
    app.router.route_class = CORSRoute

    @app.post("/orders")
    @cors(policy)
    def create_order() -> dict[str, bool]:
        return {"ok": True}

    client = TestClient(app)
    preflight = client.options(
        "/orders", headers={"Origin": origin, "Access-Control-Request-Method": "POST"}
    )
    actual = client.post("/orders", headers={"Origin": origin})
    assert actual.status_code == 200
    allowed = actual.headers.get("access-control-allow-origin") == origin
    assert (preflight.status_code == 204) is allowed
    return allowed


# ---------- the recipes


class Settings(BaseSettings):
    cors_origins: list[AnyHttpUrl] = []


def test_pydantic_settings_recipe(monkeypatch):
    # pydantic-settings reads a complex type from the environment as JSON
    monkeypatch.setenv(
        "CORS_ORIGINS",
        '["https://app.example", "http://localhost:5173/", "https://straße.example"]',
    )
    settings = Settings()
    assert str(settings.cors_origins[0]) == "https://app.example/"
    policy = CORSPolicy(allow_origins=settings.cors_origins)
    assert policy.allow_origins == EXPECTED
    assert all(type(origin) is str for origin in policy.allow_origins)
    for origin in EXPECTED:
        assert granted(policy, origin)
    assert not granted(policy, "https://app.example/")
    assert not granted(policy, "https://evil.example")


def test_comma_separated_environment_variable_recipe(monkeypatch):
    monkeypatch.setenv(
        "CORS_ORIGINS", " https://app.example, http://localhost:5173 ,https://straße.example,"
    )
    origins = [o.strip() for o in os.environ["CORS_ORIGINS"].split(",") if o.strip()]
    policy = CORSPolicy(allow_origins=origins)
    assert policy.allow_origins == EXPECTED
    for origin in EXPECTED:
        assert granted(policy, origin)
    assert not granted(policy, "https://evil.example")


RECIPE_TYPED = """
from pydantic import AnyHttpUrl, HttpUrl
from pydantic_settings import BaseSettings

from cors_routes import CORSPolicy


class Settings(BaseSettings):
    cors_origins: list[AnyHttpUrl] = []
    partner_origins: list[HttpUrl] = []


settings = Settings()
POLICY = CORSPolicy(allow_origins=settings.cors_origins)
WIDER = POLICY.replace(
    allow_origins=[*settings.cors_origins, *settings.partner_origins, "https://x.example"]
)
"""


def test_the_settings_recipe_passes_mypy_strict(tmp_path, monkeypatch):
    mypy_api = pytest.importorskip("mypy.api")
    (tmp_path / "recipe.py").write_text(RECIPE_TYPED)
    monkeypatch.setenv("MYPYPATH", str(Path(__file__).resolve().parent.parent))
    monkeypatch.chdir(tmp_path)
    out, err, status = mypy_api.run(
        [
            "--strict",
            "--follow-imports=silent",  # the user's code is checked, not the library's
            "--no-incremental",
            "--cache-dir=/dev/null",
            "recipe.py",
        ]
    )
    assert status == 0, out + err


# ---------- URL objects


@pytest.mark.parametrize("kind", [AnyUrl, AnyHttpUrl, HttpUrl])
@pytest.mark.parametrize(
    ("written", "origin"),
    [
        ("https://app.example", "https://app.example"),
        ("https://app.example/", "https://app.example"),
        ("HTTPS://App.Example:443", "https://app.example"),  # pydantic's .port is then 443
        ("http://localhost:5173", "http://localhost:5173"),
        ("https://straße.example", "https://xn--strae-oqa.example"),
    ],
)
def test_origin_shaped_url_object_is_accepted(kind, written, origin):
    url = TypeAdapter(kind).validate_python(written)
    assert str(url).endswith("/")  # how pydantic writes them: not the user's mistake
    policy = CORSPolicy(allow_origins=[url])
    assert policy.allow_origins == (origin,)
    assert type(policy.allow_origins[0]) is str
    assert policy == CORSPolicy(allow_origins=[origin])


@pytest.mark.parametrize(
    ("written", "problem", "fixed"),
    [
        ("https://app.example/app", "has a path", "write 'https://app.example'"),
        ("https://app.example/?x=1", "has a query", "write 'https://app.example'"),
        ("https://app.example/#top", "has a fragment", "write 'https://app.example'"),
        ("https://u:p@app.example", "has user information", "write 'https://app.example'"),
    ],
)
def test_url_object_with_more_than_an_origin_is_refused(written, problem, fixed):
    url = TypeAdapter(AnyHttpUrl).validate_python(written)
    with pytest.raises(CORSConfigError) as info:
        CORSPolicy(allow_origins=[url])
    assert problem in str(info.value) and fixed in str(info.value)


def test_pydantic_v1_url_is_a_str_subclass_and_accepted():
    v1 = pytest.importorskip("pydantic.v1")
    for written in ("https://app.example", "https://app.example/"):
        url = v1.parse_obj_as(v1.AnyHttpUrl, written)
        assert isinstance(url, str) and str(url) == written
        policy = CORSPolicy(allow_origins=[url])
        assert policy.allow_origins == ("https://app.example",)
        assert type(policy.allow_origins[0]) is str
    with pytest.raises(CORSConfigError, match="has a path"):
        CORSPolicy(allow_origins=[v1.parse_obj_as(v1.AnyHttpUrl, "https://app.example/x")])


def test_a_plain_string_with_a_trailing_slash_is_still_refused():
    # only a URL object's "/" is how it is written; in a string it is the usual mistake
    with pytest.raises(CORSConfigError, match="ends with a slash"):
        CORSPolicy(allow_origins=["https://app.example/"])


# ---------- comma-separated strings


def test_a_comma_separated_string_is_refused_with_the_split_list():
    with pytest.raises(CORSConfigError) as info:
        CORSPolicy(allow_origins="http://localhost, http://localhost:5173")
    message = str(info.value)
    assert "is a string holding several origins" in message
    assert "allow_origins=['http://localhost', 'http://localhost:5173']" in message
    assert "value.split(',')" in message
    assert len(info.value.problems) == 1


def test_a_list_entry_holding_commas_is_refused_with_the_split_list():
    with pytest.raises(CORSConfigError) as info:
        CORSPolicy(allow_origins=["http://localhost,http://localhost:5173 , "])
    message = str(info.value)
    assert "holds several origins separated by commas" in message
    assert "['http://localhost', 'http://localhost:5173']" in message
    assert "invalid port" not in message and "invalid host" not in message
