"""The microservices mode for real: gateway, auth and API as three processes on PostgreSQL and
Redis. Logs in and calls the API through the gateway, and proves the API refuses whatever did
not come through the gateway, even with a valid token."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from plant_analytics.security.gateway_signature import signature_headers
from tests.support.live import ANALYST, ANALYST_PASSWORD, Live, platform

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(180)]
EMAIL, PASSWORD = ANALYST, ANALYST_PASSWORD


@dataclass
class Stack:
    live: Live

    @property
    def gateway(self) -> str:
        return self.live.url

    @property
    def auth(self) -> str:
        return self.live.services["auth"]

    @property
    def api(self) -> str:
        return self.live.services["api"]

    @property
    def secret(self) -> str:
        return self.live.secret

    @property
    def processes(self) -> dict[str, subprocess.Popen[bytes]]:
        return self.live.processes

    def log(self, name: str) -> str:
        return self.live.log(name)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # INFO: the shutdown test reads uvicorn's "Application shutdown complete".
    env = {"PA_LOG_LEVEL": "INFO"}
    with platform("split", tmp_path_factory.mktemp("microservices"), env=env) as live:
        yield Stack(live)


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
