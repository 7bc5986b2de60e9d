"""The ``cors_routes`` logger: one escaped DEBUG line per refusal, nothing at INFO or above."""

from __future__ import annotations

import asyncio
import logging

import pytest
from fastapi import FastAPI
from warning_guard import FASTAPI_DOCS_WITHOUT_CORS

from cors_routes import CORSRoute, cors
from cors_routes._asgi import request
from cors_routes._dispatch import RouteCORS

# Route-class apps keep FastAPI's docs without CORS; the lint's finding about them is not
# what these tests are about (tests/warning_guard.py).
pytestmark = FASTAPI_DOCS_WITHOUT_CORS

APP = "https://app.example"


@pytest.fixture
def app():
    app = FastAPI()
    app.router.route_class = CORSRoute

    @app.put("/items/{item_id}")
    @cors(allow_origins=[APP], allow_headers=["X-Token"])
    def put_item(item_id: int):
        return {"id": item_id}

    return app


def send(app, method, path, headers):
    return asyncio.run(request(app, method, path, headers))


def preflight(app, origin=APP, method="PUT", headers=None, path="/items/1"):
    sent = [("origin", origin), ("access-control-request-method", method)]
    if headers is not None:
        sent.append(("access-control-request-headers", headers))
    return send(app, "OPTIONS", path, sent)


def lines(caplog):
    return [r for r in caplog.records if r.name == "cors_routes" and "refused" in r.getMessage()]


def test_refused_origin(app, caplog):
    caplog.set_level(logging.DEBUG, logger="cors_routes")
    assert preflight(app, origin="https://evil.example").status == 403
    (record,) = lines(caplog)
    assert record.levelno == logging.DEBUG
    assert record.getMessage() == (
        "CORS preflight refused: route PUT /items/{item_id}, path '/items/1', "
        "origin 'https://evil.example', asked method='PUT': origin is not allowed by "
        "allow_origins (https://app.example)"
    )


def test_refused_method_and_header_name_the_culprit(app, caplog):
    caplog.set_level(logging.DEBUG, logger="cors_routes")
    preflight(app, method="DELETE")
    preflight(app, headers="x-token, x-other")
    method, header = (r.getMessage() for r in lines(caplog))
    assert method.endswith(
        "asked method='DELETE': method 'DELETE' is not allowed (allowed: PUT; compared "
        "case-sensitively)"
    )
    assert header.endswith(
        "asked method='PUT' headers='x-token, x-other': header 'x-other' is not allowed "
        "(allowed: x-token)"
    )


def test_actual_request_from_a_disallowed_origin(app, caplog):
    caplog.set_level(logging.DEBUG, logger="cors_routes")
    response = send(app, "PUT", "/items/1", [("origin", "https://evil.example")])
    assert response.status == 200
    (record,) = lines(caplog)
    assert record.getMessage().startswith(
        "CORS request refused: route PUT /items/{item_id}, path '/items/1', "
        "origin 'https://evil.example', asked method='PUT': origin is not allowed"
    )


def test_request_values_are_escaped(app, caplog):
    caplog.set_level(logging.DEBUG, logger="cors_routes")
    forged = "https://evil.example\r\nINFO granted admin \x1b[2J\x85"
    preflight(app, origin=forged, headers="x-a" * 5000)
    (record,) = lines(caplog)
    message = record.getMessage()
    assert "\n" not in message and "\r" not in message
    assert len(message.splitlines()) == 1 and "\x1b" not in message
    assert "'https://evil.example\\r\\nINFO granted admin \\x1b[2J\\x85'" in message
    assert len(message) < 1000  # an 8 KiB header is shortened
    assert "(15000 chars)" in message


def test_path_is_escaped(app, caplog):
    caplog.set_level(logging.DEBUG, logger="cors_routes")
    send(app, "OPTIONS", "/items/1%0aforged", [("origin", "https://evil.example")])
    for record in caplog.records:
        assert "\n" not in record.getMessage()


def test_nothing_at_info_or_above_per_request(app, caplog):
    caplog.set_level(logging.DEBUG, logger="cors_routes")
    preflight(app, origin="https://evil.example")
    preflight(app)
    send(app, "PUT", "/items/1", [("origin", "https://evil.example")])
    send(app, "PUT", "/items/1", [("origin", APP)])
    per_request = [
        r for r in caplog.records if r.name == "cors_routes" and "CORS" in r.getMessage()
    ]
    assert len(per_request) == 2
    assert all(r.levelno == logging.DEBUG for r in per_request)


def test_no_work_when_debug_is_off(app, caplog, monkeypatch):
    caplog.set_level(logging.INFO, logger="cors_routes")
    called = []
    monkeypatch.setattr(RouteCORS, "_log", lambda *args, **kwargs: called.append(args))
    preflight(app, origin="https://evil.example")
    send(app, "PUT", "/items/1", [("origin", "https://evil.example")])
    assert called == []
    assert lines(caplog) == []
