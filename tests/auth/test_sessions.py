"""Login, refresh rotation, logout and /auth/me, through the HTTP routes."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from plant_analytics.security.principal import Role
from plant_analytics.targets import Process
from tests.support.platform import bearer, login, make_user, running, settings_for

App = tuple[TestClient, Process]


@pytest.mark.parametrize(
    "engine", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_login_returns_the_documented_token_pair(
    engine: Engine, tmp_path: Path, stub_api: None
) -> None:
    with running("auth", settings_for(engine, tmp_path)) as (client, process):
        make_user(process, "Ana@Example.com", Role.ANALYST)
        body = login(client, "ana@example.com")
        assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
        assert body["token_type"] == "bearer"
        assert body["expires_in"] == 3600
        header = jwt.get_unverified_header(body["access_token"])
        assert header["alg"] == "EdDSA"
        assert header["kid"] in {
            k["kid"] for k in client.get("/.well-known/jwks.json").json()["keys"]
        }
        claims = jwt.decode(body["access_token"], options={"verify_signature": False})
        assert {"iss", "aud", "exp", "iat", "nbf", "jti", "sub", "role", "email"} <= set(claims)
        assert claims["exp"] - claims["iat"] == 3600
        assert claims["role"] == "analyst"
        me = client.get("/auth/me", headers=bearer(body["access_token"]))
        assert me.status_code == 200
        assert me.json()["email"] == "ana@example.com"


def test_wrong_password_is_401_problem(auth_app: App) -> None:
    client, process = auth_app
    make_user(process)
    response = client.post("/auth/login", json={"email": "ana@example.com", "password": "nope"})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 401
    assert "wrong email or password" in body["detail"]
    assert body["detail"] == "wrong email or password"
    unknown = client.post("/auth/login", json={"email": "who@example.com", "password": "x"})
    assert unknown.status_code == 401
    assert unknown.json() == body  # the same answer: it does not tell which accounts exist


def test_invalid_login_body_is_422_naming_the_field(auth_app: App) -> None:
    client, _ = auth_app
    response = client.post("/auth/login", json={"email": "not-an-email", "password": "x"})
    assert response.status_code == 422
    assert "email" in response.json()["detail"]


def test_refresh_rotates_and_reuse_revokes_the_session(auth_app: App) -> None:
    client, process = auth_app
    make_user(process)
    first = login(client)
    second = client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    pair = second.json()
    assert pair["refresh_token"] != first["refresh_token"]
    # The used token again: reuse, which revokes the whole family, the new token included.
    reuse = client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 401
    assert "already used" in reuse.json()["detail"]
    after = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert after.status_code == 401
    assert "revoked" in after.json()["detail"]
    # Another login is another family, unaffected.
    assert (
        client.post(
            "/auth/refresh", json={"refresh_token": login(client)["refresh_token"]}
        ).status_code
        == 200
    )


def test_logout_revokes_the_refresh_token(auth_app: App) -> None:
    client, process = auth_app
    make_user(process)
    pair = login(client)
    assert (
        client.post("/auth/logout", json={"refresh_token": pair["refresh_token"]}).status_code
        == 204
    )
    refused = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refused.status_code == 401
    assert "logout" in refused.json()["detail"]
    assert client.post("/auth/refresh", json={"refresh_token": "rt_unknown"}).status_code == 401


def test_refresh_tokens_are_stored_hashed(auth_app: App) -> None:
    import sqlalchemy as sa

    from plant_analytics.auth.models import app_user, refresh_token

    client, process = auth_app
    make_user(process)
    pair = login(client)
    assert process.engine is not None
    with process.engine.connect() as conn:
        stored = conn.execute(sa.select(refresh_token.c.token_hash)).scalars().all()
        password_hash = conn.execute(sa.select(app_user.c.password_hash)).scalar_one()
    assert pair["refresh_token"] not in stored
    assert all(len(h) == 64 for h in stored)
    assert password_hash.startswith("$argon2id$")


def test_the_token_works_on_the_api(auth_app: App) -> None:
    client, process = auth_app
    make_user(process, role=Role.VIEWER)
    token = login(client)["access_token"]
    response = client.get("/api/v1/whoami", headers=bearer(token))
    assert response.status_code == 200
    assert response.json()["role"] == "viewer"
    assert client.get("/api/v1/whoami").status_code == 401
