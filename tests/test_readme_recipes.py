"""The README's recipes run, and do what the text says.

Every ```python block of the recipes section is preceded by ``<!-- recipe: NAME -->``; each
is executed as a module of its own and then checked by ``CHECKS[NAME]`` with real requests.
"""

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

README = Path(__file__).resolve().parent.parent / "README.md"
SECTION = re.compile(
    r"<!-- section: recipes \(issue 3\) -->(.*?)<!-- end section: recipes -->", re.S
)
BLOCK = re.compile(r"<!-- recipe: ([\w-]+) -->\s*```python\n(.*?)```", re.S)


def recipes():
    text = README.read_text()
    section = SECTION.search(text)
    assert section, "the README lost its recipes section markers"
    body = section.group(1)
    found = {name: code for name, code in BLOCK.findall(body)}
    # Every python block is a recipe with a check: none can rot unnoticed.
    assert body.count("```python") == len(found), "a python block without <!-- recipe: -->"
    line_of = {name: text[: text.index(code)].count("\n") + 1 for name, code in found.items()}
    return found, line_of


RECIPES, LINES = recipes()


def run_recipe(name):
    namespace = {"__name__": f"readme_recipe_{name.replace('-', '_')}"}
    exec(compile(RECIPES[name], f"README.md:{LINES[name]} ({name})", "exec"), namespace)
    return namespace


def acx(response):
    return {k: v for k, v in response.headers.items() if k.startswith("access-control-")}


def preflight(client, path, origin, method, headers=None):
    request_headers = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        request_headers["Access-Control-Request-Headers"] = headers
    return client.options(path, headers=request_headers)


def check_migrate(ns):
    client = TestClient(ns["app"])
    # The old settings still apply to every route...
    r = client.get("/orders", headers={"Origin": "https://admin.example"})
    assert r.headers["access-control-allow-origin"] == "https://admin.example"
    assert r.headers["access-control-allow-credentials"] == "true"
    assert r.headers["access-control-expose-headers"].lower() == "x-request-id"
    p = preflight(client, "/orders", "https://app.example", "GET", "x-anything")
    assert p.status_code == 204 and p.headers["access-control-allow-headers"] == "x-anything"
    # ...except where an endpoint was tightened.
    assert preflight(client, "/orders/1", "https://admin.example", "DELETE").status_code == 204
    assert preflight(client, "/orders/1", "https://app.example", "DELETE").status_code == 403


def check_options(ns):
    app = ns["app"]
    assert not any("OPTIONS" in (getattr(r, "methods", None) or ()) for r in app.routes)
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
    assert (
        acx(client.put("/profile", json={"name": "x"}, headers={"Origin": "https://evil.example"}))
        == {}
    )
    assert "options" not in client.get("/openapi.json").json()["paths"]["/profile"]


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


@pytest.mark.parametrize(
    "origin, allowed",
    [
        ("https://example.com", True),
        ("https://eu.example.com", True),
        ("https://a.b.example.com", True),
        ("http://eu.example.com", False),
        ("https://evil-example.com", False),
        ("https://example.com.evil.io", False),
        ("http://dev.example.test:8080", True),
        ("http://dev.example.test", False),
    ],
)
def test_subdomain_recipe_origins(origin, allowed):
    client = TestClient(run_recipe("subdomains")["app"])
    r = client.get("/tenants/config", headers={"Origin": origin})
    assert r.headers.get("access-control-allow-origin") == (origin if allowed else None)


def check_subdomains(ns):
    client = TestClient(ns["app"])
    r = client.get("/tenants/config", headers={"Origin": "https://shop.example.com"})
    assert r.headers["access-control-allow-origin"] == "https://shop.example.com"


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


CHECKS = {
    "migrate": check_migrate,
    "options": check_options,
    "router": check_router,
    "credentials": check_credentials,
    "subdomains": check_subdomains,
    "starlette": check_starlette,
}


def test_every_recipe_has_a_check():
    assert set(RECIPES) == set(CHECKS)


@pytest.mark.parametrize("name", list(CHECKS))
def test_recipe(name):
    assert name in RECIPES, f"README recipe {name!r} is gone"
    CHECKS[name](run_recipe(name))


def test_starlette_recipe_does_not_import_fastapi():
    import subprocess
    import sys

    code = (
        "import sys, builtins\n"
        "real = builtins.__import__\n"
        "def guard(name, *a, **k):\n"
        "    if name == 'fastapi' or name.startswith('fastapi.'):\n"
        "        raise ImportError('fastapi imported')\n"
        "    return real(name, *a, **k)\n"
        "builtins.__import__ = guard\n"
        f"exec(compile({RECIPES['starlette']!r}, 'recipe', 'exec'), {{}})\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
