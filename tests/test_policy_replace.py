"""CORSPolicy.replace(): a validated copy with some options changed and the others kept."""

from __future__ import annotations

import inspect
import types
import typing
from pathlib import Path

import pytest

from cors_routes import CORSConfigError, CORSPolicy

OPTIONS = (
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


def partner(origin: str) -> bool:
    return origin == "https://partner.example"


def other_partner(origin: str) -> bool:
    return origin == "https://other.example"


# A policy that sets every option away from its default.
FULL = CORSPolicy(
    allow_origins=["HTTPS://App.Example", "https://*.tenant.example"],
    allow_origin_regex=r"https://r[0-9]+\.example\.net",
    allow_origin_func=partner,
    allow_methods=["get", "PURGE"],
    allow_headers=["X-Token"],
    allow_credentials=True,
    expose_headers=["X-Total"],
    max_age=60,
    allow_private_network=True,
)

# (option, a new value as a user writes it, the value the policy stores for it)
CHANGES = [
    ("allow_origins", ["https://B.example"], ("https://b.example",)),
    ("allow_origin_regex", r"https://q\.example", r"https://q\.example"),
    ("allow_origin_regex", None, None),
    ("allow_origin_func", other_partner, other_partner),
    ("allow_origin_func", None, None),
    ("allow_methods", ["delete"], ("DELETE",)),
    ("allow_methods", None, None),  # None: the route's own methods, not "keep"
    ("allow_headers", ["X-Other", "x-other"], ("x-other",)),
    ("allow_credentials", False, False),
    ("expose_headers", [], ()),
    ("max_age", 0, 0),
    ("allow_private_network", False, False),
]


def union_members(annotation: object) -> set[object]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return set(typing.get_args(annotation))
    return {annotation}


def fields(policy: CORSPolicy) -> dict[str, object]:
    return {name: getattr(policy, name) for name in OPTIONS}


def test_replace_takes_exactly_the_constructors_options_as_keywords():
    constructor = inspect.signature(CORSPolicy.__init__).parameters
    replace = inspect.signature(CORSPolicy.replace).parameters
    named = [p for p in replace.values() if p.kind is inspect.Parameter.KEYWORD_ONLY]
    options = [n for n, p in constructor.items() if p.kind is p.POSITIONAL_OR_KEYWORD][1:]
    assert [p.name for p in named] == list(OPTIONS) == options  # [1:]: without self
    given = typing.get_type_hints(CORSPolicy.__init__)
    kept = typing.get_type_hints(CORSPolicy.replace)
    keep = type(named[0].default)
    for parameter in named:
        # the same types as the constructor, plus the private "keep" default
        assert union_members(kept[parameter.name]) == union_members(given[parameter.name]) | {keep}
        assert isinstance(parameter.default, keep)


def test_replace_with_nothing_is_an_equal_policy():
    same = FULL.replace()
    assert same == FULL and hash(same) == hash(FULL)
    assert fields(same) == fields(FULL)
    default = CORSPolicy()
    assert default.replace() == default and default.replace().allow_methods is None


@pytest.mark.parametrize(("option", "value", "stored"), CHANGES, ids=lambda v: repr(v)[:30])
def test_replace_changes_one_option_and_keeps_every_other(option, value, stored):
    before = fields(FULL)
    changed = FULL.replace(**{option: value})
    after = fields(changed)
    assert after[option] == stored
    assert {k: v for k, v in after.items() if k != option} == {
        k: v for k, v in before.items() if k != option
    }
    assert fields(FULL) == before  # the original is untouched
    assert changed == CORSPolicy(**{**before, option: value})


def test_replaced_policy_serves_its_new_options():
    narrowed = FULL.replace(allow_origins=["https://new.example"], allow_origin_func=None)
    assert narrowed.origin_value(b"https://new.example") == b"https://new.example"
    assert narrowed.origin_value(b"https://app.example") is None
    assert narrowed.origin_value(b"https://r1.example.net") == b"https://r1.example.net"
    assert narrowed.has_origin_func is False
    assert FULL.origin_value(b"https://app.example") == b"https://app.example"


def test_replace_validates_like_the_constructor():
    public = CORSPolicy(allow_origins=["*"])
    with pytest.raises(CORSConfigError) as info:
        public.replace(allow_credentials=True)
    with pytest.raises(CORSConfigError) as direct:
        CORSPolicy(allow_origins=["*"], allow_credentials=True)
    assert str(info.value) == str(direct.value)
    with pytest.raises(CORSConfigError, match="ends with a slash"):
        FULL.replace(allow_origins=["https://a.example/"])
    # FULL has credentials: '*' expose headers are refused as the constructor refuses them
    with pytest.raises(CORSConfigError, match="expose_headers=\\['\\*'\\]"):
        FULL.replace(expose_headers=["*"])


@pytest.mark.parametrize(
    ("mistyped", "hint"),
    [("allow_origin", "did you mean allow_origins?"), ("max_ages", "did you mean max_age?")],
)
def test_mistyped_option_is_a_type_error_naming_the_intended_one(mistyped, hint):
    with pytest.raises(TypeError) as info:
        FULL.replace(**{mistyped: 1})
    assert repr(mistyped) in str(info.value) and hint in str(info.value)


USER_CODE = """
from cors_routes import CORSPolicy

DEFAULT = CORSPolicy(allow_origins=["https://app.example"], max_age=60)
API: CORSPolicy = DEFAULT.replace(allow_origins=["https://a.example"], allow_headers=["*"])
ROUTES_OWN = DEFAULT.replace(allow_methods=None, allow_origin_regex=None)
"""
MISTAKES = """
from cors_routes import CORSPolicy

DEFAULT = CORSPolicy(allow_origins=["https://app.example"])
DEFAULT.replace(allow_origin=["https://a.example"])
DEFAULT.replace(max_age="600")
NOT_A_POLICY: int = DEFAULT.replace()
"""


def test_replace_is_typed_for_mypy_strict(tmp_path, monkeypatch):
    mypy_api = pytest.importorskip("mypy.api")
    (tmp_path / "user_code.py").write_text(USER_CODE)
    (tmp_path / "mistakes.py").write_text(MISTAKES)
    monkeypatch.setenv("MYPYPATH", str(Path(__file__).resolve().parent.parent))
    monkeypatch.chdir(tmp_path)
    out, err, status = mypy_api.run(
        [
            "--strict",
            "--follow-imports=silent",  # the user's code is checked, not the library's
            "--no-incremental",
            "--cache-dir=/dev/null",
            "user_code.py",
            "mistakes.py",
        ]
    )
    assert status == 1, out + err
    assert "user_code.py" not in out, out  # the real call passes mypy --strict
    assert 'mistakes.py:5: error: Unexpected keyword argument "allow_origin" for "replace"' in out
    assert 'mistakes.py:6: error: Argument "max_age" to "replace"' in out
    assert "mistakes.py:7: error: Incompatible types in assignment" in out
    assert "Found 3 errors in 1 file" in out
