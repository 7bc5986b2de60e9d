"""docs/diagnostics.md, "Under uvicorn": the documented log configurations make a real uvicorn
print the `cors_routes` logger's refusal lines; `--log-level debug` alone does not.

Each case runs uvicorn in a subprocess on a free loopback port (the log configuration is the
process's), sends one refused preflight, stops the server and reads what it printed.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("uvicorn")

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "diagnostics.md"

APP = """
from fastapi import FastAPI

from cors_routes import CORSPolicy, install

app = FastAPI()


@app.put("/items/{item_id}")
async def put_item(item_id: int) -> dict[str, int]:
    return {"id": item_id}


install(app, default=CORSPolicy(allow_origins=["https://app.example"], allow_methods=["PUT"]))
"""
REFUSAL = (
    "cors_routes: CORS preflight refused: route PUT /items/{item_id}, path '/items/1', "
    "origin 'https://evil.example', asked method='PUT': origin is not allowed by "
    "allow_origins (https://app.example)"
)


def doc_block(marker: str) -> str:
    """The code block right after ``<!-- MARKER -->`` in docs/diagnostics.md."""
    text = DOC.read_text()
    match = re.search(rf"<!-- {re.escape(marker)} -->\n```\w+\n(.*?)```", text, re.S)
    assert match, f"docs/diagnostics.md has no block marked {marker!r}"
    return match.group(1)


def documented_json_config() -> dict:
    return json.loads(doc_block("file: log-config.json"))


def documented_dict_config() -> dict:
    namespace: dict = {"__name__": "not_main"}  # defines LOG_CONFIG, does not start a server
    exec(compile(doc_block("log-config: dict"), str(DOC), "exec"), namespace)
    return namespace["LOG_CONFIG"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_listening(process: subprocess.Popen, port: int) -> bool:
    """True once the port accepts connections; False if the server exited first."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.05)
    raise AssertionError("uvicorn did not start listening within 60 s")


def serve_and_refuse(tmp_path: Path, command: list[str]) -> tuple[int, str, str]:
    """Start COMMAND (its PORT argument replaced by a free port), send one refused preflight,
    stop the server: the preflight's status, then what it printed on stdout and stderr."""
    (tmp_path / "logged_app.py").write_text(APP)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(tmp_path)]))
    env.pop("CORS_ROUTES_LINT", None)
    for _attempt in range(3):  # another process may take the free port before uvicorn binds it
        port = free_port()
        process = subprocess.Popen(
            [str(port) if part == PORT else part for part in command],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            if wait_until_listening(process, port):
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                connection.request(
                    "OPTIONS",
                    "/items/1",
                    headers={
                        "Origin": "https://evil.example",
                        "Access-Control-Request-Method": "PUT",
                    },
                )
                status = connection.getresponse().status
                connection.close()
                process.terminate()
                out, err = process.communicate(timeout=30)
                return status, out, err
            out, err = process.communicate(timeout=30)
            if "address already in use" not in err.lower():
                raise AssertionError(f"uvicorn exited at start-up:\n{out}\n{err}")
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    raise AssertionError("no free port could be bound in 3 attempts")


PORT = "<port>"
UVICORN = [sys.executable, "-m", "uvicorn", "logged_app:app", "--host", "127.0.0.1", "--port", PORT]


def test_the_documented_json_file_for_log_config_shows_refusals(tmp_path):
    (tmp_path / "log-config.json").write_text(json.dumps(documented_json_config()))
    status, out, err = serve_and_refuse(tmp_path, [*UVICORN, "--log-config", "log-config.json"])
    assert status == 403
    assert f"DEBUG:    {REFUSAL}" in err.splitlines()
    # uvicorn's own lines are still there: its start-up on stderr, the access line on stdout
    assert "Uvicorn running on http://127.0.0.1:" in err
    assert '"OPTIONS /items/1 HTTP/1.1" 403' in out


def test_the_documented_dict_for_uvicorn_run_shows_refusals(tmp_path):
    config = json.dumps(documented_dict_config())
    run = (
        "import json, sys, uvicorn; "
        "uvicorn.run('logged_app:app', host='127.0.0.1', port=int(sys.argv[1]), "
        "log_config=json.loads(sys.argv[2]))"
    )
    status, _, err = serve_and_refuse(tmp_path, [sys.executable, "-c", run, PORT, config])
    assert status == 403
    # uvicorn's default format has no logger name: the message alone
    assert any(line.endswith(REFUSAL.removeprefix("cors_routes: ")) for line in err.splitlines())
    assert any(line.startswith("DEBUG:") for line in err.splitlines())


def test_log_level_debug_alone_shows_no_refusal(tmp_path):
    status, out, err = serve_and_refuse(tmp_path, [*UVICORN, "--log-level", "debug"])
    assert status == 403
    assert '"OPTIONS /items/1 HTTP/1.1" 403' in out  # the access line, and nothing else
    assert "CORS preflight refused" not in out + err
