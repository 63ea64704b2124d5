"""Issue 13, finding 1: a token names its user by a never-reused subject, and deleted,
disabled or changed users' tokens (access, refresh, API-key) stop working at once.

On SQLite and PostgreSQL through the target ``all`` (gateway guard, auth, API stand-in);
tests/auth/test_identity_microservices.py does the same across separate processes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from plant_analytics.security.principal import Role
from plant_analytics.targets import Process
from tests.support.platform import bearer, login, make_user, running, settings_for

App = tuple[TestClient, Process]


@pytest.fixture
def app(engine: Engine, tmp_path: Path, stub_api: None) -> Iterator[App]:
    with running("all", settings_for(engine, tmp_path)) as pair:
        yield pair


def _refused_everywhere(client: TestClient, token: str, reason: str) -> None:
    for method, path in (
        ("GET", "/auth/me"),
        ("GET", "/api/v1/whoami"),
        ("GET", "/auth/api-keys"),
        ("POST", "/auth/api-keys"),
        ("GET", "/auth/users"),
    ):
        response = client.request(method, path, headers=bearer(token), json={"name": "x"})
        assert response.status_code == 401, (path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert reason in response.json()["detail"], (path, response.json())


def test_a_deleted_users_token_never_becomes_the_next_users(app: App) -> None:
    """The review's attack: an analyst's token, after the analyst is deleted and an admin is
    created (on SQLite with the same id), must not act as that admin."""
    client, process = app
    make_user(process, "root@example.com", Role.ADMIN)
    root = bearer(login(client, "root@example.com")["access_token"])
    analyst_id = make_user(process, "ana@example.com", Role.ANALYST)
    stolen = login(client, "ana@example.com")
    claims = jwt.decode(stolen["access_token"], options={"verify_signature": False})
    assert str(uuid.UUID(claims["sub"])) == claims["sub"]  # a UUID, not the id
    assert claims["sub"] != str(analyst_id)
    assert client.delete(f"/auth/users/{analyst_id}", headers=root).status_code == 204
    created = client.post(
        "/auth/users",
        headers=root,
        json={"email": "boss@example.com", "password": "long enough pw", "role": "admin"},
    )
    assert created.status_code == 201
    if process.engine is not None and process.engine.dialect.name == "sqlite":
        assert created.json()["id"] == analyst_id  # SQLite reuses the id: the old attack
    assert created.json()["subject"] != claims["sub"]

    _refused_everywhere(client, stolen["access_token"], "no longer exists")
    refresh = client.post("/auth/refresh", json={"refresh_token": stolen["refresh_token"]})
    assert refresh.status_code == 401
    # The new admin's own token works.
    boss = bearer(login(client, "boss@example.com", "long enough pw")["access_token"])
    assert client.get("/auth/me", headers=boss).json()["email"] == "boss@example.com"


def test_disabling_a_user_stops_every_token_at_once(app: App) -> None:
    client, process = app
    make_user(process, "root@example.com", Role.ADMIN)
    root = bearer(login(client, "root@example.com")["access_token"])
    user_id = make_user(process, "ana@example.com", Role.ANALYST)
    session = login(client, "ana@example.com")
    token = session["access_token"]
    key = client.post("/auth/api-keys", headers=bearer(token), json={"name": "s"}).json()
    key_token = client.post("/auth/token", json={"api_key": key["api_key"]}).json()
    for access in (token, key_token["access_token"]):  # both verified, and cached, once
        assert client.get("/api/v1/whoami", headers=bearer(access)).status_code == 200

    patched = client.patch(f"/auth/users/{user_id}", headers=root, json={"is_active": False})
    assert patched.status_code == 200
    for access in (token, key_token["access_token"]):
        _refused_everywhere(client, access, "disabled")
    assert (
        client.post("/auth/refresh", json={"refresh_token": session["refresh_token"]}).status_code
        == 401
    )
    assert client.post("/auth/token", json={"api_key": key["api_key"]}).status_code == 401

    # Enabled again: the tokens of before stay dead (their generation is gone); new ones work.
    client.patch(f"/auth/users/{user_id}", headers=root, json={"is_active": True})
    _refused_everywhere(client, token, "revoked")
    fresh = login(client, "ana@example.com")["access_token"]
    assert client.get("/api/v1/whoami", headers=bearer(fresh)).status_code == 200


def test_a_demoted_admins_token_loses_the_admin_role_at_once(app: App) -> None:
    client, process = app
    make_user(process, "root@example.com", Role.ADMIN)
    root = bearer(login(client, "root@example.com")["access_token"])
    other_id = make_user(process, "other@example.com", Role.ADMIN)
    other = bearer(login(client, "other@example.com")["access_token"])
    assert client.get("/auth/users", headers=other).status_code == 200
    client.patch(f"/auth/users/{other_id}", headers=root, json={"role": "viewer"})
    refused = client.get("/auth/users", headers=other)
    assert refused.status_code == 401
    assert "revoked" in refused.json()["detail"]
    assert client.get("/api/v1/whoami", headers=other).status_code == 401


def test_existing_users_get_a_subject_from_the_migration(engine: Engine) -> None:
    import sqlalchemy as sa
    from alembic import command

    from plant_analytics.auth.models import app_user
    from plant_analytics.db.migrate import alembic_config, upgrade

    command.downgrade(alembic_config(engine), "0006_release_quality")
    with engine.begin() as conn:
        for email in ("a@example.com", "b@example.com"):
            conn.execute(
                sa.text(
                    "INSERT INTO app_user (email, password_hash, role, is_active, "
                    "failed_login_count, created_at, updated_at) VALUES "
                    "(:email, 'x', 'viewer', true, 0, :now, :now)"
                ),
                {"email": email, "now": "2024-01-01 00:00:00+00:00"},
            )
    upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(app_user.c.subject, app_user.c.token_generation)).all()
    assert len({subject for subject, _ in rows}) == 2
    assert all(uuid.UUID(subject) and generation == 0 for subject, generation in rows)
