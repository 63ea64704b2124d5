"""The gateway in front of the API: token check first, rate limits with headers, dashboard."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from starlette.responses import Response

from plant_analytics.gateway.proxy import Upstream
from plant_analytics.gateway.upstream import UpstreamResponse
from plant_analytics.ops.limits import BodyLimitMiddleware
from plant_analytics.problems import install_problem_handlers
from tests.support.platform import bearer, login, make_user, running, settings_for


def test_api_needs_a_token_before_it_reaches_the_api(auth_app: tuple) -> None:  # type: ignore[type-arg]
    client, _ = auth_app
    response = client.get("/api/v1/whoami")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "log in first" in response.json()["detail"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_rate_limit_headers_and_429(sqlite_engine: Engine, tmp_path: Path, stub_api: None) -> None:
    settings = settings_for(sqlite_engine, tmp_path, rate_limit_per_minute=3)
    with running("all", settings) as (client, process):
        make_user(process)
        token = login(client)["access_token"]
        answers = [client.get("/api/v1/whoami", headers=bearer(token)) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0].headers["RateLimit-Limit"] == "3"
    assert [a.headers["RateLimit-Remaining"] for a in answers[:3]] == ["2", "1", "0"]
    limited = answers[3]
    assert limited.headers["content-type"].startswith("application/problem+json")
    assert "too many requests from this user" in limited.json()["detail"]
    assert int(limited.headers["Retry-After"]) >= 1
    assert int(limited.headers["RateLimit-Reset"]) >= 1


def test_placeholder_dashboard_links_the_docs(
    sqlite_engine: Engine, tmp_path: Path, stub_api: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PA_DASHBOARD_DIR", str(tmp_path / "no-dist"))
    with running("all", settings_for(sqlite_engine, tmp_path)) as (client, _):
        page = client.get("/")
        docs = client.get("/docs")
        paths = client.get("/openapi.json").json()["paths"]
    assert page.status_code == 200
    assert 'href="/docs"' in page.text
    assert docs.status_code == 200
    assert "/auth/login" in paths
    assert "/api/v1/whoami" in paths
    assert "/metrics" not in paths


def test_built_spa_is_served_with_client_side_routes(
    sqlite_engine: Engine, tmp_path: Path, stub_api: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<html>spa</html>")
    (dist / "assets" / "app-abc123.js").write_text("console.log(1)")
    monkeypatch.setenv("PA_DASHBOARD_DIR", str(dist))
    with running("all", settings_for(sqlite_engine, tmp_path / "data")) as (client, _):
        assert client.get("/").text == "<html>spa</html>"
        assert client.get("/plants/55/history").text == "<html>spa</html>"
        asset = client.get("/assets/app-abc123.js")
        assert "immutable" in asset.headers["cache-control"]
        assert client.get("/%2e%2e/%2e%2e/etc/passwd").text == "<html>spa</html>"
        assert client.get("/api/v1/nope").status_code == 401
        assert client.get("/.well-known/nope").status_code == 404
        assert client.get("/health").json()["status"] == "ok"


def test_request_id_is_propagated(auth_app: tuple) -> None:  # type: ignore[type-arg]
    client: TestClient = auth_app[0]
    assert (
        client.get("/health", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"]
        == "abc-123"
    )
    generated = client.get("/health").headers["X-Request-ID"]
    assert len(generated) == 32
    assert (
        client.get("/health", headers={"X-Request-ID": "bad id; drop"}).headers["X-Request-ID"]
        != "bad id; drop"
    )


def test_password_and_api_key_guesses_share_one_budget_per_ip(
    sqlite_engine: Engine, tmp_path: Path, stub_api: None
) -> None:
    settings = settings_for(sqlite_engine, tmp_path)
    with running("all", settings) as (client, _process):
        answers = [
            client.post("/auth/token" if i % 2 else "/auth/login", json={}) for i in range(31)
        ]
    assert {a.status_code for a in answers[:30]} == {422}  # malformed bodies, not refused
    limited = answers[30]
    assert limited.status_code == 429
    assert limited.headers["RateLimit-Limit"] == "30"
    assert int(limited.headers["Retry-After"]) >= 1


def test_the_gateway_forwards_the_client_it_resolved_not_the_clients_claims() -> None:
    """Issue 13, finding 8: a client's own X-Forwarded-* never reach auth or the API."""
    seen: list[list[tuple[str, str]]] = []

    class Capture:
        async def request(
            self, method: str, url: str, headers: list[tuple[str, str]], body: bytes = b""
        ) -> UpstreamResponse:
            seen.append(headers)
            return UpstreamResponse(200, [(b"content-length", b"2")], b"{}")

    app = FastAPI()
    upstream = Upstream("auth", "http://auth.invalid")

    @app.get("/auth/me")
    async def forward(request: Request) -> Response:
        return await upstream.forward(request, Capture())  # type: ignore[arg-type]

    with TestClient(app) as client:
        response = client.get(
            "/auth/me",
            headers={
                "X-Forwarded-For": "203.0.113.9",
                "X-Forwarded-Proto": "https",
                "Forwarded": "for=203.0.113.9",
            },
        )
    assert response.status_code == 200
    forwarded: dict[str, Any] = {}
    for name, value in seen[0]:
        if name.startswith("x-forwarded-") or name == "forwarded":
            forwarded.setdefault(name, []).append(value)
    assert forwarded == {
        "x-forwarded-for": ["testclient"],
        "x-forwarded-proto": ["http"],
        "x-forwarded-host": ["testserver"],
    }


def test_a_body_cut_at_the_limit_ends_the_request_with_one_413() -> None:
    """Issue 13, finding 6, in process: a chunked body over the limit gets the middleware's
    413 problem, and nothing the app then makes of the cut body (here, its own error)."""
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    def chunks(count: int) -> Iterator[bytes]:
        for _ in range(count):
            yield b"x" * 1000

    with TestClient(BodyLimitMiddleware(app, 10_000), raise_server_exceptions=True) as client:
        small = client.post("/echo", content=chunks(5))
        large = client.post("/echo", content=chunks(50))
        declared = client.post("/echo", content=b"x" * 20_000)
    assert small.json() == {"size": 5000}
    assert large.status_code == 413
    assert large.headers["content-type"] == "application/problem+json"
    assert large.json()["limit_bytes"] == 10_000
    assert declared.status_code == 413
    assert "20,000 bytes" in declared.json()["detail"]
