"""Issue 13, findings 2 and 3, on SQLite and PostgreSQL through the target ``all``.

2. Nobody can lock somebody else's account: failed logins are counted per (account, client);
   the client that failed waits (429, Retry-After), the owner elsewhere still logs in, and an
   admin clears the failures.
3. Login does not tell which accounts exist: the same answer, status, throttling and cost
   (an argon2 verification against a dummy hash) for unknown e-mails as for known ones.

tests/auth/test_split_targets.py does the same through the gateway, auth and API as
separate processes."""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from plant_analytics.auth.service import (
    AuthService,
    InvalidCredentialsError,
    LoginThrottledError,
)
from plant_analytics.auth.throttle import LoginPolicy
from plant_analytics.security.principal import Role
from plant_analytics.targets import Process
from tests.support.platform import PASSWORD, bearer, login, make_user, running, settings_for

App = tuple[TestClient, Process]
ATTACKER = {"X-Forwarded-For": "203.0.113.7"}
OWNER = {"X-Forwarded-For": "198.51.100.2"}


@pytest.fixture
def app(engine: Engine, tmp_path: Path, stub_api: None) -> Iterator[App]:
    with running("all", settings_for(engine, tmp_path)) as pair:
        yield pair


def _try(client: TestClient, email: str, password: str, headers: dict[str, str]) -> Any:
    return client.post("/auth/login", json={"email": email, "password": password}, headers=headers)


def test_an_attacker_cannot_lock_the_owner_out(app: App) -> None:
    client, process = app
    make_user(process)
    answers = [_try(client, "ana@example.com", f"guess {i}", ATTACKER) for i in range(12)]
    assert [a.status_code for a in answers[:5]] == [401] * 5
    assert {a.status_code for a in answers[5:]} == {429}  # the attacker waits, not the owner
    assert int(answers[5].headers["Retry-After"]) <= 30
    # The right password from the attacker's client waits too: no guess is checked meanwhile.
    assert _try(client, "ana@example.com", PASSWORD, ATTACKER).status_code == 429
    # The owner, from a client that has not failed, logs in at once.
    owner = _try(client, "ana@example.com", PASSWORD, OWNER)
    assert owner.status_code == 200, owner.text
    # The owner's own typo does not make the owner wait.
    assert _try(client, "ana@example.com", "typo", OWNER).status_code == 401
    assert _try(client, "ana@example.com", PASSWORD, OWNER).status_code == 200


def test_the_wait_grows_with_each_failure_and_an_admin_clears_it(app: App) -> None:
    client, process = app
    make_user(process, "root@example.com", Role.ADMIN)
    user_id = make_user(process)
    service: AuthService = process.state["auth_service"]
    for _ in range(4):  # free failures: only the answer's delay
        with pytest.raises(InvalidCredentialsError):
            service.login("ana@example.com", "wrong", client="203.0.113.7")
    waits = []
    for _ in range(3):
        with pytest.raises(InvalidCredentialsError):
            service.login("ana@example.com", "wrong", client="203.0.113.7")
        with pytest.raises(LoginThrottledError) as caught:
            service.login("ana@example.com", PASSWORD, client="203.0.113.7")
        assert caught.value.retry_after is not None
        waits.append(caught.value.retry_after)
        _expire_waits(process)  # as the wait ending would; the count stays
    assert [round(w, -1) for w in waits] == [30, 60, 120]
    admin = bearer(login(client, "root@example.com")["access_token"])
    assert client.post(f"/auth/users/{user_id}/unlock", headers=admin).status_code == 200
    assert service.login("ana@example.com", PASSWORD, client="203.0.113.7").access_token


def _expire_waits(process: Process) -> None:
    import sqlalchemy as sa

    from plant_analytics.auth.models import login_throttle

    assert process.engine is not None
    with process.engine.begin() as conn:
        conn.execute(sa.update(login_throttle).values(blocked_until=None))


def test_failures_count_across_replicas(app: App) -> None:
    """Two auth replicas on one database see one count."""
    _, process = app
    make_user(process)
    assert process.engine is not None
    first: AuthService = process.state["auth_service"]
    second = AuthService(process.engine, process.settings, policy=first.policy)
    for replica in (first, second, first, second, first):
        with pytest.raises(InvalidCredentialsError):
            replica.login("ana@example.com", "wrong", client="203.0.113.7")
    with pytest.raises(LoginThrottledError):
        second.login("ana@example.com", PASSWORD, client="203.0.113.7")


def _answer(response: Any) -> tuple[int, dict[str, Any], bool, str]:
    return (
        response.status_code,
        {k: re.sub(r"\d+ s", "N s", str(v)) for k, v in response.json().items()},
        "Retry-After" in response.headers,  # its value: the seconds left, by the clock
        response.headers["content-type"],
    )


def test_unknown_and_known_accounts_answer_alike(app: App) -> None:
    client, process = app
    make_user(process)
    known = [_answer(_try(client, "ana@example.com", "wrong", ATTACKER)) for _ in range(7)]
    unknown = [_answer(_try(client, "nobody@example.com", "wrong", ATTACKER)) for _ in range(7)]
    assert known == unknown
    assert [status for status, *_ in known] == [401] * 5 + [429] * 2
    assert known[0][1]["detail"] == "wrong email or password"
    # A disabled account answers like the others too.
    service: AuthService = process.state["auth_service"]
    user_id = make_user(process, "off@example.com")
    make_user(process, "root@example.com", Role.ADMIN)
    service.update_user(user_id, is_active=False)
    disabled = _answer(_try(client, "off@example.com", PASSWORD, OWNER))
    assert disabled == _answer(_try(client, "nobody2@example.com", PASSWORD, OWNER))


def test_unknown_and_known_accounts_take_the_same_time(
    sqlite_engine: Engine, tmp_path: Path, stub_api: None
) -> None:
    """The delay grows with the failures of an unknown account as of a known one, and both
    cost one argon2 verification (against a dummy hash for the unknown one)."""
    settings = settings_for(sqlite_engine, tmp_path)
    with running("all", settings) as (client, process):
        service: AuthService = process.state["auth_service"]
        service.policy = LoginPolicy(base_delay_seconds=0.1, max_delay_seconds=0.4)
        make_user(process)

        def durations(email: str, headers: dict[str, str]) -> list[float]:
            times = []
            for _ in range(4):
                start = time.perf_counter()
                assert _try(client, email, "wrong", headers).status_code == 401
                times.append(time.perf_counter() - start)
            return times

        known = durations("ana@example.com", ATTACKER)
        unknown = durations("nobody@example.com", ATTACKER)
        # The 4th failure waits 0.4 s for both (the old code answered unknown ones at once).
        assert known[3] >= 0.4
        assert unknown[3] >= 0.4

        def verify_cost(email: str) -> float:
            service.policy = LoginPolicy(max_failures=1000)
            samples = []
            for i in range(7):
                start = time.perf_counter()
                with pytest.raises(InvalidCredentialsError):
                    service.login(email, "wrong", client=f"timing-{email}-{i}")
                samples.append(time.perf_counter() - start)
            return statistics.median(samples)

        known_cost = verify_cost("ana@example.com")
        unknown_cost = verify_cost("nobody@example.com")
    assert known_cost > 0.005  # argon2 ran
    assert 0.5 < unknown_cost / known_cost < 2  # one argon2 each (a shared machine: loose)
