"""``python -m cors_routes demo``, checked the way a person would: open the page in headless
Chromium, look at it (a screenshot), see which calls were allowed and which blocked, stop it.

Set CORS_DEMO_SCREENSHOT=path to keep the screenshot.
"""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from e2e_chromium import chromium, loopback_socket

ROOT = Path(__file__).resolve().parent.parent

EXPECTED = {
    "/api/products": "allowed",
    "/api/orders": "allowed",
    "/partner/stock": "blocked",
    "/api/products/1": "blocked",
    "/internal/health": "blocked",
}


def free_port_pair():
    """A port P with P and P + 1 free on loopback."""
    for _ in range(50):
        first = loopback_socket()
        port = first.getsockname()[1]
        try:
            loopback_socket(port + 1).close()
        except OSError:
            continue
        finally:
            first.close()
        return port
    raise RuntimeError("no two adjacent free ports")


class Demo:
    def __init__(self, *args):
        self.port = free_port_pair()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cors_routes", "demo", "--port", str(self.port), *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines = []
        deadline = time.monotonic() + 30
        while not any("Ctrl-C" in line for line in self.lines):
            line = self.process.stdout.readline()
            if not line or time.monotonic() > deadline:
                self.stop()
                raise AssertionError("the demo did not start:\n" + "".join(self.lines))
            self.lines.append(line)

    def stop(self, sig=signal.SIGINT):
        """Send ``sig``; return (exit status, the rest of the output)."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            out, _ = self.process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, _ = self.process.communicate()
        return self.process.returncode, out


@pytest.fixture
def demo():
    started = Demo()
    try:
        yield started
    finally:
        started.stop(signal.SIGKILL)


def test_demo_page_shows_allowed_and_blocked_calls(demo, tmp_path):
    api, page = f"http://127.0.0.1:{demo.port}", f"http://127.0.0.1:{demo.port + 1}"
    output = "".join(demo.lines)
    assert api in output and page in output, output
    shot = Path(os.environ.get("CORS_DEMO_SCREENSHOT") or tmp_path / "demo.png")
    with chromium() as browser:
        tab = browser.new_page(viewport={"width": 1280, "height": 900})
        tab.goto(page)
        tab.wait_for_selector("body[data-done=true]", timeout=15_000)
        tab.screenshot(path=str(shot), full_page=True)
        rows = tab.eval_on_selector_all(
            "tbody tr",
            "rows => rows.map(r => ({path: r.dataset.path, verdict: r.dataset.verdict,"
            " expected: r.dataset.expected, text: r.innerText}))",
        )
        text = tab.inner_text("body")
    assert shot.stat().st_size > 10_000
    assert {row["path"]: row["verdict"] for row in rows} == EXPECTED, rows
    # The page's own explanation agrees with what the browser did.
    assert all(row["verdict"] == row["expected"] for row in rows), rows
    assert text.count("ALLOWED") == 2 and text.count("BLOCKED") == 3, text
    orders = next(row["text"] for row in rows if row["path"] == "/api/orders")
    assert "X-Order-Id: 42" in orders  # an exposed header, read by the page
    assert "is not in allow_origins (https://admin.example)" in text

    status, rest = demo.stop(signal.SIGINT)
    assert status == 0, rest
    assert "stopped" in rest and "Traceback" not in rest, rest


def test_demo_from_localhost_is_another_origin(demo):
    """The same page opened at localhost: the credentialed endpoint becomes blocked."""
    with chromium() as browser:
        tab = browser.new_page()
        tab.goto(f"http://localhost:{demo.port + 1}")
        tab.wait_for_selector("body[data-done=true]", timeout=15_000)
        verdicts = tab.eval_on_selector_all(
            "tbody tr", "rows => rows.map(r => [r.dataset.path, r.dataset.verdict])"
        )
    assert dict(verdicts) == {**EXPECTED, "/api/orders": "blocked"}


def test_demo_stops_on_sigterm_and_listens_on_loopback(demo):
    with urllib.request.urlopen(f"http://127.0.0.1:{demo.port}/api/products", timeout=5) as r:
        assert r.headers["access-control-allow-origin"] == "*"
    status, rest = demo.stop(signal.SIGTERM)
    assert status == 0, rest
    assert "stopped" in rest and "Traceback" not in rest, rest


def test_demo_reports_a_busy_port():
    busy = loopback_socket()
    busy.listen()
    port = busy.getsockname()[1]
    try:
        result = subprocess.run(
            [sys.executable, "-m", "cors_routes", "demo", "--port", str(port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
        )
    finally:
        busy.close()
    assert result.returncode == 1
    assert "pick other ports with --port" in result.stderr
