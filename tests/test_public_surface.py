"""The public surface: what each public module exports, and that it is documented.

Read from source with ``ast``; the package is not imported (so neither are the diagnostics).

- A public module (its name has no leading underscore, and ``__init__``) defines ``__all__``
  as a literal list or tuple of strings, without repeats, naming only what the module binds.
- Every name a public module binds at top level (a def, a class, an assignment, also inside
  a top-level ``if`` or ``try``) that has no leading underscore and is not imported is in
  its ``__all__``; otherwise it is meant to be private and must be renamed with a ``_``.
- Every name in each public module's ``__all__`` (``cors_routes.__all__`` among them) is
  mentioned in README.md or docs/*.md, in code: a fenced block or an inline code span, so
  the English word "install" does not document ``install``.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = ROOT / "cors_routes"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

FENCED = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
INLINE = re.compile(r"(`+)(.+?)\1", re.S)


@dataclass(frozen=True)
class Module:
    name: str  # "policy", "__init__"
    path: Path
    tree: ast.Module

    @property
    def file(self) -> str:
        return str(self.path.relative_to(ROOT))

    @property
    def dotted(self) -> str:
        return "cors_routes" if self.name == "__init__" else f"cors_routes.{self.name}"


@functools.cache
def public_modules() -> tuple[Module, ...]:
    modules = []
    for path in sorted(PACKAGE_DIR.glob("*.py")):
        if path.stem == "__init__" or not path.stem.startswith("_"):
            tree = ast.parse(path.read_text(), filename=str(path))
            modules.append(Module(path.stem, path, tree))
    return tuple(modules)


def top_level(statements: Iterable[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements that run at module level, into ``if``, ``try``, ``with`` and loops."""
    for statement in statements:
        yield statement
        if isinstance(statement, (ast.If, ast.For, ast.AsyncFor, ast.While)):
            yield from top_level(statement.body)
            yield from top_level(statement.orelse)
        elif isinstance(statement, (ast.With, ast.AsyncWith)):
            yield from top_level(statement.body)
        elif isinstance(statement, ast.Try) or type(statement).__name__ == "TryStar":
            yield from top_level(statement.body)  # type: ignore[attr-defined]
            for handler in statement.handlers:  # type: ignore[attr-defined]
                yield from top_level(handler.body)
            yield from top_level(statement.orelse)  # type: ignore[attr-defined]
            yield from top_level(statement.finalbody)  # type: ignore[attr-defined]


def target_names(target: ast.expr) -> Iterator[str]:
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from target_names(element)
    elif isinstance(target, ast.Starred):
        yield from target_names(target.value)


def bindings(module: Module) -> tuple[dict[str, int], set[str]]:
    """(defined name -> first line, imported names) at the module's top level."""
    defined: dict[str, int] = {}
    imported: set[str] = set()
    for statement in top_level(module.tree.body):
        names: list[str] = []
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            for alias in statement.names:
                if alias.name != "*":
                    imported.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names = [statement.name]
        elif isinstance(statement, ast.Assign):
            names = [name for target in statement.targets for name in target_names(target)]
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            names = list(target_names(statement.target))
        elif isinstance(statement, (ast.For, ast.AsyncFor)):
            names = list(target_names(statement.target))
        elif isinstance(statement, (ast.With, ast.AsyncWith)):
            names = [
                name
                for item in statement.items
                if item.optional_vars is not None
                for name in target_names(item.optional_vars)
            ]
        elif type(statement).__name__ == "TypeAlias":  # `type X = ...`, Python 3.12
            names = list(target_names(statement.name))  # type: ignore[attr-defined]
        for name in names:
            defined.setdefault(name, statement.lineno)
    return defined, imported


def declared_all(module: Module) -> tuple[list[str] | None, str | None]:
    """(the names in ``__all__``, or None; a problem with how it is written, or None)."""
    writes = []  # statements that bind or change __all__, anywhere in the module
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Assign):
            targets = [name for target in node.targets for name in target_names(target)]
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = list(target_names(node.target))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            value = node.func.value
            targets = ["__all__"] if isinstance(value, ast.Name) and value.id == "__all__" else []
        else:
            continue
        if "__all__" in targets:
            writes.append(node)
    if not writes:
        return None, None
    first = min(writes, key=lambda node: node.lineno)
    where = f"{module.file}:{first.lineno}"
    if len(writes) > 1:
        return None, f"{where}: `__all__` is written {len(writes)} times"
    value = getattr(first, "value", None)
    if (
        first not in module.tree.body
        or not isinstance(first, (ast.Assign, ast.AnnAssign))
        or not isinstance(value, (ast.List, ast.Tuple))
        or not all(
            isinstance(element, ast.Constant) and isinstance(element.value, str)
            for element in value.elts
        )
    ):
        return None, f"{where}: `__all__` is not one top-level literal list"
    return [element.value for element in value.elts], None  # type: ignore[attr-defined]


def test_every_public_module_defines_all():
    problems = []
    for module in public_modules():
        names, problem = declared_all(module)
        if problem:
            problems.append(
                f"- {problem}; write it as one literal list of strings so tools and this test "
                "can read it."
            )
        elif names is None:
            problems.append(
                f"- {module.file} ({module.dotted}) has no `__all__`: add one listing its public "
                "names (see test_public_names_are_exported_or_private for the candidates)."
            )
    if problems:
        pytest.fail("\n".join(["Public modules without a readable __all__:", *problems]), False)


def test_all_names_what_the_module_binds_once_each():
    problems = []
    for module in public_modules():
        names, _ = declared_all(module)
        if not names:
            continue
        defined, imported = bindings(module)
        for name in sorted({name for name in names if names.count(name) > 1}):
            problems.append(f"- {module.file}: `__all__` lists {name!r} more than once.")
        for name in names:
            if name not in defined and name not in imported:
                problems.append(
                    f"- {module.file}: `__all__` lists {name!r}, which the module neither "
                    f"defines nor imports (`from {module.dotted} import *` fails): define or "
                    "import it, or take it out of `__all__`."
                )
    if problems:
        pytest.fail("\n".join(["__all__ entries that do not hold:", *problems]), False)


def test_public_names_are_exported_or_private():
    problems = []
    for module in public_modules():
        names, _ = declared_all(module)
        exported = set(names or ())
        defined, imported = bindings(module)
        offenders = [
            f"{name} (line {line})"
            for name, line in sorted(defined.items(), key=lambda item: item[1])
            if not name.startswith("_") and name not in imported and name not in exported
        ]
        if offenders:
            why = " (it has no `__all__` yet)" if names is None else ""
            problems.append(
                f"- {module.file}{why}: {', '.join(offenders)}. Fix: list each in `__all__` if "
                "users may rely on it, else rename it with a leading underscore."
            )
    if problems:
        pytest.fail(
            "\n".join(["Public-looking names that are neither in __all__ nor private:", *problems]),
            False,
        )


@functools.cache
def documented_code() -> str:
    """The code in the docs: fenced blocks, then inline code spans outside them."""
    parts = []
    for path in DOCS:
        text = path.read_text()
        parts.extend(match.group(0) for match in FENCED.finditer(text))
        parts.extend(match.group(2) for match in INLINE.finditer(FENCED.sub("", text)))
    return "\n".join(parts)


def is_mentioned(name: str) -> bool:
    return re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", documented_code()) is not None


def test_every_exported_name_is_documented():
    problems = []
    for module in public_modules():
        names, _ = declared_all(module)
        missing = [name for name in names or () if not is_mentioned(name)]
        if missing:
            problems.append(
                f"- {module.dotted}.__all__: {', '.join(missing)}. Fix: show each in README.md "
                "or docs/*.md (in a code block or `inline code`), or stop exporting it."
            )
    if problems:
        pytest.fail("\n".join(["Exported names no document mentions in code:", *problems]), False)
