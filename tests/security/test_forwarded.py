"""Issue 13, finding 8: X-Forwarded-For is believed only from ``PA_TRUSTED_PROXIES``.

uvicorn's default believed it from 127.0.0.1, so a client on the machine (or behind a local
proxy that passes the header on) could pick a new address per request and never meet the
per-IP limits. Now the list is empty by default: the TCP peer is the client, in every target;
with the proxy listed, the address it forwards is used.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.live import MODES, Live, platform

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]
LIMIT = 8


def _spoofed_statuses(live: Live, count: int) -> list[int]:
    return [
        httpx.get(
            f"{live.url}/auth/me",
            headers={"X-Forwarded-For": f"203.0.113.{i}"},
            timeout=20,
        ).status_code
        for i in range(count)
    ]


@pytest.fixture(scope="module", params=MODES)
def untrusting(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    env = {"PA_RATE_LIMIT_IP_PER_MINUTE": str(LIMIT)}
    with platform(request.param, tmp_path_factory.mktemp("xff"), env) as running:
        yield running


def test_a_forged_x_forwarded_for_does_not_escape_the_ip_limit(untrusting: Live) -> None:
    statuses = _spoofed_statuses(untrusting, LIMIT + 3)
    assert 429 in statuses, statuses  # every request counted against 127.0.0.1


@pytest.fixture(scope="module")
def trusting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    env = {"PA_RATE_LIMIT_IP_PER_MINUTE": str(LIMIT), "PA_TRUSTED_PROXIES": "127.0.0.0/8, ::1"}
    with platform("all", tmp_path_factory.mktemp("xff-trusted"), env) as running:
        yield running


def test_a_listed_proxy_is_believed(trusting: Live) -> None:
    statuses = _spoofed_statuses(trusting, LIMIT + 3)
    assert 429 not in statuses, statuses  # each forwarded client has its own budget
    same = [
        httpx.get(
            f"{trusting.url}/auth/me", headers={"X-Forwarded-For": "198.51.100.7"}, timeout=20
        ).status_code
        for _ in range(LIMIT + 2)
    ]
    assert same[-1] == 429, same


def test_the_setting_is_read_as_a_list() -> None:
    from plant_analytics.server import trusted_proxies
    from plant_analytics.settings import Settings

    assert trusted_proxies(Settings()) == []
    assert trusted_proxies(Settings(trusted_proxies=" 10.0.0.0/8, 192.0.2.1 ,")) == [
        "10.0.0.0/8",
        "192.0.2.1",
    ]
