"""Issue 13, finding 7: bad input is a 4xx problem+json, never a 500, in both modes.

Integers above 2^63-1 in ids and filters (SQLite's driver cannot bind them), non-ASCII
cursors (``hmac.compare_digest`` and ``b64decode`` refuse non-ASCII text), malformed multipart
(another boundary, a part header over the parser's limit, no closing boundary: that one was
stored as if it were the whole file). And a 500, should one happen, says ``Connection: close``.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from plant_analytics.ops.http import ObservabilityMiddleware
from plant_analytics.problems import install_problem_handlers
from tests.support.live import MODES, Live, platform

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]
HUGE = str(2**63)
HUGER = str(2**64 + 7)


@pytest.fixture(scope="module", params=MODES)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    with platform(request.param, tmp_path_factory.mktemp("bad-input")) as running:
        yield running


@pytest.fixture(scope="module")
def analyst(live: Live) -> dict[str, str]:
    return live.login()


@pytest.fixture(scope="module")
def admin(live: Live) -> dict[str, str]:
    return live.admin()


def _is_problem(response: httpx.Response, *statuses: int) -> None:
    assert response.status_code in statuses, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/plants/{HUGE}",
        f"/api/v1/plants/{HUGER}",
        f"/api/v1/plants/{HUGE}/generators",
        f"/api/v1/generators?plant_id={HUGE}",
        f"/api/v1/units?plant_id={HUGER}",
        f"/api/v1/plants?year={HUGE}",
        f"/api/v1/regions/state?year={HUGER}",
        f"/api/v1/ingestions/{HUGE}",
    ],
)
def test_integers_out_of_range_are_422(live: Live, analyst: dict[str, str], path: str) -> None:
    response = httpx.get(live.url + path, headers=analyst, timeout=20)
    _is_problem(response, 422)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/ingestions?cursor=%C3%A9t%C3%A9",
        "/api/v1/ingestions?cursor=%E2%82%AC.%E2%82%AC",
        "/api/v1/ingestions?cursor=cnVuOu%C2%B2",
        "/api/v1/plants?cursor=%C3%A9t%C3%A9.%C3%A9",
        "/api/v1/generators?cursor=x.%F0%9F%98%80",
    ],
)
def test_non_ascii_cursors_are_4xx(live: Live, analyst: dict[str, str], path: str) -> None:
    response = httpx.get(live.url + path, headers=analyst, timeout=20)
    _is_problem(response, 400, 422)


def test_an_ingestion_cursor_of_a_huge_id_is_400(live: Live, analyst: dict[str, str]) -> None:
    import base64

    cursor = base64.urlsafe_b64encode(f"run:{'9' * 40}".encode()).decode().rstrip("=")
    response = httpx.get(f"{live.url}/api/v1/ingestions?cursor={cursor}", headers=analyst)
    _is_problem(response, 400)


def _upload(live: Live, admin: dict[str, str], body: bytes, boundary: str) -> httpx.Response:
    return httpx.post(
        f"{live.url}/api/v1/ingestions",
        headers={**admin, "Content-Type": f"multipart/form-data; boundary={boundary}"},
        content=body,
        timeout=30,
    )


def _part(boundary: str, extra_header: str = "") -> bytes:
    return (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="st2022.csv"\r\n'
        f"{extra_header}Content-Type: text/csv\r\n\r\n"
        "PSTATABB,YEAR\r\nNE,2022\r\n"
    ).encode()


def test_a_boundary_mismatch_is_400(live: Live, admin: dict[str, str]) -> None:
    body = _part("other-boundary") + b"\r\n--other-boundary--\r\n"
    _is_problem(_upload(live, admin, body, "declared-boundary"), 400)


def test_a_part_header_over_8_kb_is_400(live: Live, admin: dict[str, str]) -> None:
    body = _part("b0undary", f"X-Padding: {'p' * 9000}\r\n") + b"\r\n--b0undary--\r\n"
    _is_problem(_upload(live, admin, body, "b0undary"), 400)


def test_no_closing_boundary_is_not_a_whole_file(live: Live, admin: dict[str, str]) -> None:
    body = _part("b0undary")  # cut before "\r\n--b0undary--"
    response = _upload(live, admin, body, "b0undary")
    _is_problem(response, 400)
    assert "closing boundary" in response.json()["detail"]


def test_a_server_error_says_connection_close() -> None:
    """uvicorn closes the connection after an unhandled exception: the 500 must say so."""
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    with TestClient(
        ObservabilityMiddleware(app, service="test"), raise_server_exceptions=False
    ) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.headers["connection"] == "close"
    assert response.headers["content-type"].startswith("application/problem+json")
