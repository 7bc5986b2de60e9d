"""The public surface: what each public module exports, and that it is documented.

In Python a module's ``__all__`` declares its public surface; a name it leaves out is private,
whether or not it has a leading underscore. So:

- A public module (its name has no leading underscore, and ``__init__``) defines ``__all__``
  as a literal list or tuple of strings, without repeats, naming only what the module binds.
- Every name in each public module's ``__all__`` (``cors_routes.__all__`` among them) is
  mentioned in README.md or docs/*.md, in code: a fenced block or an inline code span, so
  the English word "install" does not document ``install``.
- Every name in an ``__all__`` resolves on the imported module (``cors_routes.CORSRoute`` is
  loaded on first use).
- The code around the package (tests/, benchmarks/, examples/, fuzz/) imports from a public
  module only what it exports, or a name with a leading underscore: a test may reach into
  the package, but then it says so. ``from cors_routes import lint`` and
  ``cors_routes.lint.check_app`` are read the same way.

``__all__`` and the imports are read from source with ``ast``; only the resolution test
imports the package.
"""

from __future__ import annotations

import ast
import functools
import importlib
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
                "names: what README.md and docs/*.md show users (docs/api.md lists them)."
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


OUTSIDE = ("tests", "benchmarks", "examples", "fuzz")


def exports() -> dict[str, set[str]]:
    """Dotted public module name -> the names in its ``__all__``."""
    return {module.dotted: set(declared_all(module)[0] or ()) for module in public_modules()}


def module_aliases(tree: ast.Module, public: dict[str, set[str]]) -> dict[str, str]:
    """Local names bound to a public module: ``import cors_routes``, ``import cors_routes.x
    as y``, ``from cors_routes import lint``."""
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname and alias.name in public:
                    aliases[alias.asname] = alias.name
                elif not alias.asname and alias.name.split(".")[0] == "cors_routes":
                    aliases["cors_routes"] = "cors_routes"
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in public:
            for alias in node.names:
                if f"{node.module}.{alias.name}" in public:
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def dotted_name(node: ast.expr, aliases: dict[str, str]) -> str | None:
    """``cors_routes.lint`` for ``lint`` or ``cors_routes.lint`` (when those are aliases)."""
    if isinstance(node, ast.Name):
        return aliases.get(node.id)
    if isinstance(node, ast.Attribute):
        base = dotted_name(node.value, aliases)
        return None if base is None else f"{base}.{node.attr}"
    return None


def private_uses(path: Path, public: dict[str, set[str]]) -> Iterator[str]:
    """``file:line: cors_routes.x.name`` for each name used from a public module that is
    neither in its ``__all__`` nor written with a leading underscore."""
    tree = ast.parse(path.read_text(), filename=str(path))
    aliases = module_aliases(tree, public)

    def allowed(module: str, name: str) -> bool:
        return name.startswith("_") or name in public[module] or f"{module}.{name}" in public

    where = path.relative_to(ROOT)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in public:
            for alias in node.names:
                if alias.name != "*" and not allowed(node.module, alias.name):
                    yield f"{where}:{node.lineno}: from {node.module} import {alias.name}"
        elif isinstance(node, ast.Attribute):
            module = dotted_name(node.value, aliases)
            if module in public and not allowed(module, node.attr):
                yield f"{where}:{node.lineno}: {module}.{node.attr}"


def test_code_outside_the_package_uses_only_exported_names():
    public = exports()
    problems = [
        f"- {use}"
        for folder in OUTSIDE
        for path in sorted((ROOT / folder).rglob("*.py"))
        for use in private_uses(path, public)
    ]
    if problems:
        pytest.fail(
            "\n".join(
                [
                    "Names used from a public module that it does not export (add them to its "
                    "`__all__` and document them if users need them, else rename them with a "
                    "leading underscore):",
                    *problems,
                ]
            ),
            False,
        )


def test_exported_names_resolve():
    problems = []
    for module in public_modules():
        names, _ = declared_all(module)
        if not names:
            continue
        imported = importlib.import_module(module.dotted)
        problems.extend(
            f"- {module.dotted}.{name}" for name in names if not hasattr(imported, name)
        )
    if problems:
        pytest.fail("\n".join(["Names in __all__ the module does not have:", *problems]), False)


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
