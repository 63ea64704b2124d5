"""Airflow DAG ``watch_egrid_releases``: daily, check EPA's eGRID files for new revisions.

One task, ``watch_releases``: for each file of the release catalogue fetched here, a
conditional HEAD (ETag / Last-Modified) to its URL; a changed file gets one fetch run,
which the platform's workers download and load. Off unless ``PA_WATCH_ENABLED=true`` in the
environment of the Airflow workers (the task then reports ``enabled: false``); the
scheduler target runs the same watch, and several of them submit one fetch per change.

As in ``process_csv_data_pipeline``, the task runs in the platform's Python
(``PA_AIRFLOW_PYTHON``, default <repo>/.venv/bin/python) with the platform's ``PA_*``
variables.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import dag, task

REPO = Path(__file__).resolve().parents[2]
PA_PYTHON = os.environ.get("PA_AIRFLOW_PYTHON", str(REPO / ".venv" / "bin" / "python"))


@dag(
    dag_id="watch_egrid_releases",
    schedule="@daily",
    start_date=datetime(2025, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=10)},
    tags=["plant-analytics", "egrid"],
    doc_md=__doc__,
)
def watch_egrid_releases() -> None:
    @task.external_python(task_id="watch_releases", python=PA_PYTHON, expect_airflow=False)
    def watch_releases() -> dict[str, Any]:
        from plant_analytics.pipeline.tasks import watch_releases

        return watch_releases()

    watch_releases()


watch_egrid_releases()
