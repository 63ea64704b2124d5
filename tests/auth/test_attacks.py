"""Forged and misused tokens are refused with 401: alg none, expired, tampered, wrong
issuer, audience or key, HS256 with the public key. Each on /auth/me and on the API."""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi.testclient import TestClient

from plant_analytics.auth.keys import KeyStore
from plant_analytics.security.tokens import key_id
from plant_analytics.targets import Process
from tests.support.platform import bearer, login, make_user

App = tuple[TestClient, Process]


def _b64(data: dict[str, Any] | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _subject(process: Process) -> str:
    """The never-reused subject of the one user the ``app`` fixture makes."""
    users = process.state["auth_service"].list_users()
    return str(users[0].subject) if users else "no-such-user"


def _claims(process: Process, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": process.settings.jwt_issuer,
        "aud": process.settings.jwt_audience,
        "sub": _subject(process),
        "gen": 0,
        "email": "ana@example.com",
        "role": "admin",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": "x",
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _signed(
    process: Process, key: Ed25519PrivateKey | None = None, kid: str | None = None, **changes: Any
) -> str:
    store: KeyStore = process.state["keystore"]
    return jwt.encode(
        _claims(process, **changes),
        key or store.signing_key,
        algorithm="EdDSA",
        headers={"kid": kid or store.signing_kid},
    )


def _assert_refused(client: TestClient, token: str, reason: str) -> None:
    for path in ("/auth/me", "/api/v1/whoami"):
        response = client.get(path, headers=bearer(token))
        assert response.status_code == 401, (path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert reason in response.json()["detail"], response.json()


@pytest.fixture
def app(auth_app: App) -> App:
    make_user(auth_app[1])
    return auth_app


def test_a_genuine_token_passes(app: App) -> None:
    client, process = app
    assert client.get("/api/v1/whoami", headers=bearer(_signed(process))).status_code == 200


def test_alg_none_is_refused(app: App) -> None:
    client, process = app
    kid = process.state["keystore"].signing_kid
    token = f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': kid})}.{_b64(_claims(process))}."
    _assert_refused(client, token, "must be signed with EdDSA")


def test_hs256_signed_with_the_public_key_is_refused(app: App) -> None:
    client, process = app
    store: KeyStore = process.state["keystore"]
    public = store.signing_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    header = _b64({"alg": "HS256", "typ": "JWT", "kid": store.signing_kid})
    import hashlib
    import hmac

    body = _b64(_claims(process))
    signature = hmac.new(public, f"{header}.{body}".encode(), hashlib.sha256).digest()
    _assert_refused(client, f"{header}.{body}.{_b64(signature)}", "must be signed with EdDSA")


def test_expired_token_is_refused(app: App) -> None:
    client, process = app
    past = int(time.time()) - 7200
    token = _signed(process, iat=past, nbf=past, exp=past + 3600)
    _assert_refused(client, token, "expired")


def test_tampered_token_is_refused(app: App) -> None:
    client, _process = app
    token = login(client)["access_token"]
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "admin"  # escalate
    _assert_refused(client, f"{header}.{_b64(claims)}.{signature}", "signature")


def test_wrong_issuer_is_refused(app: App) -> None:
    client, process = app
    _assert_refused(client, _signed(process, iss="https://evil.example"), "issuer")


def test_wrong_audience_is_refused(app: App) -> None:
    client, process = app
    _assert_refused(client, _signed(process, aud="another-api"), "audience")


def test_unknown_key_is_refused(app: App) -> None:
    client, process = app
    other = Ed25519PrivateKey.generate()
    _assert_refused(
        client,
        _signed(process, key=other, kid=key_id(other.public_key())),
        "not one of the published keys",
    )


def test_right_kid_wrong_key_is_refused(app: App) -> None:
    client, process = app
    _assert_refused(client, _signed(process, key=Ed25519PrivateKey.generate()), "signature")


def test_missing_claims_are_refused(app: App) -> None:
    client, process = app
    _assert_refused(client, _signed(process, jti=None), "jti")
    _assert_refused(client, _signed(process, exp=None), "exp")


def test_not_yet_valid_is_refused(app: App) -> None:
    client, process = app
    future = int((dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).timestamp())
    _assert_refused(client, _signed(process, nbf=future, iat=future), "not valid yet")


def test_garbage_and_bad_schemes_are_refused(app: App) -> None:
    client, _ = app
    _assert_refused(client, "not.a.jwt", "well-formed")
    response = client.get("/auth/me", headers={"Authorization": "Basic YTpi"})
    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]
