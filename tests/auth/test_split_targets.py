"""Issue 13 in the microservices mode: gateway, auth and API as three processes (the real
``plant-analytics serve --target …``) on PostgreSQL and Redis, as tests/integration runs them.

Tokens are verified by the gateway and by the API alone from the JWKS, without asking auth:
these tests prove that a deleted or disabled user's tokens stop there too, at once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.support.live import Live, platform

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(180)]
PASSWORD = "split user password"


@dataclass
class Stack:
    live: Live

    @property
    def gateway(self) -> str:
        return self.live.url

    def log(self, name: str) -> str:
        return self.live.log(name)

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
        return self.live.admin()

    def create_user(self, email: str, role: str = "analyst") -> int:
        response = httpx.post(
            f"{self.gateway}/auth/users",
            headers=self.admin(),
            json={"email": email, "password": PASSWORD, "role": role},
            timeout=20,
        )
        assert response.status_code == 201, response.text
        return int(response.json()["id"])


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # As behind a load balancer on this host: the gateway believes the X-Forwarded-For the
    # tests send, which is how they act as several clients.
    env = {"PA_TRUSTED_PROXIES": "127.0.0.1"}
    with platform("split", tmp_path_factory.mktemp("split"), env=env) as live:
        yield Stack(live)


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
    user_id = stack.create_user("dana@example.com")
    session = stack.login("dana@example.com")
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
