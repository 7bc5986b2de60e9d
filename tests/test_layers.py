"""The package's layers, read from its source with ``ast`` (the package is never imported here).

Every module of ``cors_routes/`` has a layer in ``LAYERS``; a module may import only modules of
its own layer or of lower ones:

0. core: pure, never imports starlette or fastapi, not even for type checking.
1. decision: the per-request answer; may import starlette, never fastapi.
2. routing truth: which route serves a request; may import starlette, never fastapi (it may
   look in ``sys.modules``, but has no import statement for it).
3. integration: the route classes and ``install``; only ``routing`` and ``_openapi`` import
   fastapi.
4. diagnostics and demo: the top; nothing below imports it, so ``import cors_routes`` does
   not load it (proven in a subprocess too).

Rules, each a test of its own:

- a module in no layer fails (a new module must be placed);
- no import of a higher layer, at module level or inside a function, except the pairs in
  ``LAZY_UPWARD``, and those only inside a function;
- no cycle among the imports that run when a module is imported (module level, outside
  ``if TYPE_CHECKING``);
- fastapi is imported (anywhere but under ``if TYPE_CHECKING``) only in layer 4 and by
  ``routing`` and ``_openapi``; layer 0 imports neither starlette nor fastapi at all.

Imports are ``import cors_routes.x``, ``from cors_routes import x``, ``from . import x``,
``from .x import y`` and ``importlib.import_module`` / ``__import__`` with a constant name.
``from . import name`` where ``name`` is not a module imports the package (``__init__``).
"""

from __future__ import annotations

import ast
import functools
import itertools
import json
import os
import subprocess
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = ROOT / "cors_routes"
PACKAGE = "cors_routes"

CORE, DECISION, ROUTING, INTEGRATION, DIAGNOSTICS = range(5)
LAYER_NAMES = {
    CORE: "core",
    DECISION: "decision",
    ROUTING: "routing truth",
    INTEGRATION: "integration",
    DIAGNOSTICS: "diagnostics and demo",
}

LAYERS: dict[str, int] = {
    # 0 core: pure; no starlette, no fastapi
    "exceptions": CORE,
    "_text": CORE,
    "_fetch": CORE,
    "_headers": CORE,
    "_origins": CORE,
    "_origin_probes": CORE,
    "_callables": CORE,
    "policy": CORE,
    "_origin_cache": CORE,
    "_options": CORE,
    "_report": CORE,
    "_policy_names": CORE,
    "_path_policies": CORE,
    # 1 decision: per request; starlette, never fastapi
    "_dispatch": DECISION,
    "_response_headers": DECISION,
    "_error_responses": DECISION,
    "_refusal_log": DECISION,
    "_origin_request": DECISION,
    "_served_methods": ROUTING,
    # 2 routing truth: starlette, never an import of fastapi
    "_framework": ROUTING,
    "_selection": ROUTING,
    "_listed_methods": ROUTING,
    "_precedence": ROUTING,
    "decorators": ROUTING,
    # 3 integration: the route classes and install
    "_route_mixin": INTEGRATION,
    "starlette": INTEGRATION,
    "routing": INTEGRATION,
    "_openapi": INTEGRATION,
    "_installation": INTEGRATION,
    "_websocket": INTEGRATION,
    "redirects": INTEGRATION,
    "__init__": INTEGRATION,
    # 4 diagnostics and demo: the top
    "lint": DIAGNOSTICS,
    "_inventory": DIAGNOSTICS,
    "explain": DIAGNOSTICS,
    "browser": DIAGNOSTICS,
    "_startup": DIAGNOSTICS,
    "_asgi": DIAGNOSTICS,
    "_loading": DIAGNOSTICS,
    "_terminal": DIAGNOSTICS,
    "_route_listing": DIAGNOSTICS,
    "_app_options": DIAGNOSTICS,
    "__main__": DIAGNOSTICS,
    "demo": DIAGNOSTICS,
    "contract": DIAGNOSTICS,
    "_contract_targets": DIAGNOSTICS,
    "_contract_probe": DIAGNOSTICS,
    "_contract_model": DIAGNOSTICS,
    "_contract_diff": DIAGNOSTICS,
    "_contract_cli": DIAGNOSTICS,
    "_report_only": DIAGNOSTICS,
}

# The layer-3 modules that may import fastapi (layer 4 may, layers 0-2 may not).
FASTAPI_IN_INTEGRATION = {"routing", "_openapi"}

# (importer, imported): why importer may import a higher layer, inside a function only.
LAZY_UPWARD: dict[tuple[str, str], str] = {
    ("__init__", "contract"): (
        "`from cors_routes import assert_cors_contract` is the test helper's public name; "
        "importing cors_routes must not load the diagnostics, so the helper loads it when called"
    ),
    ("_installation", "_startup"): (
        "the start-up lint runs at the first request; importing cors_routes must not load "
        "the diagnostics"
    ),
    ("_installation", "_report_only"): (
        "report-only mode judges answers with the browser model; only install(enforce=False) "
        "loads it, so importing cors_routes (or enforcing) does not"
    ),
    ("_route_mixin", "_startup"): (
        "the start-up lint runs at the first request; importing cors_routes must not load "
        "the diagnostics"
    ),
}

FRAMEWORKS = ("starlette", "fastapi")


@dataclass(frozen=True)
class Import:
    importer: str  # module of the package holding the statement: "_dispatch", "__init__"
    line: int
    target: str  # absolute dotted module imported: "cors_routes._fetch", "fastapi.routing"
    statement: str
    in_function: bool
    type_checking: bool

    @property
    def top(self) -> str:
        return self.target.split(".")[0]

    @property
    def module(self) -> str | None:
        """The package's module imported, or None outside the package."""
        if self.target == PACKAGE:
            return "__init__"
        if self.target.startswith(PACKAGE + "."):
            return self.target.split(".")[1]
        return None

    @property
    def runs_on_import(self) -> bool:
        return not self.in_function and not self.type_checking

    @property
    def where(self) -> str:
        return f"{PACKAGE}/{self.importer}.py:{self.line}"

    @property
    def how(self) -> str:
        if self.type_checking:
            return "under `if TYPE_CHECKING`"
        return "inside a function" if self.in_function else "at module level"

    def describe(self) -> str:
        return f"{self.where} `{self.statement}` ({self.how})"


def layer_text(module: str) -> str:
    layer = LAYERS[module]
    return f"layer {layer}, {LAYER_NAMES[layer]}"


def existing_modules() -> set[str]:
    return {path.stem for path in PACKAGE_DIR.glob("*.py")}


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def resolve_relative(module: str | None, level: int) -> str | None:
    """``from {'.' * level}{module} import ...`` in a module of the package, made absolute."""
    if level == 0:
        return module
    base = PACKAGE.split(".")
    if level - 1 >= len(base):
        return None  # beyond the top of the package: not an import of anything here
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


class ImportFinder(ast.NodeVisitor):
    def __init__(self, importer: str, source: str, modules: set[str]) -> None:
        self.importer = importer
        self.source = source
        self.modules = modules
        self.in_function = 0
        self.type_checking = 0
        self.found: list[Import] = []

    def add(self, node: ast.AST, target: str) -> None:
        statement = " ".join((ast.get_source_segment(self.source, node) or "").split())
        self.found.append(
            Import(
                self.importer,
                node.lineno,  # type: ignore[attr-defined]
                target,
                statement,
                self.in_function > 0,
                self.type_checking > 0,
            )
        )

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.add(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = resolve_relative(node.module, node.level)
        if base is None:
            return
        if base != PACKAGE:
            self.add(node, base)
            return
        for alias in node.names:  # from cors_routes import x / from . import x
            if alias.name in self.modules:
                self.add(node, f"{PACKAGE}.{alias.name}")
            else:
                self.add(node, PACKAGE)

    def visit_Call(self, node: ast.Call) -> None:
        function = node.func
        name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
        first = node.args[0] if node.args else None
        if (
            name in ("import_module", "__import__")
            and isinstance(first, ast.Constant)
            and isinstance(first.value, str)
        ):
            target = first.value
            if target.startswith("."):
                level = len(target) - len(target.lstrip("."))
                target = resolve_relative(target.lstrip(".") or None, level) or target
            self.add(node, target)
        self.generic_visit(node)

    def visit_function(self, node: ast.AST) -> None:
        self.in_function += 1
        self.generic_visit(node)
        self.in_function -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = visit_function

    def visit_If(self, node: ast.If) -> None:
        if not is_type_checking(node.test):
            self.generic_visit(node)
            return
        self.visit(node.test)
        self.type_checking += 1
        for statement in node.body:
            self.visit(statement)
        self.type_checking -= 1
        for statement in node.orelse:
            self.visit(statement)


@functools.cache
def all_imports() -> tuple[Import, ...]:
    modules = existing_modules()
    found: list[Import] = []
    for module in sorted(modules):
        source = (PACKAGE_DIR / f"{module}.py").read_text()
        finder = ImportFinder(module, source, modules)
        finder.visit(ast.parse(source, filename=f"{PACKAGE}/{module}.py"))
        found.extend(finder.found)
    return tuple(found)


def internal_imports() -> Iterator[tuple[Import, str]]:
    for found in all_imports():
        if found.module is not None:
            yield found, found.module


def import_graph(lazy: bool = False) -> dict[str, dict[str, Import]]:
    """importer -> imported -> a statement importing it, of those that run when the importer
    loads; with ``lazy``, the imports inside functions too, but for the LAZY_UPWARD pairs."""
    graph: dict[str, dict[str, Import]] = {module: {} for module in existing_modules()}
    for found, imported in internal_imports():
        if imported not in graph or found.type_checking:
            continue
        if found.in_function and (not lazy or (found.importer, imported) in LAZY_UPWARD):
            continue
        edges = graph[found.importer]
        if imported not in edges or (edges[imported].in_function and not found.in_function):
            edges[imported] = found
    return graph


def fail(problems: Iterable[str], header: str) -> None:
    problems = list(problems)
    if problems:
        pytest.fail("\n".join([header, *(f"- {problem}" for problem in problems)]), pytrace=False)


# -- every module is placed -----------------------------------------------------------------


def test_every_module_of_the_package_has_a_layer():
    unplaced = sorted(existing_modules() - LAYERS.keys())
    fail(
        (
            f"{PACKAGE}/{module}.py is in no layer. Add it to LAYERS in tests/test_layers.py "
            "with the lowest layer whose rules its imports keep (0 core, 1 decision, "
            "2 routing truth, 3 integration, 4 diagnostics and demo), or retire it."
            for module in unplaced
        ),
        "Modules missing from LAYERS:",
    )


def test_the_package_has_no_subpackages_the_layers_do_not_cover():
    subpackages = sorted(
        path.name for path in PACKAGE_DIR.iterdir() if (path / "__init__.py").is_file()
    )
    fail(
        (
            f"{PACKAGE}/{name}/ is a subpackage; tests/test_layers.py reads only the modules "
            "directly in cors_routes/. Teach it subpackages before adding one."
            for name in subpackages
        ),
        "Subpackages the layering test cannot read:",
    )


# -- no import of a higher layer -------------------------------------------------------------


def upward_problem(found: Import, imported: str) -> str | None:
    importer = found.importer
    if importer not in LAYERS or imported not in LAYERS:
        return None  # an unplaced module fails the test above
    if LAYERS[imported] <= LAYERS[importer]:
        return None
    pair = (importer, imported)
    if pair in LAZY_UPWARD and found.in_function and not found.type_checking:
        return None
    breaks = (
        f"{found.describe()}: {importer} ({layer_text(importer)}) imports {imported} "
        f"({layer_text(imported)})."
    )
    if pair in LAZY_UPWARD:
        return (
            f"{breaks} The pair is in LAZY_UPWARD, which allows it only inside a function "
            f"(because {LAZY_UPWARD[pair]}). Fix: move this import into the function that "
            "needs it."
        )
    fix = (
        f" Fix: move what {importer} uses down to layer {LAYERS[importer]} or lower, or turn "
        f"the dependency round (the higher module hands {importer} what it needs)"
    )
    if found.in_function:
        fix += (
            "; if it must stay a lazy import, add "
            f'("{importer}", "{imported}"): "<why>" to LAZY_UPWARD in tests/test_layers.py'
        )
    return breaks + fix + "."


def test_no_module_imports_a_higher_layer():
    fail(
        filter(None, (upward_problem(found, imported) for found, imported in internal_imports())),
        "Imports of a higher layer (a module may import only its own layer and lower ones):",
    )


def test_lazy_upward_pairs_are_upward_placed_explained_and_still_used():
    problems = []
    modules = existing_modules()
    lazy = {
        (found.importer, imported)
        for found, imported in internal_imports()
        if found.in_function and not found.type_checking
    }
    for (importer, imported), reason in LAZY_UPWARD.items():
        pair = f'LAZY_UPWARD ("{importer}", "{imported}")'
        if importer not in LAYERS or imported not in LAYERS:
            problems.append(f"{pair}: both modules must be in LAYERS.")
            continue
        if LAYERS[imported] <= LAYERS[importer]:
            problems.append(
                f"{pair}: {imported} ({layer_text(imported)}) is not above {importer} "
                f"({layer_text(importer)}), so the import needs no exception: remove the entry."
            )
        if not reason.strip():
            problems.append(f"{pair}: say why the lazy import is needed.")
        if importer in modules and imported in modules and (importer, imported) not in lazy:
            problems.append(
                f"{pair}: {PACKAGE}/{importer}.py has no import of {imported} inside a "
                "function; remove the entry (or make the import lazy, if that is the plan)."
            )
    fail(problems, "LAZY_UPWARD entries that do not hold:")


# -- no cycle among the imports that run at import time --------------------------------------


def strongly_connected(graph: dict[str, dict[str, Import]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; components in no particular order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph[successor]))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(sorted(component))
    return components


def shortest_path(
    graph: dict[str, dict[str, Import]], inside: set[str], start: str, goal: str
) -> list[str] | None:
    """The modules on a shortest path of imports from start to goal, all inside ``inside``."""
    previous: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        node: str | None = queue.popleft()
        if node == goal:
            path = []
            while node is not None:
                path.append(node)
                node = previous[node]
            return path[::-1]
        for successor in sorted(graph[node]):  # type: ignore[index]
            if successor in inside and successor not in previous:
                previous[successor] = node
                queue.append(successor)
    return None


def cycle_through(
    graph: dict[str, dict[str, Import]], inside: set[str], edges: Iterable[tuple[str, str]]
) -> list[str]:
    """A shortest cycle that takes one of ``edges``, as modules from and back to its first."""
    cycles = []
    for importer, imported in edges:
        back = shortest_path(graph, inside, imported, importer)
        if back is not None:
            cycles.append([importer, *back])
    return min(cycles, key=lambda cycle: (len(cycle), cycle))


def cycles_of(graph: dict[str, dict[str, Import]]) -> Iterator[tuple[list[str], set[str]]]:
    for component in sorted(strongly_connected(graph)):
        if len(component) > 1 or component[0] in graph[component[0]]:
            yield component, set(component)


def describe_cycle(graph: dict[str, dict[str, Import]], cycle: list[str]) -> str:
    steps = "; ".join(graph[a][b].describe() for a, b in itertools.pairwise(cycle))
    return f"{' -> '.join(cycle)}: {steps}"


def test_no_import_cycle_among_imports_that_run_at_import_time():
    graph = import_graph()
    problems = []
    for component, inside in cycles_of(graph):
        start = component[0]
        cycle = cycle_through(graph, inside, [(start, after) for after in graph[start]])
        problems.append(
            f"{describe_cycle(graph, cycle)} (one circle: {', '.join(component)}). Fix: move "
            "what the modules share into a lower module that both import; a lazy import "
            "inside a function only hides the circle."
        )
    fail(problems, "Import cycles among module-level imports:")


def test_no_import_cycle_is_closed_by_a_lazy_import_outside_lazy_upward():
    """The circles above, counting the imports inside functions too (not a LAZY_UPWARD pair's):
    an import moved into a function to dodge a circular import still leaves the circle."""
    graph = import_graph(lazy=True)
    at_import_time = {tuple(component) for component, _ in cycles_of(import_graph())}
    problems = []
    for component, inside in cycles_of(graph):
        lazy = [
            (importer, imported)
            for importer in component
            for imported, found in graph[importer].items()
            if imported in inside and found.in_function
        ]
        if not lazy and tuple(component) in at_import_time:
            continue  # reported by the test above
        cycle = cycle_through(graph, inside, lazy)
        problems.append(
            f"{describe_cycle(graph, cycle)} (one circle: {', '.join(component)}). Fix: move "
            "what the modules share into a lower module that both import, so no import needs "
            "to wait for a function call; or, if the lazy import goes up a layer for a reason, "
            "name the pair in LAZY_UPWARD."
        )
    fail(problems, "Import cycles closed by an import inside a function:")


# -- frameworks ------------------------------------------------------------------------------


def fastapi_problem(found: Import) -> str | None:
    module = found.importer
    if found.top != "fastapi" or module not in LAYERS:
        return None
    layer = LAYERS[module]
    if layer == DIAGNOSTICS or (layer == INTEGRATION and module in FASTAPI_IN_INTEGRATION):
        return None
    if found.type_checking and layer != CORE:
        return None  # never runs; layer 0 is tested apart, type checking included
    allowed = " and ".join(sorted(FASTAPI_IN_INTEGRATION))
    if layer == INTEGRATION:
        fix = (
            f"in layer 3 only {allowed} import fastapi: move the FastAPI-specific code into "
            "one of them (or a layer-4 module), or import it under `if TYPE_CHECKING` if "
            "only annotations need it"
        )
    else:
        fix = (
            f"layers 0-2 never import fastapi; {module} may check `sys.modules` for it, or "
            f"take what it needs from a caller in {allowed}"
        )
    return (
        f"{found.describe()}: {module} ({layer_text(module)}) imports {found.target}. Fix: {fix}."
    )


def test_fastapi_is_imported_only_by_routing_openapi_and_the_diagnostics():
    fail(
        filter(None, map(fastapi_problem, all_imports())),
        "Imports of fastapi outside routing, _openapi and layer 4:",
    )


def test_the_core_imports_neither_starlette_nor_fastapi():
    problems = [
        f"{found.describe()}: {found.importer} ({layer_text(found.importer)}) imports "
        f"{found.target}. Fix: the core stays pure, not even type-checking imports of a "
        "framework; move the code that needs it to layer 1 or higher, or accept plain "
        "values (bytes, str, a Protocol) instead of the framework's types."
        for found in all_imports()
        if found.top in FRAMEWORKS and LAYERS.get(found.importer) == CORE
    ]
    fail(problems, "Framework imports in layer 0 (core):")


# -- what `import cors_routes` loads ---------------------------------------------------------

PROBE = """\
import json, sys
import {module}
print(json.dumps({{
    "file": sys.modules["cors_routes"].__file__,
    "modules": sorted(m for m in sys.modules if m.startswith("cors_routes")),
    "fastapi": sorted(m for m in sys.modules if m == "fastapi" or m.startswith("fastapi.")),
}}))
"""


@functools.cache
def loaded_by(module: str) -> dict[str, list[str] | str]:
    run = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert run.returncode == 0, f"`import {module}` failed:\n{run.stderr}"
    loaded: dict[str, list[str] | str] = json.loads(run.stdout.splitlines()[-1])
    assert Path(str(loaded["file"])).resolve() == PACKAGE_DIR / "__init__.py", (
        f"the subprocess imported {loaded['file']}, not the cors_routes beside these tests"
    )
    return loaded


def starting_modules(module: str) -> list[str]:
    """What ``import module`` runs: the package's __init__ first, then the module."""
    name = module.split(".")[1] if "." in module else "__init__"
    return ["__init__"] if name == "__init__" else ["__init__", name]


def chain(graph: dict[str, dict[str, Import]], starts: list[str], goal: str) -> list[Import]:
    """The shortest path of module-level imports from one of starts to goal."""
    previous: dict[str, Import | None] = dict.fromkeys(starts)
    queue = deque(starts)
    while queue:
        node = queue.popleft()
        if node == goal:
            path = []
            while previous[node] is not None:
                step = previous[node]
                path.append(step)
                node = step.importer  # type: ignore[union-attr]
            return path[::-1]
        for successor, found in sorted(graph.get(node, {}).items()):
            if successor not in previous:
                previous[successor] = found
                queue.append(successor)
    return []


def explain_chain(steps: list[Import]) -> str:
    if not steps:
        return "no chain of module-level imports leads there (is a function called on import?)"
    return " -> ".join(step.describe() for step in steps)


IMPORTED = ["cors_routes", "cors_routes.starlette"]


@pytest.mark.parametrize("module", IMPORTED)
def test_importing_the_package_loads_no_diagnostics(module: str):
    loaded = loaded_by(module)
    graph = import_graph()
    starts = starting_modules(module)
    problems = []
    for name in loaded["modules"]:
        short = name.split(".")[1] if "." in name else "__init__"
        if LAYERS.get(short) == DIAGNOSTICS:
            problems.append(
                f"{name} ({layer_text(short)}) is loaded: "
                f"{explain_chain(chain(graph, starts, short))}. Fix: the import of a layer-4 "
                "module in that chain must go (see test_no_module_imports_a_higher_layer); "
                "a start-up hook imports it inside the function it runs."
            )
    fail(
        problems,
        f"`import {module}` loads diagnostics ({len(loaded['modules'])} cors_routes modules in "
        f"all: {', '.join(loaded['modules'])}):",
    )


def fastapi_chain(graph: dict[str, dict[str, Import]], starts: list[str]) -> str:
    importers = {
        found.importer: found
        for found in all_imports()
        if found.top == "fastapi" and found.runs_on_import
    }
    for importer, found in sorted(importers.items()):
        steps = chain(graph, starts, importer)
        if steps or importer in starts:
            return explain_chain([*steps, found])
    return "no chain of module-level imports leads there (is a function called on import?)"


@pytest.mark.parametrize("module", IMPORTED)
def test_importing_the_package_or_its_starlette_route_does_not_load_fastapi(module: str):
    loaded = loaded_by(module)
    if loaded["fastapi"]:
        fail(
            [
                f"fastapi ({len(loaded['fastapi'])} modules) loaded by "
                f"{fastapi_chain(import_graph(), starting_modules(module))}. Fix: a Starlette "
                "app must not pay for FastAPI; import it only in routing and _openapi, and "
                "import those lazily (as cors_routes.__getattr__ does for CORSRoute)."
            ],
            f"`import {module}` loads fastapi:",
        )
