"""Issue 13, finding 6: request bodies are limited by route, in the gateway and in each target.

A declared ``Content-Length`` above the limit is refused with a 413 problem+json before a byte
of the body is read; a chunked body is cut at the limit as it streams. JSON routes take
``PA_MAX_BODY_BYTES`` (64 KiB by default), the upload route ``PA_MAX_UPLOAD_BYTES`` plus the
multipart framing. Before, a 300 MB body to /auth/login was read in full.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.live import MODES, Live, host_port, platform, raw_exchange

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]
UPLOAD_LIMIT = 1024 * 1024


@pytest.fixture(scope="module", params=MODES)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    env = {"PA_MAX_UPLOAD_BYTES": str(UPLOAD_LIMIT)}
    with platform(request.param, tmp_path_factory.mktemp("body"), env) as running:
        yield running


def _declared_huge(path: str, length: int = 300 * 1024 * 1024) -> bytes:
    """A request that declares ``length`` bytes and sends only the first few."""
    return (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode() + b'{"email": "'


def _status_and_body(raw: bytes) -> tuple[int, dict[str, object], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body) if body else {}, head.lower()


def test_a_declared_300_mb_login_is_refused_before_it_is_read(live: Live) -> None:
    host, port = live.host_port
    raw, took = raw_exchange(host, port, _declared_huge("/auth/login"), read_timeout=5)
    assert raw, f"no answer: the server waits for the body\n{live.log()}"
    status, problem, head = _status_and_body(raw)
    assert status == 413
    assert b"content-type: application/problem+json" in head
    assert problem["status"] == 413
    assert "65,536" in str(problem["detail"])
    assert took < 3  # answered at once, not after reading (or waiting for) 300 MB


@pytest.mark.parametrize("target", ["auth", "api"])
def test_each_target_refuses_an_oversized_body_itself(live: Live, target: str) -> None:
    """Not only the public entry: the auth and API services refuse on their own too."""
    url = live.services.get(target, live.url)
    path = "/auth/login" if target == "auth" else "/api/v1/ingestions/0"
    raw, _ = raw_exchange(*host_port(url), _declared_huge(path), read_timeout=5)
    assert raw, f"{target} waits for the body"
    assert _status_and_body(raw)[0] == 413


def test_a_chunked_body_is_cut_at_the_limit(live: Live) -> None:
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        yield b'{"email": "' + b"a" * 16_000
        sent += 16_011
        for _ in range(2_000):  # 32 MB if nobody stops it
            yield b"a" * 16_000
            sent += 16_000

    response = httpx.post(
        f"{live.url}/auth/login",
        content=chunks(),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert sent < 8 * 1024 * 1024  # the server stopped reading long before the end


def test_json_routes_take_bodies_up_to_the_limit(live: Live) -> None:
    padded = {"email": "nobody@example.com", "password": "x" * 60_000}
    response = httpx.post(f"{live.url}/auth/login", json=padded, timeout=20)
    assert response.status_code != 413  # under 64 KiB: read and answered by the route


def test_the_upload_route_has_the_upload_limit(live: Live) -> None:
    admin = live.admin()
    csv = b"PSTATABB,YEAR\n" + b"NE,2022\n" * (300 * 1024 // 8)  # ~300 KiB: above 64 KiB
    accepted = httpx.post(
        f"{live.url}/api/v1/ingestions",
        headers=admin,
        files={"file": ("st2022.csv", csv, "text/csv")},
        data={"level": "state", "year": "2022"},
        timeout=60,
    )
    assert accepted.status_code != 413, accepted.text
    too_big = httpx.post(
        f"{live.url}/api/v1/ingestions",
        headers=admin,
        files={"file": ("st2022.csv", csv * 4, "text/csv")},  # 1.2 MB > 1 MiB + framing
        timeout=60,
    )
    assert too_big.status_code == 413, too_big.text
    assert too_big.headers["content-type"].startswith("application/problem+json")


def test_a_limit_per_route_in_process(tmp_path: Path) -> None:
    """The middleware's own rules, without a server: the upload route and the others."""
    from plant_analytics.ops.limits import BodyLimitMiddleware, route_limits

    middleware = BodyLimitMiddleware(lambda *_: None, 65_536, route_limits(UPLOAD_LIMIT))  # type: ignore[arg-type]
    assert middleware.limit_for("POST", "/auth/login") == 65_536
    assert middleware.limit_for("POST", "/api/v1/ingestions") > UPLOAD_LIMIT
    assert middleware.limit_for("PUT", "/api/v1/ingestions") == 65_536
