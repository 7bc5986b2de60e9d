"""Every code block of README.md and docs/*.md is run, and does what the text says.

- ```python blocks run as modules of their own, in order (``<!-- env: NAME=VALUE -->`` before
  one sets a variable while it runs); a block after ``<!-- recipe: NAME -->`` is then
  checked by ``CHECKS[NAME]`` with real requests; ``<!-- warns: CODE -->`` says the block's
  app reports that lint finding (asserted).
- ```pycon blocks are evaluated and their output compared.
- ```console blocks: each ``$ command`` runs from the repository root (``NAME=VALUE`` before
  it sets a variable) and its output must be the block's, line for line.
- ```bash blocks hold set-up commands that other tests and CI run: each must be listed in
  ``EXERCISED`` with the file that runs it.
- ```json blocks are files a command reads: each is marked ``<!-- file: NAME -->``, parses,
  and is used by the test ``TESTED_FILES`` names.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent
FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"((?:<!-- [^>]* -->\n)*)```(\w+)\n(.*?)```", re.S)
MARKER = re.compile(r"<!-- (\w[\w-]*): (.*?) -->")


@dataclass(frozen=True)
class Block:
    file: Path
    line: int
    language: str
    code: str
    markers: tuple[tuple[str, str], ...]

    @property
    def name(self) -> str:
        return f"{self.file.relative_to(ROOT)}:{self.line}"

    def marker(self, key: str) -> list[str]:
        return [value for name, value in self.markers if name == key]


def blocks() -> list[Block]:
    found = []
    for path in FILES:
        text = path.read_text()
        for match in FENCE.finditer(text):
            markers = tuple(MARKER.findall(match.group(1)))
            line = text[: match.start(2)].count("\n") + 1
            found.append(Block(path, line, match.group(2), match.group(3), markers))
    return found


BLOCKS = blocks()


def by_language(language: str) -> list[Block]:
    return [block for block in BLOCKS if block.language == language]


def test_every_block_is_of_a_kind_this_test_runs():
    assert {block.language for block in BLOCKS} <= {"python", "pycon", "console", "bash", "json"}
    assert len(by_language("python")) >= 15


def run_python(block: Block, monkeypatch: pytest.MonkeyPatch) -> dict:
    for assignment in block.marker("env"):
        name, _, value = assignment.partition("=")
        monkeypatch.setenv(name, value)
    namespace = {"__name__": f"doc_block_{block.line}"}
    exec(compile(block.code, block.name, "exec", dont_inherit=True), namespace)
    return namespace


def lint_warnings(block: Block) -> contextlib.AbstractContextManager[object]:
    """``<!-- warns: CODE -->``: running the block (and its recipe's checks) must report that
    lint finding, which the text says; any other finding fails the test."""
    codes = block.marker("warns")
    if not codes:
        return contextlib.nullcontext()
    from cors_routes.lint import CORSLintWarning

    return pytest.warns(CORSLintWarning, match="|".join(rf"\[{re.escape(c)}\]" for c in codes))


@pytest.mark.parametrize("block", by_language("python"), ids=lambda b: b.name)
def test_python_block(block, monkeypatch):
    with lint_warnings(block):
        namespace = run_python(block, monkeypatch)
        for recipe in block.marker("recipe"):
            CHECKS[recipe](namespace)


def test_every_recipe_has_a_check():
    recipes = {name for block in by_language("python") for name in block.marker("recipe")}
    assert recipes == set(CHECKS)


@pytest.mark.parametrize("block", by_language("pycon"), ids=lambda b: b.name)
def test_pycon_block(block):
    import cors_routes

    namespace = {name: getattr(cors_routes, name) for name in cors_routes.__all__}
    call, _, output = block.code.partition("\n")
    assert call.startswith(">>> ")
    try:
        shown = repr(eval(call[4:], namespace))
    except Exception as error:  # the block shows the error as the console does
        shown = f"{type(error).__name__}: {error}"
    assert shown == output.strip()


@pytest.mark.parametrize("block", by_language("console"), ids=lambda b: b.name)
def test_console_block(block):
    lines = block.code.rstrip("\n").split("\n")
    assert lines[0].startswith("$ "), "a console block starts with a command"
    env = {key: value for key, value in os.environ.items() if key not in ("COLUMNS", "LINES")}
    env["NO_COLOR"] = "1"
    env["PYTHONPATH"] = str(ROOT)
    index = 0
    while index < len(lines):
        command = lines[index][2:]
        index += 1
        expected = []
        while index < len(lines) and not lines[index].startswith("$ "):
            expected.append(lines[index])
            index += 1
        argv = shlex.split(command)
        assignments = {}  # COLUMNS=80 python ...: the command's environment
        while argv and re.fullmatch(r"[A-Z_]+=\S*", argv[0]):
            name, _, value = argv.pop(0).partition("=")
            assignments[name] = value
        assert argv[0] == "python", "console blocks run python -m ..."
        result = subprocess.run(
            [sys.executable, *argv[1:]],
            cwd=ROOT,
            env={**env, **assignments},
            capture_output=True,
            text=True,
        )
        got = [line.rstrip() for line in result.stdout.rstrip("\n").split("\n")]
        assert got == [line.rstrip() for line in expected], result.stderr


# Where each set-up command of a ```bash block is run for real.
EXERCISED = {
    "python3 -m pip install -e '.[demo]' && python3 -m cors_routes demo": (
        "tests/test_demo.py",
        '"cors_routes", "demo"',
    ),
    "bash scripts/test.sh": (".ci/run", "scripts/test.sh"),
    "pip install 'cors-routes[fastapi]'": ("scripts/package_check.sh", "[fastapi]"),
    "pip install '/path/to/cors-routes[fastapi]'": (
        "scripts/package_check.sh",
        "pip install '<checkout>[fastapi]'",
    ),
    "python -m build --wheel /path/to/cors-routes": ("scripts/package_check.sh", "-m build"),
    "pip install '/path/to/cors-routes/dist/cors_routes-0.2.0-py3-none-any.whl[fastapi]'": (
        "scripts/package_check.sh",
        "pip install '<wheel>[fastapi]'",
    ),
    "pip install cors-routes": ("scripts/package_check.sh", "second fresh venv"),
    "uvicorn myapp:app --log-config log-config.json": (
        "tests/test_logging_uvicorn.py",
        '"--log-config", "log-config.json"',
    ),
    "python -m benchmarks --instructions": (
        "tests/test_bench_instructions_smoke.py",
        "--instructions",
    ),
}


@pytest.mark.parametrize("block", by_language("bash"), ids=lambda b: b.name)
def test_bash_block_commands_are_run_elsewhere(block):
    for line in block.code.splitlines():
        command = line.split("#")[0].strip()
        if not command:
            continue
        assert command in EXERCISED, f"{command!r} is run by no test or CI step"
        where, evidence = EXERCISED[command]
        assert evidence in (ROOT / where).read_text(), (command, where)


# Where each file shown in a ```json block is used for real.
TESTED_FILES = {"log-config.json": ("tests/test_logging_uvicorn.py", "file: log-config.json")}


@pytest.mark.parametrize("block", by_language("json"), ids=lambda b: b.name)
def test_json_block_is_a_file_a_test_uses(block):
    import json

    (name,) = block.marker("file")
    json.loads(block.code)
    where, evidence = TESTED_FILES[name]
    assert evidence in (ROOT / where).read_text(), (name, where)


# -- the recipes' checks --------------------------------------------------------------------


def acx(response):
    return {k: v for k, v in response.headers.items() if k.startswith("access-control-")}


def preflight(client, path, origin, method, headers=None):
    request_headers = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        request_headers["Access-Control-Request-Headers"] = headers
    return client.options(path, headers=request_headers)


def check_per_endpoint(ns):
    client = TestClient(ns["shop"])
    public = client.get("/api/products", headers={"Origin": "https://anyone.example"})
    assert public.headers["access-control-allow-origin"] == "*"
    admin = "https://admin.example"
    assert preflight(client, "/api/products/1", admin, "DELETE").status_code == 204
    assert preflight(client, "/api/products/1", "https://app.example", "DELETE").status_code == 403
    health = client.get("/api/health", headers={"Origin": "https://app.example"})
    assert acx(health) == {}
    other = client.get("/openapi.json", headers={"Origin": "https://app.example"})
    assert other.headers["access-control-allow-credentials"] == "true"


def check_migrate(ns):
    client = TestClient(ns["app"])
    r = client.get("/api/orders", headers={"Origin": "https://admin.example"})
    assert r.headers["access-control-allow-origin"] == "https://admin.example"
    assert r.headers["access-control-allow-credentials"] == "true"
    assert r.headers["access-control-expose-headers"].lower() == "x-request-id"
    p = preflight(client, "/api/orders", "https://app.example", "GET", "x-anything")
    assert p.status_code == 204 and p.headers["access-control-allow-headers"] == "x-anything"
    docs = client.get("/openapi.json", headers={"Origin": "https://app.example"})
    assert docs.headers["access-control-allow-origin"] == "https://app.example"
    missing = client.get("/nowhere", headers={"Origin": "https://app.example"})
    assert missing.status_code == 404
    assert missing.headers["access-control-allow-origin"] == "https://app.example"
    assert acx(client.get("/api/orders", headers={"Origin": "https://evil.example"})) == {}


def check_tighten(ns):
    client = TestClient(ns["app"])
    assert preflight(client, "/orders/1", "https://admin.example", "DELETE").status_code == 204
    assert preflight(client, "/orders/1", "https://app.example", "DELETE").status_code == 403
    kept = preflight(client, "/orders/1", "https://admin.example", "DELETE", "x-anything")
    assert kept.headers["access-control-allow-headers"] == "x-anything"  # allow_headers kept
    assert acx(client.get("/metrics", headers={"Origin": "https://app.example"})) == {}


def check_options(ns):
    app = ns["app"]
    client = TestClient(app)
    origin = "https://app.example"
    p = preflight(client, "/profile", origin, "PUT", "authorization,content-type")
    assert p.status_code == 204
    assert p.headers["access-control-allow-origin"] == origin
    assert p.headers["access-control-allow-methods"] == "PUT"
    ok = client.put("/profile", json={"name": "Ada"}, headers={"Origin": origin})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == origin
    error = client.put("/profile", json={}, headers={"Origin": origin})
    assert error.status_code == 400 and error.headers["access-control-allow-origin"] == origin
    invalid = client.put("/profile", content=b"[", headers={"Origin": origin})
    assert invalid.status_code == 422 and invalid.headers["access-control-allow-origin"] == origin
    evil = client.put("/profile", json={"name": "x"}, headers={"Origin": "https://evil.example"})
    assert acx(evil) == {}
    assert "options" not in client.get("/openapi.json").json()["paths"]["/profile"]


def check_settings(ns):
    client = TestClient(ns["app"])
    r = client.get("/nowhere", headers={"Origin": "http://localhost:5173"})
    assert r.headers["access-control-allow-origin"] == "http://localhost:5173"


def check_router(ns):
    client = TestClient(ns["app"])
    partner, warehouse = "https://partner.example", "https://warehouse.example"
    r = client.get("/partner/stock", headers={"Origin": partner})
    assert r.headers["access-control-allow-origin"] == partner
    assert (
        preflight(client, "/partner/stock", partner, "GET").headers["access-control-max-age"]
        == "3600"
    )
    r = client.get("/partner/stock/export", headers={"Origin": warehouse})
    assert r.headers["access-control-allow-origin"] == warehouse
    assert acx(client.get("/partner/stock/export", headers={"Origin": partner})) == {}
    debug = client.get("/partner/stock/debug", headers={"Origin": partner})
    assert debug.status_code == 200 and acx(debug) == {}


def check_credentials(ns):
    client = TestClient(ns["app"])
    origin = "https://app.example"
    client.cookies.set("session", "abc")
    me = client.get("/me", headers={"Origin": origin})
    assert me.json() == {"logged_in": True}
    assert me.headers["access-control-allow-origin"] == origin
    assert me.headers["access-control-allow-credentials"] == "true"
    p = preflight(client, "/orders", origin, "POST", "authorization,content-type")
    assert p.status_code == 204
    assert p.headers["access-control-allow-credentials"] == "true"
    assert p.headers["access-control-allow-headers"] == "authorization, content-type"
    order = client.post(
        "/orders", json={"item": 1}, headers={"Origin": origin, "Authorization": "Bearer t"}
    )
    assert order.status_code == 200
    assert order.headers["access-control-expose-headers"].lower() == "x-order-id"
    assert preflight(client, "/orders", "https://evil.example", "POST").status_code == 403
    public = client.get("/catalogue", headers={"Origin": "https://anyone.example"})
    assert public.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in public.headers


SUBDOMAIN_ORIGINS = [
    ("https://example.com", True),
    ("https://eu.example.com", True),
    ("https://a.b.example.com", True),
    ("http://eu.example.com", False),
    ("https://evil-example.com", False),
    ("https://example.com.evil.io", False),
    ("http://dev.example.test:8080", True),
    ("http://dev.example.test", False),
]


def check_subdomains(ns):
    client = TestClient(ns["app"])
    for origin, allowed in SUBDOMAIN_ORIGINS:
        r = client.get("/tenants/config", headers={"Origin": origin})
        assert r.headers.get("access-control-allow-origin") == (origin if allowed else None)


def check_starlette(ns):
    client = TestClient(ns["app"])
    origin = "https://app.example"
    assert (
        client.get("/items", headers={"Origin": origin}).headers["access-control-allow-origin"]
        == origin
    )
    p = preflight(client, "/items", origin, "PUT", "content-type")
    assert p.status_code == 204 and p.headers["access-control-allow-methods"] == "PUT"
    put = client.put("/items", json=[4], headers={"Origin": origin})
    assert put.json() == [4] and put.headers["access-control-allow-origin"] == origin
    assert preflight(client, "/items", origin, "DELETE").status_code != 204
    status = client.get("/health", headers={"Origin": "https://status.example"})
    assert status.headers["access-control-allow-origin"] == "https://status.example"


def check_starlette_route_class(ns):
    client = TestClient(ns["app"])
    r = client.get("/items", headers={"Origin": "https://app.example"})
    assert r.headers["access-control-allow-origin"] == "https://app.example"


def check_websocket(ns):
    from starlette.websockets import WebSocketDisconnect

    client = TestClient(ns["app"])
    with client.websocket_connect("/feed", headers={"Origin": "https://app.example"}) as ws:
        assert ws.receive_text() == "hello"
    with pytest.raises(Exception) as refused:
        with client.websocket_connect("/feed", headers={"Origin": "https://evil.example"}):
            pass
    assert (
        isinstance(refused.value, WebSocketDisconnect)
        or "403" in repr(refused.value)
        or (getattr(refused.value, "status_code", None) == 403)
    )


def check_openapi(ns):
    client = TestClient(ns["app"])
    r = client.post("/orders", headers={"Origin": "https://shop.example"})
    assert r.headers["access-control-allow-origin"] == "https://shop.example"


CHECKS = {
    "per-endpoint": check_per_endpoint,
    "migrate": check_migrate,
    "tighten": check_tighten,
    "options": check_options,
    "settings": check_settings,
    "router": check_router,
    "credentials": check_credentials,
    "subdomains": check_subdomains,
    "starlette": check_starlette,
    "starlette-route-class": check_starlette_route_class,
    "websocket": check_websocket,
    "openapi": check_openapi,
}


def test_the_starlette_recipes_do_not_import_fastapi():
    for block in by_language("python"):
        if not {"starlette", "starlette-route-class"} & set(block.marker("recipe")):
            continue
        code = (
            "import builtins\n"
            "real = builtins.__import__\n"
            "def guard(name, *a, **k):\n"
            "    if name == 'fastapi' or name.startswith('fastapi.'):\n"
            "        raise ImportError('fastapi imported')\n"
            "    return real(name, *a, **k)\n"
            "builtins.__import__ = guard\n"
            f"exec(compile({block.code!r}, 'recipe', 'exec'), {{}})\n"
        )
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
