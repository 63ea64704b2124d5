"""Every metric the dashboards and alert rules name is one the code really exports."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import REGISTRY

import plant_analytics.ops.metrics  # noqa: F401 - registers the platform's metrics

METRICS_FILE = Path(__file__).resolve().parents[2] / "deploy" / "metrics.txt"
PROMETHEUS_OWN = {"up"}


def exported_names() -> set[str]:
    """Every series name the registry can expose, samples or not yet."""
    return set(REGISTRY._names_to_collectors)


def test_every_metric_in_deploy_metrics_txt_is_exported() -> None:
    wanted = {
        line.strip()
        for line in METRICS_FILE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    exported = exported_names()
    missing = sorted(
        name
        for name in wanted - PROMETHEUS_OWN
        if name not in exported and f"{name}_total" not in exported
    )
    assert not missing, f"named in deploy/metrics.txt but not exported: {missing}"
