"""``explain`` reaches the verdict headless Chromium reaches, on every browser scenario.

The scenario table (tests/browser/scenarios.py) is the Chromium suite's data: the same rows,
the same apps (built by tests/browser/e2e_apps.py for the same ports), run here through
``cors_routes.explain`` instead of a browser. No browser is needed for this test.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from warning_guard import FASTAPI_DOCS_WITHOUT_CORS

# Route-class apps keep FastAPI's docs without CORS; the lint's finding about them is not
# what these tests are about (tests/warning_guard.py).
pytestmark = FASTAPI_DOCS_WITHOUT_CORS

BROWSER_DIR = Path(__file__).parent / "browser"
sys.path.insert(0, str(BROWSER_DIR))

scenarios = pytest.importorskip("scenarios", reason="tests/browser/scenarios.py is missing")
e2e_apps = pytest.importorskip("e2e_apps")

from cors_routes.explain import explain  # noqa: E402

PORTS = {"page": 8101, "other": 8102, "api": 8103, "starlette": 8104}
APPS = e2e_apps.build_apps(PORTS)


@pytest.mark.parametrize("scenario", scenarios.SCENARIOS, ids=lambda s: s.id)
def test_explain_agrees_with_the_browser(scenario):
    result = explain(
        APPS[scenario.app],
        origin=scenario.origin.format(**PORTS),
        method=scenario.method,
        path=scenario.path,
        headers=list(scenario.headers.items()),
        credentials=scenario.credentials == "include",
        body=scenario.body,
    )
    assert result.allowed is scenario.allowed, result.reason
    # A browser preflights exactly when explain does (the cache aside: one preflight at least).
    assert result.preflighted is (scenario.preflights > 0)
    if not scenario.allowed:
        assert result.reason
        # A refused preflight stops the request: it never reached the endpoint.
        if scenario.reached == 0:
            assert [step.kind for step in result.steps] == ["preflight"]
        return
    assert result.steps[-1].exchange.status == scenario.status
    for name in scenario.readable:
        assert name in result.readable
    for name in scenario.hidden:
        assert name not in result.readable
