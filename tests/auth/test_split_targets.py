"""Issue 13 in the microservices mode: gateway, auth and API as three processes (the real
``plant-analytics serve --target …``) on PostgreSQL and Redis, as tests/integration runs them.

Tokens are verified by the gateway and by the API alone from the JWKS, without asking auth:
these tests prove that a deleted or disabled user's tokens stop there too, at once."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from plant_analytics.auth import repository
from plant_analytics.auth.keys import generate_key_file
from plant_analytics.auth.service import hash_password
from plant_analytics.db.engine import make_engine
from plant_analytics.db.migrate import upgrade
from tests.conftest import REDIS_URL, create_postgres_database, drop_postgres_database

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(180)]
CLI = Path(sys.executable).parent / "plant-analytics"
ADMIN, ADMIN_PASSWORD = "root@example.com", "split admin password"
PASSWORD = "split user password"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Stack:
    gateway: str
    logs: dict[str, Path]

    def log(self, name: str) -> str:
        return self.logs[name].read_text(errors="replace")[-4000:]

    def post(self, path: str, **kwargs: object) -> httpx.Response:
        return httpx.post(f"{self.gateway}{path}", timeout=20, **kwargs)  # type: ignore[arg-type]

    def get(self, path: str, token: str) -> httpx.Response:
        return httpx.get(
            f"{self.gateway}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=20
        )

    def login(self, email: str, password: str = PASSWORD) -> dict[str, str]:
        response = self.post("/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200, (response.text, self.log("auth"))
        return response.json()  # type: ignore[no-any-return]

    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.login(ADMIN, ADMIN_PASSWORD)['access_token']}"}

    def create_user(self, email: str, role: str = "analyst") -> int:
        response = httpx.post(
            f"{self.gateway}/auth/users",
            headers=self.admin(),
            json={"email": email, "password": PASSWORD, "role": role},
            timeout=20,
        )
        assert response.status_code == 201, response.text
        return int(response.json()["id"])


def _wait_healthy(name: str, url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{name} exited:\n{log.read_text(errors='replace')[-4000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{name} not healthy within 60 s:\n{log.read_text(errors='replace')[-4000:]}")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("split")
    database = f"pa_split_{uuid.uuid4().hex[:10]}"
    url = create_postgres_database(database)
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        repository.insert_user(
            conn,
            email=ADMIN,
            password_hash=hash_password(ADMIN_PASSWORD),
            role="admin",
            full_name=None,
            now=dt.datetime.now(dt.UTC),
        )
    engine.dispose()
    ports = {name: _free_port() for name in ("gateway", "auth", "api")}
    env = {
        **os.environ,
        "PA_ENV": "test",
        "PA_DATA_DIR": str(tmp / "data"),
        "PA_DATABASE_URL": url,
        "PA_REDIS_URL": REDIS_URL,
        "PA_REDIS_KEY_PREFIX": f"pa-split-{uuid.uuid4().hex[:8]}",
        "PA_INTERNAL_SECRET": uuid.uuid4().hex,
        "PA_ADMIN_PASSWORD": "split-admin-password",
        "PA_SIGNING_KEY_FILE": str(generate_key_file(tmp / "keys" / "current.pem")),
        "PA_AUTH_URL": f"http://127.0.0.1:{ports['auth']}",
        "PA_API_URL": f"http://127.0.0.1:{ports['api']}",
        "PA_STARTUP_TIMEOUT_SECONDS": "20",
        # As behind a load balancer on this host: the gateway believes the X-Forwarded-For
        # the tests send, which is how they act as several clients.
        "PA_TRUSTED_PROXIES": "127.0.0.1",
    }
    processes: dict[str, subprocess.Popen[bytes]] = {}
    logs: dict[str, Path] = {}
    try:
        for name in ("auth", "api", "gateway"):
            logs[name] = tmp / f"{name}.log"
            with logs[name].open("wb") as handle:
                processes[name] = subprocess.Popen(
                    [str(CLI), "serve", "--target", name, "--port", str(ports[name])],
                    env=env,
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                )
        for name, process in processes.items():
            _wait_healthy(name, f"http://127.0.0.1:{ports[name]}", process, logs[name])
        yield Stack(gateway=f"http://127.0.0.1:{ports['gateway']}", logs=logs)
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
        drop_postgres_database(database)


def _works(stack: Stack, token: str) -> None:
    assert stack.get("/auth/me", token).status_code == 200
    api = stack.get("/api/v1/years", token)
    assert api.status_code == 200, (api.text, stack.log("api"))


def _refused(stack: Stack, token: str, reason: str) -> None:
    for path in ("/auth/me", "/api/v1/years", "/auth/api-keys"):
        response = stack.get(path, token)
        assert response.status_code == 401, (path, response.text)
        assert reason in response.json()["detail"], (path, response.json())


def test_deleted_and_disabled_users_tokens_stop_at_once(stack: Stack) -> None:
    """Finding 1 across processes: the API alone (from the JWKS and its token cache) and
    auth refuse a disabled, then deleted, user's login and API-key tokens at once; the id
    of the deleted user, given to a new admin, is not what tokens name."""
    admin = stack.admin()
    user_id = stack.create_user("ana@example.com")
    session = stack.login("ana@example.com")
    token = session["access_token"]
    created = stack.post(
        "/auth/api-keys", headers={"Authorization": f"Bearer {token}"}, json={"name": "s"}
    )
    assert created.status_code == 201, created.text
    key = created.json()["api_key"]
    key_token = stack.post("/auth/token", json={"api_key": key}).json()["access_token"]
    for access in (token, key_token):
        _works(stack, access)  # verified, and now cached, by the gateway and the API

    disabled = httpx.patch(
        f"{stack.gateway}/auth/users/{user_id}", headers=admin, json={"is_active": False}
    )
    assert disabled.status_code == 200
    for access in (token, key_token):
        _refused(stack, access, "disabled")
    refresh = stack.post("/auth/refresh", json={"refresh_token": session["refresh_token"]})
    assert refresh.status_code == 401
    assert stack.post("/auth/token", json={"api_key": key}).status_code == 401

    assert httpx.delete(f"{stack.gateway}/auth/users/{user_id}", headers=admin).status_code == 204
    boss = httpx.post(
        f"{stack.gateway}/auth/users",
        headers=admin,
        json={"email": "boss@example.com", "password": PASSWORD, "role": "admin"},
    )
    assert boss.status_code == 201
    for access in (token, key_token):
        _refused(stack, access, "no longer exists")
    new_key = stack.post(
        "/auth/api-keys", headers={"Authorization": f"Bearer {token}"}, json={"name": "x"}
    )
    assert new_key.status_code == 401
    _works(stack, stack.login("boss@example.com")["access_token"])


def test_failed_logins_throttle_the_client_not_the_account_alike_for_unknown_ones(
    stack: Stack,
) -> None:
    """Findings 2 and 3 across processes: through the gateway, the failing client waits
    (429) for that account while the owner's client logs in; an unknown account gets the
    same answers, status and throttling as a known one."""
    stack.create_user("eve-target@example.com")
    attacker = {"X-Forwarded-For": "203.0.113.7"}

    def answers(email: str) -> list[tuple[int, str, bool]]:
        result = []
        for _ in range(6):
            response = stack.post(
                "/auth/login", json={"email": email, "password": "guess"}, headers=attacker
            )
            result.append(
                (
                    response.status_code,
                    re.sub(r"\d+", "N", response.json()["detail"]),  # the wait: by the clock
                    "retry-after" in response.headers,  # its value: seconds left, by the clock
                )
            )
        return result

    known = answers("eve-target@example.com")
    assert [status for status, *_ in known] == [401] * 5 + [429], stack.log("auth")
    assert known == answers("nobody@example.com")
    owner = stack.post(
        "/auth/login",
        json={"email": "eve-target@example.com", "password": PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.2"},
    )
    assert owner.status_code == 200, (owner.text, stack.log("auth"))
