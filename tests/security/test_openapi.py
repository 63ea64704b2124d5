"""The OpenAPI document says how to authenticate, so /docs and generated clients can."""

from __future__ import annotations

from plant_analytics.security.openapi import BEARER
from plant_analytics.server import combined_openapi
from plant_analytics.settings import Settings


def test_every_api_operation_declares_bearer_auth_and_login_does_not() -> None:
    document = combined_openapi(Settings())
    assert document["components"]["securitySchemes"][BEARER]["scheme"] == "bearer"
    operations = [
        (method, path, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]
    api = [op for method, path, op in operations if path.startswith("/api/v1/")]
    assert api, "no API operations in the document"
    assert all(op.get("security") == [{BEARER: []}] for op in api)
    login = document["paths"]["/auth/login"]["post"]
    assert "security" not in login
