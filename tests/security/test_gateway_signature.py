"""The API alone answers only what the gateway signed: unsigned, forged, altered, stale or
replayed requests get 401 problem+json; probes stay open."""

from __future__ import annotations

import time

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from plant_analytics.security.gateway_signature import (
    NONCE_HEADER,
    SIGNATURE_HEADER,
    GatewaySignatureMiddleware,
    signature_headers,
)

SECRET = b"shared-internal-secret"


@pytest.fixture
def client() -> TestClient:
    app = FastAPI()

    @app.api_route("/api/v1/echo", methods=["GET", "POST"])
    async def echo(request: Request) -> dict[str, object]:
        return {
            "body": (await request.body()).decode(),
            "verified": request.scope["state"].get("gateway_verified", False),
        }

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return TestClient(GatewaySignatureMiddleware(app, SECRET, max_age_seconds=30))


def _signed(
    method: str,
    path: str,
    body: bytes = b"",
    auth: str = "Bearer t",
    secret: bytes = SECRET,
    now: float | None = None,
) -> dict[str, str]:
    return {
        **signature_headers(secret, method, path, "req-1", body, auth, now=now),
        "Authorization": auth,
    }


def _refused(response: object, reason: str) -> None:
    assert response.status_code == 401  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    assert reason in response.json()["detail"]  # type: ignore[attr-defined]


def test_signed_requests_pass(client: TestClient) -> None:
    response = client.get("/api/v1/echo?x=1", headers=_signed("GET", "/api/v1/echo?x=1"))
    assert response.status_code == 200
    assert response.json()["verified"] is True
    body = b'{"a": 1}'
    posted = client.post(
        "/api/v1/echo", content=body, headers=_signed("POST", "/api/v1/echo", body)
    )
    assert posted.json()["body"] == body.decode()


def test_unsigned_is_refused(client: TestClient) -> None:
    _refused(
        client.get("/api/v1/echo", headers={"Authorization": "Bearer t"}),
        "only answers requests forwarded by the gateway",
    )


def test_probes_are_open(client: TestClient) -> None:
    assert client.get("/health").status_code == 200


def test_wrong_secret_is_refused(client: TestClient) -> None:
    _refused(
        client.get("/api/v1/echo", headers=_signed("GET", "/api/v1/echo", secret=b"guess")),
        "does not match",
    )


def test_other_path_query_body_or_token_is_refused(client: TestClient) -> None:
    _refused(
        client.get("/api/v1/echo?x=2", headers=_signed("GET", "/api/v1/echo?x=1")), "does not match"
    )
    _refused(
        client.post(
            "/api/v1/echo", content=b"changed", headers=_signed("POST", "/api/v1/echo", b"original")
        ),
        "does not match",
    )
    headers = _signed("GET", "/api/v1/echo")
    headers["Authorization"] = "Bearer someone-else"
    _refused(client.get("/api/v1/echo", headers=headers), "does not match")
    _refused(
        client.delete("/api/v1/echo", headers=_signed("GET", "/api/v1/echo")), "does not match"
    )


def test_stale_signature_is_refused(client: TestClient) -> None:
    old = _signed("GET", "/api/v1/echo", now=time.time() - 120)
    _refused(client.get("/api/v1/echo", headers=old), "time window")
    future = _signed("GET", "/api/v1/echo", now=time.time() + 120)
    _refused(client.get("/api/v1/echo", headers=future), "time window")


def test_replay_is_refused(client: TestClient) -> None:
    headers = _signed("GET", "/api/v1/echo")
    assert client.get("/api/v1/echo", headers=headers).status_code == 200
    _refused(client.get("/api/v1/echo", headers=headers), "replay")


def test_tampered_signature_or_missing_nonce_is_refused(client: TestClient) -> None:
    headers = _signed("GET", "/api/v1/echo")
    headers[SIGNATURE_HEADER] = headers[SIGNATURE_HEADER][:-2] + "00"
    _refused(client.get("/api/v1/echo", headers=headers), "does not match")
    headers = _signed("GET", "/api/v1/echo")
    del headers[NONCE_HEADER]
    _refused(client.get("/api/v1/echo", headers=headers), "forwarded by the gateway")
