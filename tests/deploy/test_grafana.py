"""The Grafana dashboard and its provisioning, checked as files: every query must name a
metric listed in deploy/metrics.txt, the contract with the code."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from .promql import exported_metrics, metric_names

ROOT = Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "deploy" / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))
METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


def load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def all_panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


def queries(dashboard: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for panel in all_panels(dashboard):
        for target in panel.get("targets", []):
            yield panel["title"], target["expr"]
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable["type"] == "query":
            query = variable["query"]
            yield f"${variable['name']}", query["query"] if isinstance(query, dict) else query


def test_metrics_file_lists_one_valid_metric_name_per_line() -> None:
    lines = (ROOT / "deploy" / "metrics.txt").read_text().splitlines()
    assert lines
    assert all(METRIC_NAME.fullmatch(line) for line in lines), lines
    assert len(lines) == len(set(lines))


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_dashboard_json_parses_with_unique_ids(path: Path) -> None:
    dashboard = load(path)
    assert dashboard["uid"]
    assert dashboard["title"]
    ids = [panel["id"] for panel in all_panels(dashboard)]
    assert len(ids) == len(set(ids))
    for panel in all_panels(dashboard):
        if panel["type"] != "row":
            assert panel["targets"], panel["title"]
            assert panel["datasource"]["uid"] == "${datasource}"


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_every_dashboard_query_names_a_metric_the_code_exports(path: Path) -> None:
    known = exported_metrics()
    seen = set()
    for title, expr in queries(load(path)):
        names = metric_names(expr, known)
        assert names, f"{title}: no metric found in {expr!r}"
        assert names <= known, f"{title}: {names - known} is not in deploy/metrics.txt"
        seen |= names
    # The dashboard covers what the issue asks for.
    assert {
        "http_requests_total", "http_request_duration_seconds", "cache_hits_total",
        "cache_misses_total", "queue_messages_pending", "ingest_jobs_started_total",
        "ingest_jobs_failed_total", "data_records_ingested_total",
    } <= seen  # fmt: skip


def test_dashboard_covers_the_promised_views() -> None:
    titles = " | ".join(p["title"].lower() for d in DASHBOARDS for p in all_panels(load(d)))
    for topic in ["requests", "latency", "errors", "cache hit ratio", "queue depth",
                  "ingest runs", "rows ingested"]:  # fmt: skip
        assert topic in titles, topic


def test_provisioning_points_grafana_at_prometheus_and_the_dashboards_folder() -> None:
    (source,) = yaml.safe_load((GRAFANA / "provisioning/datasources/prometheus.yml").read_text())[
        "datasources"
    ]
    assert (source["type"], source["uid"], source["url"]) == (
        "prometheus",
        "prometheus",
        "http://prometheus:9090",
    )
    (provider,) = yaml.safe_load(
        (GRAFANA / "provisioning/dashboards/plant-analytics.yml").read_text()
    )["providers"]
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["grafana"]
    mounts = dict(v.split(":")[:2] for v in compose["volumes"] if v.startswith("./"))
    assert mounts["./deploy/grafana/dashboards"] == provider["options"]["path"]
    assert mounts["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
