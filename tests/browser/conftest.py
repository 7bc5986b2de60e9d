"""Fixtures of the Chromium suite: the test servers (loopback, free ports) and the browser.

Everything is module-scoped and torn down in ``finally`` blocks, so no server thread or
browser process outlives the run, whatever the tests do.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pytest
from e2e_apps import build_apps, page_app
from e2e_chromium import chromium, loopback_socket, require_chromium, serving


class Recorder:
    """ASGI wrapper noting every HTTP request the server received and what it answered."""

    def __init__(self, app):
        self.app = app
        self.log: list[dict] = []

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        entry = {
            "method": scope["method"],
            "path": scope["path"],
            "origin": headers.get("origin"),
            "preflight": scope["method"] == "OPTIONS"
            and "access-control-request-method" in headers,
            "request_headers": headers,
            "status": None,
            "response_headers": [],
            "raised": None,
        }
        self.log.append(entry)

        async def recording_send(message):
            if message["type"] == "http.response.start":
                entry["status"] = message["status"]
                entry["response_headers"] = [
                    (k.decode("latin-1").lower(), v.decode("latin-1"))
                    for k, v in message.get("headers", ())
                ]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        except Exception as exc:
            entry["raised"] = repr(exc)
            raise


@dataclass
class Stack:
    ports: dict[str, int]
    recorders: dict[str, Recorder] = field(default_factory=dict)

    def url(self, app: str, path: str) -> str:
        from scenarios import APP_URLS

        return APP_URLS[app].format(**self.ports) + path


# Module scope, not session: while Playwright's sync API runs, the main thread has a running
# event loop, so a later test's asyncio.run() would fail if the browser outlived this suite.
@pytest.fixture(scope="module")
def stack():
    require_chromium()
    names = ("page", "other", "api", "starlette", "installed")
    sockets = {name: loopback_socket() for name in names}
    ports = {name: sock.getsockname()[1] for name, sock in sockets.items()}
    result = Stack(ports)
    apps = build_apps(ports)
    page = page_app()
    served = {"page": (page, sockets["page"]), "other": (page, sockets["other"])}
    for name, port_name in (
        ("fastapi", "api"),
        ("starlette", "starlette"),
        ("installed", "installed"),
    ):
        result.recorders[name] = Recorder(apps[name])
        served[name] = (result.recorders[name], sockets[port_name])
    with serving(served):
        yield result


@pytest.fixture(scope="module")
def browser(stack):
    with chromium() as browser:
        yield browser


VERDICTS: list[dict] = []


def pytest_terminal_summary(terminalreporter):
    """With CORS_E2E_REPORT=path, write the scenario table with the browser's verdicts."""
    path = os.environ.get("CORS_E2E_REPORT")
    if not path or not VERDICTS:
        return
    lines = [
        "| scenario | origin | request | browser | status | readable | preflights | reached |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for v in VERDICTS:
        lines.append(
            f"| {v['id']} | {v['origin']} | {v['request']} | {v['verdict']} | {v['status']} "
            f"| {v['readable']} | {v['preflights']} | {v['reached']} |"
        )
    lines.append("")
    for v in VERDICTS:
        lines.append(f"- {v['id']}: server {v['server']}; console: {v['console'] or '-'}")
    with open(path, "w") as file:
        file.write("\n".join(lines) + "\n")
    terminalreporter.write_line(f"browser verdicts written to {path}")


@pytest.fixture(scope="session")
def verdicts():
    """What the browser decided per scenario, for the optional report."""
    return VERDICTS
