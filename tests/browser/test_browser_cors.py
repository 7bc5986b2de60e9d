"""Every scenario of ``scenarios.SCENARIOS``, run as a real ``fetch()`` in headless Chromium.

The page is served on another origin than the API; JavaScript records what it can see
(success, status, readable headers, text) or the CORS failure, and a recorder around the
app counts what reached the server (preflights, actual requests, cookies).
"""

from __future__ import annotations

import json

import pytest
from scenarios import APP_URLS, SCENARIOS, Scenario
from warning_guard import FASTAPI_DOCS_WITHOUT_CORS

# The route-class apps keep FastAPI's docs without CORS; the lint's finding about them is
# not what the browser is asked about (tests/warning_guard.py).
pytestmark = FASTAPI_DOCS_WITHOUT_CORS

FETCH = """async ({url, init, repeat}) => {
  const results = [];
  for (let i = 0; i < repeat; i++) {
    try {
      const response = await fetch(url, init);
      const headers = {};
      response.headers.forEach((value, name) => { headers[name] = value; });
      results.push({ok: true, status: response.status, headers, text: await response.text()});
    } catch (error) {
      results.push({ok: false, error: `${error.name}: ${error.message}`});
    }
  }
  return results;
}"""

SESSION_COOKIE = "e2e-session"


def test_table_is_well_formed():
    ids = [s.id for s in SCENARIOS]
    assert len(ids) == len(set(ids)), "scenario ids must be unique"
    for s in SCENARIOS:
        assert s.app in APP_URLS
        assert s.credentials in ("omit", "same-origin", "include")
        assert s.allowed == (s.status is not None), s.id


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_browser_verdict(scenario: Scenario, stack, browser, verdicts):
    origin = scenario.origin.format(**stack.ports)
    url = stack.url(scenario.app, scenario.path)
    recorder = stack.recorders[scenario.app]
    recorder.log.clear()

    context = browser.new_context()
    try:
        context.add_cookies(
            [
                {
                    "name": "session",
                    "value": SESSION_COOKIE,
                    "url": APP_URLS[scenario.app].format(**stack.ports),
                    "sameSite": "Lax",
                }
            ]
        )
        page = context.new_page()
        console = []
        page.on("console", lambda message: console.append(message.text))
        page.goto(origin + "/")
        init = {
            "method": scenario.method,
            "headers": scenario.headers,
            "credentials": scenario.credentials,
            "cache": scenario.cache,
            "mode": "cors",
        }
        if scenario.body is not None:
            init["body"] = scenario.body
        results = page.evaluate(FETCH, {"url": url, "init": init, "repeat": scenario.repeat})
    finally:
        context.close()

    log = list(recorder.log)
    preflights = [e for e in log if e["preflight"]]
    actual = [e for e in log if not e["preflight"]]
    first = results[0]
    verdicts.append(
        {
            "id": scenario.id,
            "origin": scenario.origin,
            "request": f"{scenario.method} {scenario.path}"
            + (f" +{','.join(scenario.headers)}" if scenario.headers else "")
            + (f" ({scenario.credentials})" if scenario.credentials != "same-origin" else ""),
            "verdict": "allowed" if first["ok"] else "blocked",
            "status": first.get("status", "-"),
            "readable": ", ".join(
                f"{k}" for k in sorted(first.get("headers", {})) if k != "content-length"
            )
            or "-",
            "preflights": len(preflights),
            "reached": len(actual),
            "console": " / ".join(console),
            "server": "; ".join(f"{e['method']} {e['status']}" for e in log),
        }
    )
    evidence = json.dumps(
        {"results": results, "console": console, "server": log}, indent=1, default=str
    )

    for result in results:
        if scenario.allowed:
            assert result["ok"], f"blocked, expected allowed:\n{evidence}"
            assert result["status"] == scenario.status, evidence
            for name, value in scenario.readable.items():
                assert result["headers"].get(name) == value, evidence
            if scenario.body_contains is not None:
                assert scenario.body_contains in result["text"], evidence
        else:
            assert not result["ok"], f"allowed, expected blocked:\n{evidence}"
            assert result["error"] == "TypeError: Failed to fetch", evidence
        for name in scenario.hidden:
            assert name not in result.get("headers", {}), evidence

    assert len(preflights) == scenario.preflights, evidence
    assert len(actual) == scenario.reached, evidence
    # A hidden header is only proof when the server did send it.
    for name in scenario.hidden:
        assert all(name in dict(e["response_headers"]) for e in actual), evidence
    if scenario.cookie_sent is not None:
        for entry in actual:
            sent = f"session={SESSION_COOKIE}" in entry["request_headers"].get("cookie", "")
            assert sent == scenario.cookie_sent, evidence
    # The browser must never have relied on a wildcard: preflight grants name what was asked.
    for entry in preflights:
        granted = dict(entry["response_headers"])
        assert "*" not in granted.get("access-control-allow-headers", ""), evidence
        assert "*" not in granted.get("access-control-allow-methods", ""), evidence
    if scenario.id == "unhandled-500":
        assert actual[0]["raised"], "the exception must still reach the server"
