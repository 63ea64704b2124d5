"""The microservices mode for real: gateway, auth and API as three processes on PostgreSQL and
Redis. Logs in and calls the API through the gateway, and proves the API refuses whatever did
not come through the gateway, even with a valid token."""

from __future__ import annotations

import datetime as dt
import os
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
from plant_analytics.security.gateway_signature import signature_headers
from tests.conftest import REDIS_URL, create_postgres_database, drop_postgres_database

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(180)]
CLI = Path(sys.executable).parent / "plant-analytics"
EMAIL, PASSWORD = "analyst@example.com", "integration password"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Stack:
    gateway: str
    auth: str
    api: str
    secret: str
    processes: dict[str, subprocess.Popen[bytes]]
    logs: dict[str, Path]

    def log(self, name: str) -> str:
        return self.logs[name].read_text(errors="replace")[-4000:]


def _wait_healthy(name: str, url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"{name} exited with {process.returncode}:\n"
                f"{log.read_text(errors='replace')[-4000:]}"
            )
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{name} not healthy within 60 s:\n{log.read_text(errors='replace')[-4000:]}")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("microservices")
    database = f"pa_it_{uuid.uuid4().hex[:10]}"
    url = create_postgres_database(database)
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        repository.insert_user(
            conn,
            email=EMAIL,
            password_hash=hash_password(PASSWORD),
            role="analyst",
            full_name=None,
            now=dt.datetime.now(dt.UTC),
        )
    engine.dispose()
    ports = {name: _free_port() for name in ("gateway", "auth", "api")}
    secret = uuid.uuid4().hex
    env = {
        **os.environ,
        "PA_ENV": "test",
        "PA_DATA_DIR": str(tmp / "data"),
        "PA_DATABASE_URL": url,
        "PA_REDIS_URL": REDIS_URL,
        "PA_REDIS_KEY_PREFIX": f"pa-it-{uuid.uuid4().hex[:8]}",
        "PA_INTERNAL_SECRET": secret,
        "PA_ADMIN_PASSWORD": "integration-admin-password",
        "PA_SIGNING_KEY_FILE": str(generate_key_file(tmp / "keys" / "current.pem")),
        "PA_AUTH_URL": f"http://127.0.0.1:{ports['auth']}",
        "PA_API_URL": f"http://127.0.0.1:{ports['api']}",
        "PA_STARTUP_TIMEOUT_SECONDS": "20",
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
        yield Stack(
            gateway=f"http://127.0.0.1:{ports['gateway']}",
            auth=f"http://127.0.0.1:{ports['auth']}",
            api=f"http://127.0.0.1:{ports['api']}",
            secret=secret,
            processes=processes,
            logs=logs,
        )
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


@pytest.fixture(scope="module")
def token(stack: Stack) -> str:
    response = httpx.post(
        f"{stack.gateway}/auth/login", json={"email": EMAIL, "password": PASSWORD}, timeout=10
    )
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"access_token", "refresh_token", "token_type", "expires_in"}
    return str(response.json()["access_token"])


def test_login_and_api_through_the_gateway(stack: Stack, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}", "X-Request-ID": "it-request-1"}
    me = httpx.get(f"{stack.gateway}/auth/me", headers=headers, timeout=10)
    assert me.status_code == 200
    assert me.json()["email"] == EMAIL
    years = httpx.get(f"{stack.gateway}/api/v1/years", headers=headers, timeout=20)
    assert years.status_code == 200, (years.text, stack.log("api"))
    assert years.headers["x-request-id"] == "it-request-1"
    assert years.headers["ratelimit-limit"]
    assert int(years.headers["ratelimit-remaining"]) >= 0
    jwks = httpx.get(f"{stack.gateway}/.well-known/jwks.json", timeout=10).json()
    assert jwks["keys"]
    assert jwks["keys"][0]["alg"] == "EdDSA"


def test_an_api_key_through_the_gateway(stack: Stack, token: str) -> None:
    """/auth/api-keys and /auth/token reach the auth service, and the token works on the API."""
    session = {"Authorization": f"Bearer {token}"}
    created = httpx.post(
        f"{stack.gateway}/auth/api-keys", headers=session, json={"name": "it"}, timeout=10
    )
    assert created.status_code == 201, (created.text, stack.log("auth"))
    key = created.json()["api_key"]
    exchanged = httpx.post(f"{stack.gateway}/auth/token", json={"api_key": key}, timeout=10)
    assert exchanged.status_code == 200, exchanged.text
    headers = {"Authorization": f"Bearer {exchanged.json()['access_token']}"}
    years = httpx.get(f"{stack.gateway}/api/v1/years", headers=headers, timeout=20)
    assert years.status_code == 200, (years.text, stack.log("api"))
    key_id = created.json()["id"]
    revoked = httpx.delete(f"{stack.gateway}/auth/api-keys/{key_id}", headers=session, timeout=10)
    assert revoked.status_code == 204
    refused = httpx.post(f"{stack.gateway}/auth/token", json={"api_key": key}, timeout=10)
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "revoked" in refused.json()["detail"]


def test_gateway_checks_the_token_first(stack: Stack) -> None:
    response = httpx.get(f"{stack.gateway}/api/v1/years", timeout=10)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    forged = httpx.get(
        f"{stack.gateway}/api/v1/years",
        timeout=10,
        headers={"Authorization": "Bearer eyJhbGciOiJub25lIn0.e30."},
    )
    assert forged.status_code == 401


def test_api_refuses_direct_calls_even_with_a_valid_token(stack: Stack, token: str) -> None:
    direct = httpx.get(
        f"{stack.api}/api/v1/years", timeout=10, headers={"Authorization": f"Bearer {token}"}
    )
    assert direct.status_code == 401
    assert "gateway" in direct.json()["detail"]
    # A header that merely looks like the gateway's is not enough.
    fake = httpx.get(
        f"{stack.api}/api/v1/years",
        timeout=10,
        headers={
            "Authorization": f"Bearer {token}",
            "X-PA-Gateway-Signature": "v1=" + "0" * 64,
            "X-PA-Gateway-Timestamp": str(int(time.time())),
            "X-PA-Gateway-Nonce": "0" * 32,
        },
    )
    assert fake.status_code == 401


def test_api_refuses_forged_stale_and_replayed_signatures(stack: Stack, token: str) -> None:
    auth = f"Bearer {token}"
    path = "/api/v1/years"

    def call(headers: dict[str, str]) -> httpx.Response:
        return httpx.get(
            f"{stack.api}{path}", headers={**headers, "Authorization": auth}, timeout=10
        )

    forged = signature_headers(b"a guessed secret", "GET", path, "r", b"", auth)
    assert call(forged).status_code == 401
    stale = signature_headers(
        stack.secret.encode(), "GET", path, "r", b"", auth, now=time.time() - 600
    )
    assert "time window" in call(stale).json()["detail"]
    # The mechanism itself: a fresh signature with the real key passes, once.
    fresh = signature_headers(stack.secret.encode(), "GET", path, "r", b"", auth)
    assert call(fresh).status_code == 200
    assert "replay" in call(fresh).json()["detail"]


def test_every_service_reports_ready_and_metrics(stack: Stack) -> None:
    ready = httpx.get(f"{stack.gateway}/ready", timeout=10).json()
    assert ready["status"] == "ready", ready
    assert set(ready["components"]["gateway"]) == {"redis", "auth", "api"}
    api_ready = httpx.get(f"{stack.api}/ready", timeout=10).json()
    assert api_ready["components"]["api"]["database"]["status"] == "ok"
    metrics = httpx.get(f"{stack.api}/metrics", timeout=10).text
    assert 'route="/api/v1/years"' in metrics


def test_sigterm_stops_cleanly(stack: Stack) -> None:
    process = stack.processes["gateway"]
    process.send_signal(signal.SIGTERM)
    # uvicorn shuts down gracefully, then re-raises the signal so the exit status tells why.
    assert process.wait(20) in (0, -signal.SIGTERM), stack.log("gateway")
    assert "Application shutdown complete" in stack.log("gateway")
    assert "Traceback" not in stack.log("gateway")
