"""How the OpenAPI document tells clients to authenticate: a bearer JWT (or an API key).

The routes authenticate in a dependency that reads the request itself, so FastAPI cannot
infer it; this declares the scheme and marks every operation that needs it, which is what
gives /docs its "Authorize" button and generated clients their auth parameter.
"""

from __future__ import annotations

from typing import Any

BEARER = "bearerAuth"
PUBLIC_OPERATIONS = frozenset(
    {
        ("post", "/auth/login"),
        ("post", "/auth/refresh"),
        ("delete", "/auth/refresh"),
        ("post", "/auth/logout"),
        ("get", "/.well-known/jwks.json"),
    }
)


def declare_bearer_auth(document: dict[str, Any]) -> dict[str, Any]:
    schemes = document.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes[BEARER] = {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An access token from POST /auth/login (expires after an hour; "
        "renew it with POST /auth/refresh).",
    }
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or (method, path) in PUBLIC_OPERATIONS:
                continue
            if path.startswith(("/api/", "/auth/")):
                operation.setdefault("security", [{BEARER: []}])
    return document
