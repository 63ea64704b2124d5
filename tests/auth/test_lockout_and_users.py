"""Failed logins slow down, then make the failing client wait; admins manage users; the demo
admin is development-only."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from plant_analytics.auth.service import ensure_admin
from plant_analytics.auth.throttle import LoginPolicy
from plant_analytics.security.principal import Role
from plant_analytics.settings import DEFAULT_ADMIN_EMAIL, DEFAULT_ADMIN_PASSWORD, Settings
from plant_analytics.targets import Process
from tests.support.platform import PASSWORD, bearer, login, make_user

App = tuple[TestClient, Process]


def test_failures_make_that_client_wait_with_a_clear_429_not_lock_the_account(
    auth_app: App,
) -> None:
    """Was: five failures locked the account (423), the right password refused too. Now the
    client that failed waits; the owner, from another client, logs in."""
    client, process = auth_app
    make_user(process)
    wrong = {"email": "ana@example.com", "password": "wrong password"}
    details = [client.post("/auth/login", json=wrong).json()["detail"] for _ in range(5)]
    assert set(details) == {"wrong email or password"}  # no count that tells the account
    waiting = client.post("/auth/login", json=wrong)
    assert waiting.status_code == 429
    assert waiting.headers["content-type"].startswith("application/problem+json")
    assert "from this client" in waiting.json()["detail"]
    assert 1 <= int(waiting.headers["Retry-After"]) <= 30
    right = {"email": "ana@example.com", "password": PASSWORD}
    assert client.post("/auth/login", json=right).status_code == 429  # this client waits
    elsewhere = client.post("/auth/login", json=right, headers={"X-Forwarded-For": "192.0.2.8"})
    assert elsewhere.status_code == 200


def test_waits_double_and_are_capped() -> None:
    policy = LoginPolicy(max_failures=5, first_wait_seconds=30, lockout_seconds=900)
    assert [policy.wait(n) for n in (1, 4, 5, 6, 7, 9, 10, 20)] == [
        0,
        0,
        30,
        60,
        120,
        480,
        900,
        900,
    ]


def test_failures_are_slowed_incrementally() -> None:
    policy = LoginPolicy(base_delay_seconds=0.5, max_delay_seconds=4)
    assert [policy.delay(n) for n in (1, 2, 3, 4, 5, 9)] == [0.5, 1, 2, 4, 4, 4]


def test_an_admin_unlocks_and_success_resets_the_count(auth_app: App) -> None:
    client, process = auth_app
    make_user(process, "root@example.com", Role.ADMIN)
    user_id = make_user(process)
    for _ in range(5):
        client.post("/auth/login", json={"email": "ana@example.com", "password": "bad"})
    assert (
        client.post(
            "/auth/login", json={"email": "ana@example.com", "password": PASSWORD}
        ).status_code
        == 429
    )
    admin = bearer(login(client, "root@example.com")["access_token"])
    unlocked = client.post(f"/auth/users/{user_id}/unlock", headers=admin)
    assert unlocked.status_code == 200
    assert unlocked.json()["locked_until"] is None
    login(client)
    # A success cleared this client's count: four more failures do not make it wait.
    for _ in range(4):
        client.post("/auth/login", json={"email": "ana@example.com", "password": "bad"})
    login(client)


def test_users_crud_is_for_admins(auth_app: App) -> None:
    client, process = auth_app
    make_user(process, "root@example.com", Role.ADMIN)
    make_user(process, "view@example.com", Role.VIEWER)
    viewer = bearer(login(client, "view@example.com")["access_token"])
    assert client.get("/auth/users", headers=viewer).status_code == 403
    admin = bearer(login(client, "root@example.com")["access_token"])
    created = client.post(
        "/auth/users",
        headers=admin,
        json={"email": "new@example.com", "password": "long enough pw", "role": "analyst"},
    )
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    assert (
        client.post(
            "/auth/users",
            headers=admin,
            json={"email": "new@example.com", "password": "long enough pw"},
        ).status_code
        == 409
    )
    short = client.post(
        "/auth/users", headers=admin, json={"email": "x@example.com", "password": "short"}
    )
    assert short.status_code == 422
    assert "password" in short.json()["detail"]
    emails = [u["email"] for u in client.get("/auth/users", headers=admin).json()["data"]]
    assert "new@example.com" in emails
    session = login(client, "new@example.com", "long enough pw")
    patched = client.patch(
        f"/auth/users/{user_id}", headers=admin, json={"role": "viewer", "is_active": False}
    )
    assert patched.json()["role"] == "viewer"
    assert patched.json()["is_active"] is False
    # Disabling revoked the sessions, and the password no longer logs in.
    assert (
        client.post("/auth/refresh", json={"refresh_token": session["refresh_token"]}).status_code
        == 401
    )
    assert (
        client.post(
            "/auth/login", json={"email": "new@example.com", "password": "long enough pw"}
        ).status_code
        == 401
    )
    assert client.delete(f"/auth/users/{user_id}", headers=admin).status_code == 204
    assert client.get(f"/auth/users/{user_id}", headers=admin).status_code == 404


def test_the_last_admin_cannot_be_removed(auth_app: App) -> None:
    client, process = auth_app
    admin_id = make_user(process, "root@example.com", Role.ADMIN)
    admin = bearer(login(client, "root@example.com")["access_token"])
    response = client.patch(f"/auth/users/{admin_id}", headers=admin, json={"role": "viewer"})
    assert response.status_code == 409
    assert "last active admin" in response.json()["detail"]
    assert client.delete(f"/auth/users/{admin_id}", headers=admin).status_code == 409


def test_demo_admin_only_in_development(engine: Engine, tmp_path: Path) -> None:
    url = engine.url.render_as_string(hide_password=False)
    test_env = Settings(env="test", data_dir=tmp_path, database_url=url)
    assert "no admin created" in ensure_admin(engine, test_env)[0]
    dev = Settings(env="development", data_dir=tmp_path, database_url=url)
    lines = ensure_admin(engine, dev)
    assert lines == [f"demo login: {DEFAULT_ADMIN_EMAIL} / {DEFAULT_ADMIN_PASSWORD}"]
    assert ensure_admin(engine, dev) == lines  # idempotent


def test_production_admin_comes_from_the_environment(sqlite_engine: Engine, tmp_path: Path) -> None:
    prod = Settings(
        env="production",
        data_dir=tmp_path,
        admin_email="Ops@Example.com",
        admin_password="a-real-secret-password",
        internal_secret="s3cret",
        database_url=sqlite_engine.url.render_as_string(),
    )
    assert ensure_admin(sqlite_engine, prod) == ["admin user ops@example.com created"]
    assert ensure_admin(sqlite_engine, prod) == []
    with pytest.raises(ValueError, match="PA_ADMIN_PASSWORD"):
        Settings(env="production", internal_secret="s3cret")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/auth/users/9223372036854775808"),
        ("PATCH", "/auth/users/9223372036854775808"),
        ("POST", "/auth/users/9223372036854775808/unlock"),
        ("DELETE", "/auth/users/99999999999999999999"),
        ("GET", "/auth/api-keys?user_id=9223372036854775808"),
    ],
)
def test_a_user_id_no_database_stores_is_a_422_not_a_500(
    auth_app: tuple[TestClient, Process], method: str, path: str
) -> None:
    client, process = auth_app
    make_user(process, "root@example.com", Role.ADMIN)
    admin = bearer(login(client, "root@example.com")["access_token"])
    response = client.request(method, path, headers=admin, json={})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
