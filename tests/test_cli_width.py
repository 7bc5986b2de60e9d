"""The command line fits the terminal: at 80, 100 and 200 columns every line fits (a word
longer than the line, such as a long URL or path, is never split: it stands alone on its
line), and nothing is lost: every route, where its policy comes from and every origin."""

from __future__ import annotations

import json
import re

import pytest
from _cli import run
from cli_apps import CHAT_ORIGINS, MANY, REAL_ORIGINS, REAL_REGEX

APPS = ("tests.cli_apps:good", "tests.cli_apps:installed", "tests.cli_apps:real")
WIDTHS = (80, 100, 200)


def words(text: str) -> list[str]:
    return text.split()


# What is never broken: a word, and a label with the first word of its value.
UNBREAKABLE = re.compile(r"\S+|(?:[a-z-]+:|from|regex|func) \S+")


def assert_fits(text: str, width: int) -> None:
    for line in text.splitlines():
        # Only a line holding one unbreakable piece longer than the room may be longer.
        assert len(line) <= width or UNBREAKABLE.fullmatch(line.strip()), (width, line)


def assert_every_route_is_shown(app: str, text: str) -> None:
    """Every route's path and methods, its policy's source and each of its origins."""
    entries = json.loads(run("routes", app, "--json").stdout)
    shown = set(words(text.replace(",", " ")))
    lines = text.splitlines()
    for entry in entries:
        assert any(line.startswith(entry["path"] + " ") for line in lines), entry["path"]
        assert entry["source"] is None or entry["source"] in text
        for method in entry["methods"] or ():
            assert method in shown
        cors = entry["cors"]
        if isinstance(cors, dict):
            assert set(cors["allowOrigins"]) <= shown, entry["path"]
            if "allowOriginRegex" in cors:
                assert cors["allowOriginRegex"] in shown


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("app", APPS)
def test_routes_fits_the_width_and_shows_everything(app, width):
    result = run("routes", app, columns=width)
    assert result.returncode == 0, result.stderr
    assert_fits(result.stdout, width)
    assert_every_route_is_shown(app, result.stdout)


def test_the_table_when_it_fits_each_route_on_lines_of_its_own_when_not():
    wide = run("routes", "tests.cli_apps:good", columns=200).stdout
    assert wide.startswith("PATH ")
    assert "ALLOW METHODS" in wide.splitlines()[0]
    narrow = run("routes", "tests.cli_apps:good", columns=100).stdout
    lines = narrow.splitlines()
    start = lines.index("/orders  POST  CORSRoute  from @cors")
    assert lines[start + 1 : start + 3] == [
        "    origins: https://shop.example",
        "    allow-methods: POST; allow-headers: authorization; credentials: yes; max-age: 600",
    ]
    assert lines[start + 3] == "/products/{product_id}  DELETE  CORSRoute  from @cors"
    assert "/health  GET  CORSRoute  from no_cors\n    opted out\n" in narrow
    assert "/legacy  *  Mount (Starlette)\n    no CORS\n" in narrow
    assert narrow.endswith("\n8 routes, 5 with CORS\n")


def test_a_long_origin_list_wraps_under_its_label_and_no_origin_is_split():
    result = run("routes", "tests.cli_apps:real", columns=80)
    lines = result.stdout.splitlines()
    start = lines.index("/api/v1/accounts  GET  APIRoute  from install default")
    origins = []
    for line in lines[start + 1 :]:
        if "allow-methods" in line:
            break
        assert line.startswith("    origins: " if not origins else " " * 13)
        origins += line.removeprefix("    origins: ").replace(",", " ").split()
    assert origins == [*REAL_ORIGINS, "regex", REAL_REGEX]


def test_a_word_longer_than_the_line_stands_alone_unsplit():
    result = run("routes", "tests.cli_apps:many_origins", columns=30)
    assert result.returncode == 0, result.stderr
    long_lines = [line for line in result.stdout.splitlines() if len(line) > 30]
    assert long_lines  # each origin (28 or 29 characters) plus the indent exceeds 30
    assert all(UNBREAKABLE.fullmatch(line.strip()) for line in long_lines)
    assert any(len(line.split()) == 1 for line in long_lines)
    shown = result.stdout.replace(",", " ").split()
    assert [word for word in shown if word.startswith("https://tenant")] == MANY


def test_websocket_rows_say_origin_check():
    table = run("routes", "tests.cli_apps:real").stdout  # a pipe: the table
    chat = next(line for line in table.splitlines() if line.startswith("/ws/chat/{room} "))
    assert chat.split("  ")[0] == "/ws/chat/{room}"
    cells = [cell.strip() for cell in chat.split("  ") if cell.strip()]
    assert cells == [
        "/ws/chat/{room}",
        "WebSocket",
        "APIWebSocketRoute",
        "@cors",
        ", ".join(CHAT_ORIGINS),
        "origin check",
    ]  # no methods, headers, credentials or max-age: they do not apply
    anyone = next(line for line in table.splitlines() if line.startswith("/ws/anyone "))
    assert anyone.split()[-3:] == ["no", "origin", "check"]
    narrow = run("routes", "tests.cli_apps:real", columns=80).stdout
    assert (
        "/ws/chat/{room}  WebSocket  APIWebSocketRoute  from @cors\n"
        f"    origin check: {', '.join(CHAT_ORIGINS)}\n"
        "/ws/anyone  WebSocket  APIWebSocketRoute\n"
        "    no origin check\n"
    ) in narrow
    entries = {
        e["path"]: e for e in json.loads(run("routes", "tests.cli_apps:real", "--json").stdout)
    }
    assert entries["/ws/chat/{room}"]["cors"] == {"originCheck": True, "allowOrigins": CHAT_ORIGINS}
    assert entries["/ws/anyone"]["cors"] is None


def test_piped_without_columns_the_table_is_one_line_per_route():
    """Machine-friendly: grep finds a route's whole row, whatever its length."""
    result = run("routes", "tests.cli_apps:real")
    lines = result.stdout.splitlines()
    assert lines[0].startswith("PATH ")
    routes = json.loads(run("routes", "tests.cli_apps:real", "--json").stdout)
    assert len(lines) == 1 + len(routes) + 2  # header, one per route, blank, summary
    assert max(len(line) for line in lines) > 200


EXPLAINED = (
    ("tests.cli_apps:good", "--origin", "https://shop.example/", "--method", "POST"),
    ("--path", "/orders", "--header", "Content-Type"),
)


@pytest.mark.parametrize(
    "args",
    [
        ("check", "tests.cli_apps:bad"),
        ("check", "tests.cli_apps:real"),
        ("check", "tests.cli_apps:many_shadowed"),
        ("explain", *EXPLAINED[0], *EXPLAINED[1]),
        (
            "explain",
            "tests.cli_apps:real",
            "--origin",
            "https://preview-12.app.example.com",
            "--method",
            "PUT",
            "--path",
            "/api/v1/billing/7",
            "--header",
            "Content-Type",
            "--header",
            "X-Request-Id: 0f6a1b2c-3d4e-5f60-7182-93a4b5c6d7e8",
            "--credentials",
        ),
    ],
)
def test_check_and_explain_wrap_words_to_the_width(args):
    """Prose is word-wrapped with hanging indents, at most 100 columns: the same words at
    every width, in the same order, none split."""
    outputs = {width: run(*args, columns=width) for width in WIDTHS}
    unwrapped = words(run(*args).stdout)  # a pipe: 100 columns
    for width, result in outputs.items():
        assert result.returncode in (0, 1), result.stderr
        assert_fits(result.stdout, min(width, 100))
        assert words(result.stdout) == unwrapped
    assert max(len(line) for line in outputs[200].stdout.splitlines()) > 80


def test_explain_hangs_continuation_lines_under_their_line():
    result = run("explain", *EXPLAINED[0], *EXPLAINED[1], columns=80)
    lines = result.stdout.splitlines()
    blocked = next(i for i, line in enumerate(lines) if line.startswith("BLOCKED: "))
    assert lines[blocked + 1].startswith(" " * 9) and lines[blocked + 1][9] != " "
    fails = next(i for i, line in enumerate(lines) if line.startswith("  fails "))
    assert lines[fails + 1].startswith("    ") and lines[fails + 1][4] != " "
