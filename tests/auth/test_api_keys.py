"""API keys for scripts: made and shown once, stored hashed, exchanged at POST /auth/token for
an access token that works on the API, revoked; every refusal is a clear 401 problem+json.
On SQLite and PostgreSQL, through the target ``all`` (gateway guard, auth, API stand-in)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from plant_analytics.auth.api_keys import KEY_PATTERN, FailureThrottle, parse_key_id
from plant_analytics.auth.models import api_key
from plant_analytics.auth.service import AuthService
from plant_analytics.security.principal import Role
from plant_analytics.server import combined_openapi
from plant_analytics.settings import Settings
from plant_analytics.targets import Process
from tests.support.platform import bearer, login, make_user, running, settings_for

App = tuple[TestClient, Process]


@pytest.fixture
def app(engine: Engine, tmp_path: Path, stub_api: None) -> Iterator[App]:
    """Target all in-process, on SQLite and on PostgreSQL."""
    with running("all", settings_for(engine, tmp_path)) as pair:
        yield pair


def _session(client: TestClient, process: Process, email: str, role: Role) -> dict[str, str]:
    make_user(process, email, role)
    return bearer(login(client, email)["access_token"])


def _create(client: TestClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = client.post("/auth/api-keys", headers=headers, json={"name": "script", **body})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _exchange(client: TestClient, key: str) -> Any:
    return client.post("/auth/token", json={"api_key": key})


def _refused(response: Any, reason: str, status: int = 401) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert reason in body["detail"], body


def _expire(process: Process, key_id: str, when: dt.datetime) -> None:
    assert process.engine is not None
    with process.engine.begin() as conn:
        conn.execute(sa.update(api_key).where(api_key.c.id == key_id).values(expires_at=when))


def test_create_show_once_exchange_use_revoke(app: App) -> None:
    client, process = app
    session = _session(client, process, "ana@example.com", Role.ANALYST)
    created = _create(client, session, name="nightly export")
    key = created["api_key"]
    assert KEY_PATTERN.fullmatch(key)
    assert created["id"] == parse_key_id(key)
    assert created["prefix"] == f"pa_{created['id']}"
    assert key.startswith(created["prefix"] + "_")
    assert (created["name"], created["role"], created["status"]) == (
        "nightly export",
        "analyst",
        "active",
    )
    assert created["owner_email"] == "ana@example.com"
    assert created["expires_at"] is None
    assert created["last_used_at"] is None

    # Shown once: never again in a list.
    listed = client.get("/auth/api-keys", headers=session)
    assert listed.status_code == 200
    assert [k["id"] for k in listed.json()["data"]] == [created["id"]]
    assert "api_key" not in listed.json()["data"][0]
    assert key.split("_", 2)[2] not in listed.text

    exchanged = _exchange(client, key)
    assert exchanged.status_code == 200, exchanged.text
    body = exchanged.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    me = client.get("/auth/me", headers=session).json()
    assert (me["id"], claims["sub"]) == (created["user_id"], me["subject"])
    assert claims["email"] == "ana@example.com"
    assert claims["role"] == "analyst"
    assert claims["amr"] == ["api_key"]
    assert claims["client_id"] == created["id"]
    assert claims["exp"] - claims["iat"] == 3600

    token = bearer(body["access_token"])
    whoami = client.get("/api/v1/whoami", headers=token)
    assert whoami.status_code == 200, whoami.text
    assert whoami.json() == {"sub": claims["sub"], "email": "ana@example.com", "role": "analyst"}
    assert client.get("/auth/me", headers=token).json()["email"] == "ana@example.com"
    assert client.get("/auth/api-keys", headers=session).json()["data"][0]["last_used_at"]

    assert client.delete(f"/auth/api-keys/{created['id']}", headers=session).status_code == 204
    _refused(_exchange(client, key), "this API key was revoked on")
    assert client.get("/auth/api-keys", headers=session).json()["data"][0]["status"] == "revoked"
    # Revoking again is not an error.
    assert client.delete(f"/auth/api-keys/{created['id']}", headers=session).status_code == 204


def test_only_the_hash_is_stored(app: App) -> None:
    client, process = app
    session = _session(client, process, "ana@example.com", Role.ANALYST)
    key = _create(client, session)["api_key"]
    secret = key.split("_", 2)[2]
    assert process.engine is not None
    with process.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sa.select(api_key))]
    assert len(rows) == 1
    assert rows[0]["secret_hash"] == hashlib.sha256(key.encode()).hexdigest()
    stored = " ".join(str(v) for v in rows[0].values())
    assert secret not in stored
    assert key not in stored


def test_expired_key_is_refused(app: App) -> None:
    client, process = app
    session = _session(client, process, "ana@example.com", Role.ANALYST)
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)
    created = _create(client, session, expires_at=soon.isoformat())
    # No token outlives its key.
    expires_in = _exchange(client, created["api_key"]).json()["expires_in"]
    assert 590 <= expires_in <= 600
    _expire(process, created["id"], dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    _refused(_exchange(client, created["api_key"]), "this API key expired on")
    assert client.get("/auth/api-keys", headers=session).json()["data"][0]["status"] == "expired"
    past = client.post(
        "/auth/api-keys",
        headers=session,
        json={"name": "old", "expires_at": "2001-01-01T00:00:00Z"},
    )
    assert past.status_code == 422
    assert "expires_at" in past.json()["detail"]


def test_wrong_secret_unknown_and_malformed_keys_are_refused(app: App) -> None:
    client, process = app
    session = _session(client, process, "ana@example.com", Role.ANALYST)
    key = _create(client, session)["api_key"]
    key_id, secret = key[3:19], key[20:]
    wrong = f"pa_{key_id}_{secret[:-1]}{'A' if secret[-1] != 'A' else 'B'}"
    _refused(_exchange(client, wrong), "invalid API key: no such key, or the secret does not match")
    unknown = f"pa_{'0' * 16}_{secret}"
    _refused(_exchange(client, unknown), "invalid API key")
    for malformed in ("", "pa_", "not a key", key[:-1], key + "x", "rt_" + key[3:], key.upper()):
        _refused(_exchange(client, malformed), "malformed API key: an API key looks like pa_")
    assert client.post("/auth/token", json={}).status_code == 422
    # The real key still works: failures do not lock it.
    assert _exchange(client, key).status_code == 200


def test_a_key_never_exceeds_its_owner(app: App) -> None:
    client, process = app
    viewer = _session(client, process, "view@example.com", Role.VIEWER)
    _refused(
        client.post("/auth/api-keys", headers=viewer, json={"name": "x", "role": "admin"}),
        "cannot have more rights than its owner: your role is viewer",
        403,
    )
    _refused(
        client.post("/auth/api-keys", headers=viewer, json={"name": "x", "role": "analyst"}),
        "cannot have more rights",
        403,
    )
    assert _create(client, viewer)["role"] == "viewer"
    analyst = _session(client, process, "ana@example.com", Role.ANALYST)
    lower = _create(client, analyst, role="viewer")
    assert lower["role"] == "viewer"
    token = _exchange(client, lower["api_key"]).json()["access_token"]
    assert client.get("/api/v1/whoami", headers=bearer(token)).json()["role"] == "viewer"


def test_the_exchange_follows_the_owners_current_state(app: App) -> None:
    client, process = app
    admin = _session(client, process, "root@example.com", Role.ADMIN)
    analyst = _session(client, process, "ana@example.com", Role.ANALYST)
    created = _create(client, analyst)
    user_id = created["user_id"]

    client.patch(f"/auth/users/{user_id}", headers=admin, json={"role": "viewer"})
    demoted = _exchange(client, created["api_key"]).json()["access_token"]
    assert jwt.decode(demoted, options={"verify_signature": False})["role"] == "viewer"

    client.patch(f"/auth/users/{user_id}", headers=admin, json={"is_active": False})
    _refused(_exchange(client, created["api_key"]), "the owner of this API key is disabled")

    client.patch(
        f"/auth/users/{user_id}", headers=admin, json={"is_active": True, "role": "analyst"}
    )
    again = _exchange(client, created["api_key"]).json()["access_token"]
    assert jwt.decode(again, options={"verify_signature": False})["role"] == "analyst"

    # Deleting the user deletes their keys.
    assert client.delete(f"/auth/users/{user_id}", headers=admin).status_code == 204
    _refused(_exchange(client, created["api_key"]), "invalid API key")
    assert client.get("/auth/api-keys?all=true", headers=admin).json()["data"] == []


def test_users_manage_their_own_keys_admins_anyones(app: App) -> None:
    client, process = app
    admin = _session(client, process, "root@example.com", Role.ADMIN)
    ana = _session(client, process, "ana@example.com", Role.ANALYST)
    bob = _session(client, process, "bob@example.com", Role.ANALYST)
    anas = _create(client, ana, name="ana's")
    bobs = _create(client, bob, name="bob's")

    # Bob sees and revokes only his own.
    assert [k["id"] for k in client.get("/auth/api-keys", headers=bob).json()["data"]] == [
        bobs["id"]
    ]
    _refused(client.delete(f"/auth/api-keys/{anas['id']}", headers=bob), "you have no API key", 404)
    assert _exchange(client, anas["api_key"]).status_code == 200
    _refused(client.get("/auth/api-keys?all=true", headers=bob), "needs the admin role", 403)
    _refused(
        client.get(f"/auth/api-keys?user_id={anas['user_id']}", headers=bob),
        "needs the admin role",
        403,
    )
    assert client.delete("/auth/api-keys/not-an-id", headers=bob).status_code == 422
    assert client.get("/auth/api-keys").status_code == 401

    # The admin lists everyone's, or one user's, and revokes anyone's.
    everyone = client.get("/auth/api-keys?all=true", headers=admin).json()["data"]
    assert {k["id"] for k in everyone} == {anas["id"], bobs["id"]}
    anas_only = client.get(f"/auth/api-keys?user_id={anas['user_id']}", headers=admin).json()
    assert [k["id"] for k in anas_only["data"]] == [anas["id"]]
    assert client.get("/auth/api-keys", headers=admin).json()["data"] == []
    assert client.delete(f"/auth/api-keys/{anas['id']}", headers=admin).status_code == 204
    _refused(_exchange(client, anas["api_key"]), "revoked")
    _refused(client.delete(f"/auth/api-keys/{'0' * 16}", headers=admin), "there is no API key", 404)


def test_a_token_from_a_key_cannot_make_keys(app: App) -> None:
    client, process = app
    session = _session(client, process, "root@example.com", Role.ADMIN)
    created = _create(client, session)
    token = bearer(_exchange(client, created["api_key"]).json()["access_token"])
    _refused(
        client.post("/auth/api-keys", headers=token, json={"name": "persist"}),
        "only be created from a login session",
        403,
    )
    # It may still list and revoke (a script can retire its own key).
    assert len(client.get("/auth/api-keys", headers=token).json()["data"]) == 1
    assert client.delete(f"/auth/api-keys/{created['id']}", headers=token).status_code == 204


def test_failed_exchanges_are_throttled_per_address(app: App) -> None:
    client, process = app
    service: AuthService = process.state["auth_service"]
    service.key_throttle = FailureThrottle(limit=3)
    session = _session(client, process, "ana@example.com", Role.ANALYST)
    key = _create(client, session)["api_key"]
    for _ in range(3):
        _refused(_exchange(client, "pa_guess"), "malformed")
    limited = _exchange(client, key)  # even a good key, until the window moves on
    _refused(limited, "too many failed API key exchanges from this address", 429)
    assert 1 <= int(limited.headers["Retry-After"]) <= 60


def test_clients_behind_the_gateway_do_not_share_a_budget(app: App) -> None:
    client, process = app
    service: AuthService = process.state["auth_service"]
    service.key_throttle = FailureThrottle(limit=2)
    session = _session(client, process, "ana@example.com", Role.ANALYST)
    key = _create(client, session)["api_key"]
    attacker = {"X-Forwarded-For": "203.0.113.7"}
    for _ in range(2):
        assert (
            client.post("/auth/token", json={"api_key": "x"}, headers=attacker).status_code == 401
        )
    assert client.post("/auth/token", json={"api_key": key}, headers=attacker).status_code == 429
    # Another client forwarded by the same peer still gets in.
    script = {"X-Forwarded-For": "198.51.100.2"}
    assert client.post("/auth/token", json={"api_key": key}, headers=script).status_code == 200


def test_failure_throttle_window() -> None:
    throttle = FailureThrottle(limit=2, window_seconds=60)
    assert throttle.retry_after("a", now=0) is None
    assert throttle.record("a", now=0) == 1
    assert throttle.record("a", now=10) == 2
    assert throttle.retry_after("a", now=11) == 49
    assert throttle.retry_after("b", now=11) is None
    assert throttle.retry_after("a", now=60.5) is None  # the first failure left the window
    assert throttle.record("a", now=61) == 2
    assert throttle.retry_after("a", now=69) == 1
    small = FailureThrottle(limit=1, max_addresses=2)
    for n, address in enumerate("xyz"):
        small.record(address, now=n)
    assert small.retry_after("x", now=3) is None  # forgotten to make room
    assert small.retry_after("z", now=3) is not None


def test_the_exchange_is_documented_as_public() -> None:
    document = combined_openapi(Settings())
    token = document["paths"]["/auth/token"]["post"]
    assert token["security"] == []
    assert "429" in token["responses"]
    assert "401" in token["responses"]
    keys = document["paths"]["/auth/api-keys"]
    assert set(keys) == {"get", "post"}
    assert keys["post"]["security"] == [{"bearerAuth": []}]
    assert "delete" in document["paths"]["/auth/api-keys/{key_id}"]
    schemas = document["components"]["schemas"]
    assert re.fullmatch(KEY_PATTERN, schemas["ApiKeyExchange"]["examples"][0]["api_key"])
