"""The Airflow DAG, with real Airflow 3 in its own environment (.venv-airflow).

``make airflow-venv`` creates that environment (``make test`` does it first). The tests
run from the main environment and drive Airflow through its own interpreter: import, task
graph, and a full ``dag.test()`` that loads a sample file into a SQLite database.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from plant_analytics.db.engine import make_engine
from plant_analytics.db.migrate import upgrade
from plant_analytics.db.tables import ingestion_run
from tests.conftest import REPO

pytestmark = pytest.mark.airflow
AIRFLOW_PYTHON = REPO / ".venv-airflow" / "bin" / "python"
DRIVER = Path(__file__).with_name("dag_driver.py")


def airflow(
    mode: str, home: Path, env: dict[str, str] | None = None, timeout: int = 300
) -> dict[str, Any]:
    if not AIRFLOW_PYTHON.exists():
        pytest.skip("Airflow's environment is missing: run `make airflow-venv` (make test does)")
    full_env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "True",
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "airflow" / "dags"),
        "PA_AIRFLOW_PYTHON": str(REPO / ".venv" / "bin" / "python"),
        **(env or {}),
    }
    if not (home / "airflow.db").exists():
        subprocess.run(
            [str(AIRFLOW_PYTHON), "-m", "airflow", "db", "migrate"],
            env=full_env,
            check=True,
            capture_output=True,
            timeout=timeout,
        )
    done = subprocess.run(
        [str(AIRFLOW_PYTHON), str(DRIVER), mode],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    assert lines, done.stdout[-3000:]
    return json.loads(lines[-1].removeprefix("RESULT "))  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("airflow_home")


def test_dag_imports_with_the_expected_task_graph(airflow_home: Path) -> None:
    result = airflow("check", airflow_home)
    assert result["import_errors"] == {}
    assert result["schedule"] in {"@hourly", "Hourly", "0 * * * *"}
    assert result["tasks"] == {
        "scan_storage": ["validate"],
        "validate": ["ingest"],
        "ingest": ["report"],
        "report": [],
    }
    assert result["operators"] == ["_PythonExternalDecoratedOperator"]


def test_dag_run_loads_a_sample_file(airflow_home: Path, tmp_path: Path, samples: Path) -> None:
    data_dir = tmp_path / "data"
    database = tmp_path / "plant_analytics.db"
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    incoming = data_dir / "storage"
    # Drop the file into the store as an operator would, through the platform's own code.
    from plant_analytics.infra.storage import LocalStore
    from plant_analytics.pipeline.service import sniff

    store = LocalStore(incoming)
    with (samples / "st2022.csv").open("rb") as handle:
        store.put_stream(handle, original_name="st2022.csv", max_bytes=10**8, check=sniff)
    result = airflow(
        "run",
        airflow_home,
        env={
            "PA_DATA_DIR": str(data_dir),
            "PA_DATABASE_URL": f"sqlite:///{database}",
            "PA_BROKER_URL": "",
            "PA_STORAGE_URL": "",
        },
    )
    assert result["state"] == "success", result
    assert set(result["task_states"].values()) == {"success"}
    with engine.connect() as conn:
        runs = conn.execute(
            sa.select(
                ingestion_run.c.status, ingestion_run.c.requested_by, ingestion_run.c.rows_loaded
            )
        ).all()
    assert len(runs) == 1
    status, requested_by, rows = runs[0]
    assert (status, requested_by) == ("succeeded", "airflow")
    assert rows > 50
    assert store.list("incoming") == []
    assert len(store.list("processed")) == 1
    engine.dispose()
    shutil.rmtree(data_dir, ignore_errors=True)
