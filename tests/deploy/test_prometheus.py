"""Prometheus scrape config and alert rules, checked by promtool (Debian's `prometheus`
package, installed on first use by deploy/scripts/install-promtool.sh) without a server."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from .promql import exported_metrics, metric_names

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
RULES = PROMETHEUS / "rules.yml"
RULES_TEST = PROMETHEUS / "rules_test.yml"
OPERATIONS = ROOT / "docs" / "operations.md"
INSTALL_PROMTOOL = ROOT / "deploy" / "scripts" / "install-promtool.sh"

# The alerts the original platform promised, plus the dead-letter queue.
PROMISED_ALERTS = {
    "PlantAnalyticsServiceDown",
    "PlantAnalyticsHighLatency",
    "PlantAnalyticsHighErrorRate",
    "PlantAnalyticsDatabaseConnectionsHigh",
    "PlantAnalyticsQueueDepthHigh",
    "PlantAnalyticsDeadLetterQueueNotEmpty",
}


@pytest.fixture(scope="module")
def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        result = subprocess.run(
            ["bash", str(INSTALL_PROMTOOL)],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        found = shutil.which("promtool")
        if found is None:
            reason = f"promtool is missing and could not be installed: {result.stderr.strip()}"
            if os.environ.get("CI"):
                pytest.fail(reason)
            pytest.skip(reason)
    return found


def run(promtool: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool, *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=120, check=False
    )


def alert_rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def github_anchors(markdown: str) -> set[str]:
    """The #fragments GitHub gives a document's headings."""
    anchors = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*$", markdown, re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        anchors.add(slug)
    return anchors


def test_alert_rules_pass_promtool_check_without_a_prometheus_server(promtool: str) -> None:
    result = run(promtool, "check", "rules", RULES.name)
    assert result.returncode == 0, result.stdout + result.stderr


def test_each_alert_fires_on_synthetic_series_in_promtool_unit_tests(promtool: str) -> None:
    result = run(promtool, "test", "rules", RULES_TEST.name)
    assert result.returncode == 0, result.stdout + result.stderr


def test_scrape_config_passes_promtool_check_config(promtool: str) -> None:
    result = run(promtool, "check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_promised_alert_exists_and_has_a_unit_test_that_fires_it() -> None:
    assert {rule["alert"] for rule in alert_rules()} == PROMISED_ALERTS
    fired = {
        case["alertname"]
        for test in yaml.safe_load(RULES_TEST.read_text())["tests"]
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert fired == PROMISED_ALERTS


def test_every_alert_links_a_runbook_that_exists_in_operations_md() -> None:
    anchors = github_anchors(OPERATIONS.read_text())
    for rule in alert_rules():
        url = rule["annotations"]["runbook_url"]
        page, _, anchor = url.partition("#")
        assert page == "docs/operations.md", url
        assert anchor in anchors, f"{rule['alert']}: no heading for #{anchor} in docs/operations.md"
        assert rule["labels"]["severity"] in {"critical", "warning"}
        assert rule["annotations"]["summary"]


def test_rules_read_only_metrics_the_code_exports() -> None:
    known = exported_metrics()
    for rule in alert_rules():
        unknown = metric_names(rule["expr"], known) - known
        assert not unknown, (
            f"{rule['alert']} reads {unknown}, which deploy/metrics.txt does not list"
        )


def test_scrape_targets_are_the_compose_services_on_their_ports() -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    (job,) = [j for j in config["scrape_configs"] if j["job_name"] == "plant-analytics"]
    targets = {
        group["labels"]["component"]: target
        for group in job["static_configs"]
        for target in group["targets"]
    }
    assert targets == {
        "gateway": "gateway:8000", "auth": "auth:5001", "api": "api:3000",
        "worker": "worker:9100", "scheduler": "scheduler:9100",
    }  # fmt: skip
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for component in targets:
        assert compose[component]["environment"]["PA_TARGET"] == component
