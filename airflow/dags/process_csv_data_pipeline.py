"""Airflow DAG ``process_csv_data_pipeline``: hourly, scan storage → validate → ingest → report.

Airflow 3 pins its own FastAPI and SQLAlchemy, so it runs in its own environment
(airflow/requirements.txt) and every task runs in the platform's Python through
ExternalPythonOperator (``@task.external_python``): the tasks call
``plant_analytics.pipeline.tasks``, the same code as the scheduler and the worker.

Configuration, from the environment of the Airflow workers:
- ``PA_AIRFLOW_PYTHON``: the platform's interpreter (default: <repo>/.venv/bin/python);
- the platform's own ``PA_*`` variables (PA_DATABASE_URL, PA_STORAGE_URL, ...), which the
  task processes inherit.
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
    dag_id="process_csv_data_pipeline",
    schedule="@hourly",
    start_date=datetime(2025, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=2)},
    tags=["plant-analytics", "egrid"],
    doc_md=__doc__,
)
def process_csv_data_pipeline() -> None:
    @task.external_python(task_id="scan_storage", python=PA_PYTHON, expect_airflow=False)
    def scan_storage() -> list[dict[str, Any]]:
        from plant_analytics.pipeline.tasks import scan_storage

        return scan_storage()

    @task.external_python(task_id="validate", python=PA_PYTHON, expect_airflow=False)
    def validate(found: list[dict[str, Any]]) -> list[int]:
        from plant_analytics.pipeline.tasks import validate

        return validate(found)

    @task.external_python(task_id="ingest", python=PA_PYTHON, expect_airflow=False)
    def ingest(run_ids: list[int]) -> list[dict[str, Any]]:
        from plant_analytics.pipeline.tasks import ingest

        return ingest(run_ids)

    @task.external_python(task_id="report", python=PA_PYTHON, expect_airflow=False)
    def report(results: list[dict[str, Any]]) -> dict[str, Any]:
        from plant_analytics.pipeline.tasks import report

        return report(results)

    report(ingest(validate(scan_storage())))


process_csv_data_pipeline()
