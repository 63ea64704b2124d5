"""Every target's ops endpoints, metrics by route template, one JSON log line per request."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from sqlalchemy.engine import Engine

from plant_analytics.ops.logging import JsonFormatter
from tests.support.platform import bearer, login, make_user, running, settings_for


def _count(route: str, status: str) -> float:
    value = REGISTRY.get_sample_value(
        "http_requests_total", {"service": "all", "method": "GET", "route": route, "status": status}
    )
    return value or 0.0


def test_metrics_use_route_templates(
    sqlite_engine: Engine, tmp_path: Path, stub_api: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PA_DASHBOARD_DIR", str(tmp_path / "no-dist"))  # no SPA catch-all
    with running("all", settings_for(sqlite_engine, tmp_path)) as (client, process):
        make_user(process)
        token = login(client)["access_token"]
        before = _count("/api/v1/plants/{plant_id}", "200")
        unmatched = _count("unmatched", "404")
        calls = (
            REGISTRY.get_sample_value(
                "api_calls_by_endpoint_total", {"route": "/api/v1/plants/{plant_id}"}
            )
            or 0
        )
        for plant_id in (1, 2, 3):
            assert (
                client.get(f"/api/v1/plants/{plant_id}", headers=bearer(token)).status_code == 200
            )
        client.get("/.well-known/does-not-exist")
        text = client.get("/metrics").text
    assert _count("/api/v1/plants/{plant_id}", "200") == before + 3
    assert _count("unmatched", "404") == unmatched + 1
    assert (
        REGISTRY.get_sample_value(
            "api_calls_by_endpoint_total", {"route": "/api/v1/plants/{plant_id}"}
        )
        == calls + 3
    )
    assert "/api/v1/plants/1" not in text
    for name in (
        "http_request_duration_seconds_bucket",
        "database_connections_active",
        "cache_hits_total",
        "cache_misses_total",
    ):
        assert name in text


def test_ready_reports_components_and_redis_degraded(
    sqlite_engine: Engine, tmp_path: Path, stub_api: None
) -> None:
    settings = settings_for(sqlite_engine, tmp_path, redis_url="redis://127.0.0.1:1/0")
    with running("all", settings) as (client, _):
        response = client.get("/ready")
        health = client.get("/health").json()
        config = client.get("/config").json()
        build = client.get("/buildinfo").json()
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert set(body["components"]) == {"auth", "api", "gateway", "worker", "scheduler"}
    assert body["components"]["api"]["database"]["status"] == "ok"
    assert body["components"]["api"]["redis"]["status"] == "degraded"
    assert health == {"status": "ok", "service": "all"}
    assert config["internal_secret"] == "***"
    assert config["admin_password"] == "***"
    assert build["service"] == "all"
    assert build["version"]


def test_ready_only_reports_this_process(
    sqlite_engine: Engine, tmp_path: Path, stub_api: None
) -> None:
    with running("auth", settings_for(sqlite_engine, tmp_path)) as (client, _):
        body = client.get("/ready").json()
    assert body == {"status": "ready", "components": {"auth": {"database": {"status": "ok"}}}}


def test_one_json_log_line_per_request(
    sqlite_engine: Engine, tmp_path: Path, stub_api: None, caplog: pytest.LogCaptureFixture
) -> None:
    with running("all", settings_for(sqlite_engine, tmp_path)) as (client, process):
        make_user(process)
        token = login(client)["access_token"]
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="plant_analytics.access"):
            client.get("/api/v1/plants/7", headers={**bearer(token), "X-Request-ID": "r-1"})
    records = [r for r in caplog.records if r.name == "plant_analytics.access"]
    assert len(records) == 1
    line = json.loads(JsonFormatter("all").format(records[0]))
    assert line["request_id"] == "r-1"
    assert line["user"] == "ana@example.com"
    assert line["route"] == "/api/v1/plants/{plant_id}"
    assert line["status"] == 200
    assert line["duration_ms"] >= 0
