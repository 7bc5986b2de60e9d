"""OpenAPI: each CORS operation carries its policy as ``x-cors``; no OPTIONS operations."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, FastAPI

from cors_routes import CORSPolicy, CORSRoute, cors, no_cors

# One route serving GET and POST: FastAPI warns that both operations share an id.
pytestmark = pytest.mark.filterwarnings("ignore:Duplicate Operation ID")


class PartnerRoute(CORSRoute):
    cors_policy = CORSPolicy(allow_origins=["https://partner.example"], max_age=3600)


def build():
    app = FastAPI()
    app.router.route_class = CORSRoute

    @app.api_route("/orders", methods=["GET", "POST"], openapi_extra={"x-team": "shop"})
    @cors(
        allow_origins=["https://shop.example"],
        allow_methods=["POST"],
        allow_headers=["Authorization"],
        allow_credentials=True,
        expose_headers=["X-Order-Id"],
        max_age=60,
    )
    def orders():
        return []

    @app.get("/regex")
    @cors(allow_origin_regex=r"https://[a-z]+\.example\.com", allow_origin_func=lambda o: False)
    def regex():
        return []

    @app.get("/plain")
    def plain():
        return []

    partner = APIRouter(route_class=PartnerRoute)

    @partner.get("/stock")
    def stock():
        return {}

    @partner.get("/debug")
    @no_cors
    def debug():
        return {}

    app.include_router(partner, prefix="/partner")
    return app.openapi()


def test_x_cors_on_each_cors_operation():
    paths = build()["paths"]
    expected = {
        "allowOrigins": ["https://shop.example"],
        "allowMethods": ["POST"],
        "allowHeaders": ["authorization"],
        "allowCredentials": True,
        "exposeHeaders": ["x-order-id"],
        "maxAge": 60,
    }
    assert paths["/orders"]["get"]["x-cors"] == expected
    assert paths["/orders"]["post"]["x-cors"] == expected
    assert paths["/orders"]["post"]["x-team"] == "shop"  # the user's own extras are kept


def test_router_default_through_include_router():
    paths = build()["paths"]
    assert paths["/partner/stock"]["get"]["x-cors"] == {
        "allowOrigins": ["https://partner.example"],
        "allowMethods": ["GET"],
        "allowHeaders": [],
        "allowCredentials": False,
        "exposeHeaders": [],
        "maxAge": 3600,
    }
    assert "x-cors" not in paths["/partner/debug"]["get"]
    assert "x-cors" not in paths["/plain"]["get"]


def test_regex_and_predicate_are_declared():
    cors = build()["paths"]["/regex"]["get"]["x-cors"]
    assert cors["allowOrigins"] == []
    assert cors["allowOriginRegex"] == r"https://[a-z]+\.example\.com"
    assert cors["allowOriginFunc"] is True


def test_no_options_operations():
    for operations in build()["paths"].values():
        assert "options" not in operations
