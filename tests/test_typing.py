"""The public API as type checkers see it (issue 16, item 5).

``tests/typing/good_usage.py`` is code as apps write it: it must type-check clean.
``tests/typing/bad_usage.py`` holds mistakes, each on its own line with a comment naming the
error codes it must give: ``# type: ignore[code]`` for mypy, ``# pyright: ignore[rule]`` for
pyright. mypy --strict reports an unused ignore (``warn_unused_ignores``) and any code not
named; pyright, told to ignore ``# type: ignore`` and to report an unnecessary
``# pyright: ignore`` rule, does the same. So one clean run of each checker over the directory
proves both that the good code passes and that every mistake is refused, with that error.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import re
import shutil
import subprocess
import tempfile
import typing
from pathlib import Path

import pytest

from cors_routes import CORSOptions, CORSPolicy

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS = ROOT / "tests" / "typing"
BAD = SNIPPETS / "bad_usage.py"
# One cache per checkout, kept between runs (a warm run takes a few seconds), never shared
# by two checkouts that could write it at once.
CACHE = Path(tempfile.gettempdir()) / (
    "cors_routes-mypy-" + hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
)


def expected_mistakes() -> list[int]:
    """The lines of bad_usage.py that carry an expected error."""
    lines = BAD.read_text().splitlines()
    return [number for number, line in enumerate(lines, 1) if "# type: ignore[" in line]


def test_the_bad_snippet_holds_every_mistake_of_the_issue():
    text = BAD.read_text()
    for mistake in (
        "allow_origin=",
        'allow_credentials="yes"',
        'max_age="600"',
        "install(object())",
        "allow_origin_func=lambda: True",
    ):
        assert mistake in text
    lines = text.splitlines()
    for number in expected_mistakes():
        assert "# pyright: ignore[" in lines[number - 1], f"line {number}: no pyright rule"
    assert len(expected_mistakes()) >= 15


def test_snippets_pass_mypy_strict_and_every_mistake_is_refused(monkeypatch):
    mypy_api = pytest.importorskip("mypy.api")
    # The checkout's own package, not whichever copy is installed.
    monkeypatch.setenv("MYPYPATH", str(ROOT))
    monkeypatch.chdir(ROOT)
    out, err, status = mypy_api.run(
        [
            "--strict",  # warn_unused_ignores among its flags
            "--follow-imports=silent",  # the snippets are checked, not the library
            f"--cache-dir={CACHE}",
            "--no-error-summary",
            str(SNIPPETS.relative_to(ROOT)),
        ]
    )
    assert (out, err, status) == ("", "", 0)


def test_mypy_reports_a_mistake_its_ignore_no_longer_covers(tmp_path, monkeypatch):
    """The technique itself: with the ignores removed, each marked line is an error of the
    code its comment named, and mypy names nothing else."""
    mypy_api = pytest.importorskip("mypy.api")
    expected: dict[int, set[str]] = {}
    stripped = []
    for number, line in enumerate(BAD.read_text().splitlines(), 1):
        found = re.search(r"  # type: ignore\[([^\]]+)\].*$", line)
        if found:
            expected[number] = {code.strip() for code in found[1].split(",")}
            line = line[: found.start()]
        stripped.append(line)
    (tmp_path / "bad_usage.py").write_text("\n".join(stripped) + "\n")
    monkeypatch.setenv("MYPYPATH", str(ROOT))
    monkeypatch.chdir(tmp_path)
    out, _, status = mypy_api.run(
        ["--strict", "--follow-imports=silent", f"--cache-dir={CACHE}", "bad_usage.py"]
    )
    assert status == 1
    reported: dict[int, set[str]] = {}
    for line in out.splitlines():
        error = re.match(r"bad_usage\.py:(\d+): error: .*\[([a-z-]+)\]$", line)
        if error:
            reported.setdefault(int(error[1]), set()).add(error[2])
    assert reported == expected


def pyright_command() -> list[str] | None:
    """basedpyright (self-contained: its wheel brings node), else pyright, if it runs."""
    for name in ("basedpyright", "pyright"):
        found = shutil.which(name)
        if found is None:
            continue
        try:
            version = subprocess.run(
                [found, "--version"], capture_output=True, text=True, timeout=120, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if version.returncode == 0:
            return [found]
    return None


def test_snippets_pass_pyright_strict_and_every_mistake_is_refused():
    command = pyright_command()
    if command is None:
        pytest.skip("neither basedpyright nor pyright is installed (pip install basedpyright)")
    # tests/typing/pyrightconfig.json: strict; the checkout's package first (extraPaths);
    # "# type: ignore" disabled, an unnecessary "# pyright: ignore" rule an error.
    result = subprocess.run(
        [*command, "--outputjson", "-p", str(SNIPPETS / "pyrightconfig.json"), str(SNIPPETS)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    report = json.loads(result.stdout)
    diagnostics = [
        f"{Path(d['file']).name}:{d['range']['start']['line'] + 1}: {d.get('rule')}: {d['message']}"
        for d in report["generalDiagnostics"]
    ]
    assert diagnostics == []
    assert report["summary"]["filesAnalyzed"] == 2
    assert result.returncode == 0


def test_options_are_the_constructors_keywords_with_the_same_types():
    constructor = inspect.signature(CORSPolicy.__init__).parameters
    keywords = [name for name, p in constructor.items() if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert list(CORSOptions.__annotations__) == keywords[1:]  # without self
    assert CORSOptions.__required_keys__ == frozenset()
    given = typing.get_type_hints(CORSPolicy.__init__)
    typed = typing.get_type_hints(CORSOptions)
    for name, annotation in typed.items():
        assert annotation == given[name], name


def test_options_build_the_same_policy_as_keywords():
    options: CORSOptions = {
        "allow_origins": ["https://app.example"],
        "allow_credentials": True,
        "max_age": 60,
    }
    assert CORSPolicy(**options) == CORSPolicy(
        allow_origins=["https://app.example"], allow_credentials=True, max_age=60
    )


def test_the_package_never_needs_typing_extensions_at_run_time():
    """Unpack comes from typing_extensions on Python 3.10, which a plain Starlette app there
    need not have installed: it is imported for type checkers (which always have it), or
    where its absence is caught."""
    import ast

    for path in sorted((ROOT / "cors_routes").glob("*.py")):
        tree = ast.parse(path.read_text())
        guarded: set[int] = set()
        for node in ast.walk(tree):
            type_checking = isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            caught = isinstance(node, ast.Try) and any(
                handler.type is not None and "ImportError" in ast.unparse(handler.type)
                for handler in node.handlers
            )
            if type_checking or caught:
                guarded.update(
                    id(inner) for statement in node.body for inner in ast.walk(statement)
                )
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            if any(name.split(".")[0] == "typing_extensions" for name in names):
                assert id(node) in guarded, f"{path.name}:{node.lineno} imports typing_extensions"
