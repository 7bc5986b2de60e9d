"""One ``CORSConfigError`` names every problem of a policy, each with its fix (issue 16, item 10).

Settings as they really are: origins kept as one comma-separated string, ``'*'`` with
credentials in CI, an option read as text. A problem that makes another check meaningless
(a string where a list belongs) is reported, and the value read as what it surely meant, so
the problems behind it are reported in the same error, not one run later.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI

from cors_routes import CORSConfigError, CORSPolicy, cors, install
from cors_routes.explain import explain


@dataclass
class Settings:
    """A policy's options being written, mistake by mistake."""

    origins: list[str] = field(default_factory=lambda: ["https://app.example"])
    origins_as_text: bool = False
    options: dict[str, Any] = field(default_factory=dict)

    def kwargs(self) -> dict[str, Any]:
        origins: object = ", ".join(self.origins) if self.origins_as_text else self.origins
        return {"allow_origins": origins, **self.options}


@dataclass(frozen=True)
class Mistake:
    name: str
    make: Callable[[Settings], None]
    says: str  # in the problem's text
    fix: str  # the fix the problem gives


def _star_with_credentials(settings: Settings) -> None:
    settings.origins.append("*")
    settings.options.setdefault("allow_credentials", True)


def _credentials_as_text(settings: Settings) -> None:
    settings.options["allow_credentials"] = "true"


MISTAKES = [
    Mistake(
        "origins as one string",
        lambda s: setattr(s, "origins_as_text", True),
        "is a string",
        "write allow_origins=[",
    ),
    Mistake(
        "'*' with credentials",
        _star_with_credentials,
        "allow_credentials=True with allow_origins=['*']",
        "list the origins instead",
    ),
    Mistake(
        "credentials as text",
        _credentials_as_text,
        "allow_credentials='true' is not a bool",
        "pass True or False",
    ),
    Mistake(
        "origin with a trailing slash",
        lambda s: s.origins.append("https://admin.example/"),
        "origin 'https://admin.example/' ends with a slash",
        "write 'https://admin.example'",
    ),
    Mistake(
        "max_age as text",
        lambda s: s.options.update(max_age="600"),
        "max_age='600' is not a number of seconds",
        "pass an int >= 0",
    ),
    Mistake(
        "forbidden method",
        lambda s: s.options.update(allow_methods=["GET", "TRACE"]),
        "method 'TRACE' is forbidden by the Fetch standard",
        "remove it",
    ),
    Mistake(
        "bad header name",
        lambda s: s.options.update(allow_headers=["X-Request-Id", "X Token"]),
        "allow_headers entry 'X Token' is not a valid header name",
        "write a name like 'X-Request-Id'",
    ),
    Mistake(
        "invalid regex",
        lambda s: s.options.update(allow_origin_regex=r"https://(app\.example"),
        "is not a valid regular expression",
        "missing ), unterminated subpattern",
    ),
    Mistake(
        "unknown keyword",
        lambda s: s.options.update(allow_origin=["https://other.example"]),
        "unknown CORS option 'allow_origin'",
        "did you mean allow_origins?",
    ),
]

COMBINATIONS = [
    combination for size in (1, 2, 3) for combination in itertools.combinations(MISTAKES, size)
]


def _settings(mistakes: tuple[Mistake, ...]) -> dict[str, Any]:
    settings = Settings()
    for mistake in mistakes:
        mistake.make(settings)
    return settings.kwargs()


@pytest.mark.parametrize(
    "mistakes", COMBINATIONS, ids=[" + ".join(m.name for m in c) for c in COMBINATIONS]
)
def test_one_error_names_every_mistake_with_its_fix(mistakes: tuple[Mistake, ...]) -> None:
    kwargs = _settings(mistakes)
    with pytest.raises(CORSConfigError) as info:
        CORSPolicy(**kwargs)
    problems = info.value.problems
    assert len(problems) == len(mistakes), problems
    for mistake in mistakes:
        [problem] = [p for p in problems if mistake.says in p]
        assert mistake.fix in problem
    if len(mistakes) > 1:
        assert str(info.value).startswith(f"{len(mistakes)} problems in this CORS policy:\n")
    # @cors refuses it with the same error, at decoration time
    with pytest.raises(CORSConfigError) as again:
        cors(**kwargs)
    assert again.value.problems == problems


def test_the_grid_covers_pairs_and_triples_of_every_mistake() -> None:
    assert len(MISTAKES) == 9
    assert len(COMBINATIONS) == 9 + 36 + 84


def test_star_as_text_with_credentials_says_both_at_once() -> None:
    """The issue's case: ``CORSPolicy(allow_origins='*', allow_credentials=True)`` said
    "write ['*']", and only after that fix refused credentials with '*'."""
    with pytest.raises(CORSConfigError) as info:
        CORSPolicy(allow_origins="*", allow_credentials=True)
    assert info.value.problems[0] == (
        "allow_origins='*' is a string, not a list: write allow_origins=['*']"
    )
    assert info.value.problems[1].startswith("allow_credentials=True with allow_origins=['*']")
    assert len(info.value.problems) == 2


def test_a_comma_separated_setting_is_read_as_its_origins() -> None:
    """pydantic-settings keeps ``CORS_ORIGINS=https://a.example,https://b.example/`` as a str."""
    with pytest.raises(CORSConfigError) as info:
        CORSPolicy(allow_origins="https://a.example,https://b.example/, null")
    first, *entries = info.value.problems
    assert first.startswith("allow_origins='https://a.example,https://b.example/, null' is a ")
    assert "write allow_origins=['https://a.example', 'https://b.example/', 'null']" in first
    assert [p.split(" ")[:2] for p in entries] == [
        ["origin", "'https://b.example/'"],
        ["origin", "'null'"],
    ]


@pytest.mark.parametrize(
    ("option", "text", "meant", "then"),
    [
        ("allow_methods", "GET, TRACE", "['GET', 'TRACE']", "method 'TRACE' is forbidden"),
        ("allow_headers", "X-A,Cookie", "['X-A', 'Cookie']", "'Cookie' is a forbidden request"),
        ("expose_headers", "*", "['*']", "expose_headers=['*'] does not work with"),
    ],
)
def test_a_string_of_names_is_read_as_its_names(option, text, meant, then) -> None:
    with pytest.raises(CORSConfigError) as info:
        CORSPolicy(allow_origins=["https://a.example"], allow_credentials=True, **{option: text})
    first, second = info.value.problems
    assert first == f"{option}={text!r} is a string, not a list: write {option}={meant}"
    assert then in second


@pytest.mark.parametrize("flag", ["true", "yes", 1])
def test_credentials_not_a_bool_are_read_as_meant(flag: object) -> None:
    with pytest.raises(CORSConfigError) as info:
        CORSPolicy(allow_origins=["*"], allow_credentials=flag)  # type: ignore[arg-type]
    assert info.value.problems == [
        f"allow_credentials={flag!r} is not a bool: pass True or False",
        info.value.problems[1],
    ]
    assert "with allow_origins=['*']" in info.value.problems[1]


@pytest.mark.parametrize("flag", ["false", "no", 0])
def test_credentials_meant_false_add_no_credential_problem(flag: object) -> None:
    with pytest.raises(CORSConfigError) as info:
        CORSPolicy(allow_origins=["*"], allow_credentials=flag)  # type: ignore[arg-type]
    assert info.value.problems == [f"allow_credentials={flag!r} is not a bool: pass True or False"]


def test_a_valid_policy_is_unchanged_by_the_reading() -> None:
    """Reading a string as a list is only for finding problems: it never makes one valid."""
    for kwargs in ({"allow_origins": "https://a.example"}, {"allow_methods": "GET"}):
        with pytest.raises(CORSConfigError, match="is a string, not a list"):
            CORSPolicy(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "hint"),
    [
        ({"allow_origin": ["https://a.example"]}, "did you mean allow_origins?"),
        ({"allow_credential": True}, "did you mean allow_credentials?"),
        ({"zzz": 1}, "the options are allow_origins, allow_origin_regex"),
    ],
)
def test_a_misspelt_option_is_a_config_error_from_the_constructor_too(kwargs, hint) -> None:
    with pytest.raises(CORSConfigError) as info:
        CORSPolicy(**kwargs)
    [problem] = info.value.problems
    assert problem.startswith(f"unknown CORS option {next(iter(kwargs))!r}: ")
    assert hint in problem


# ---------- allow_origin_regex="" (an unset setting) means no regex


SETTINGS_APP = FastAPI()


@SETTINGS_APP.get("/items")
async def items() -> list[str]:
    return []


install(
    SETTINGS_APP,
    default=CORSPolicy(allow_origins=["https://app.example"], allow_origin_regex=""),
    lint=False,
)


def test_an_empty_regex_is_no_regex() -> None:
    policy = CORSPolicy(allow_origins=["https://app.example"], allow_origin_regex="")
    assert policy.allow_origin_regex is None
    assert policy == CORSPolicy(allow_origins=["https://app.example"])
    assert "regex" not in repr(policy)
    assert policy.replace(allow_origin_regex="").allow_origin_regex is None


def test_routes_and_explain_show_no_empty_regex() -> None:
    from _cli import run  # here: the command line imports this module, without tests/ on its path

    table = run("routes", "tests.test_policy_problems_at_once:SETTINGS_APP")
    assert table.returncode == 0, table.stderr
    assert "/items" in table.stdout and "https://app.example" in table.stdout
    assert "regex" not in table.stdout
    as_json = run("routes", "--json", "tests.test_policy_problems_at_once:SETTINGS_APP")
    assert as_json.returncode == 0, as_json.stderr
    assert "regex" not in json.dumps(json.loads(as_json.stdout)).lower()
    refused = explain(SETTINGS_APP, origin="https://evil.example", method="PUT", path="/items")
    assert not refused.allowed
    assert "regex" not in refused.reason
    schema = SETTINGS_APP.openapi()
    assert "allowOriginRegex" not in json.dumps(schema)
