"""An app whose start-up (lifespan) fails: the commands that run it exit 2 with what the app
said on stderr, never 1 (which means "blocked" or "errors found") and never a traceback of
the command line's own."""

from __future__ import annotations

import pytest
from _cli import run

EXPLAIN = ("--origin", "https://shop.example", "--method", "GET", "--path", "/items")
LIFESPAN_HINT = "without --lifespan, the routes declared before start-up are read"
EXPLAIN_HINT = "explain runs it as a server would: give it the settings or services it needs"


def assert_no_traceback_of_ours(stderr: str) -> None:
    assert "cors_routes/__main__.py" not in stderr
    assert "cors_routes/_app_options.py" not in stderr
    assert "cors_routes/_asgi.py" not in stderr


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (("explain", "tests.cli_apps:failing_startup", *EXPLAIN), EXPLAIN_HINT),
        (("explain", "tests.cli_apps:failing_startup", *EXPLAIN, "--json"), EXPLAIN_HINT),
        (("check", "tests.cli_apps:failing_startup", "--lifespan"), LIFESPAN_HINT),
        (("check", "tests.cli_apps:failing_startup", "--lifespan", "--json"), LIFESPAN_HINT),
        (("routes", "tests.cli_apps:failing_startup", "--lifespan"), LIFESPAN_HINT),
    ],
)
def test_a_start_up_that_raises_exits_2_with_its_error(args, hint):
    result = run(*args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    # Starlette sends the exception's traceback as the message: shown as the app gave it
    assert "RuntimeError: cannot reach the database at db.internal:5432\n" in result.stderr
    assert result.stderr.endswith(
        f"cors-routes: error: the app's start-up failed (above); {hint}\n"
    )
    assert_no_traceback_of_ours(result.stderr)


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (("explain", "tests.cli_apps:refusing_startup", *EXPLAIN), EXPLAIN_HINT),
        (("check", "tests.cli_apps:refusing_startup", "--lifespan"), LIFESPAN_HINT),
        (("routes", "tests.cli_apps:refusing_startup", "--lifespan", "--json"), LIFESPAN_HINT),
    ],
)
def test_a_start_up_that_reports_failure_exits_2_with_its_message(args, hint):
    result = run(*args, script=True)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert result.stderr == (
        f"cors-routes: error: the app's start-up failed: no licence key; {hint}\n"
    )


def test_the_hint_holds_without_lifespan_the_routes_are_read_as_declared():
    assert run("check", "tests.cli_apps:failing_startup", "--lifespan").returncode == 2
    checked = run("check", "tests.cli_apps:failing_startup")
    assert checked.returncode == 0
    assert checked.stdout == "no problems found (1 CORS routes checked)\n"
