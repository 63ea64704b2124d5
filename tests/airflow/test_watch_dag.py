"""The Airflow DAG ``watch_egrid_releases`` (real Airflow in .venv-airflow; skipped without
it) and its task ``watch_releases`` run in the platform's Python against a local stand-in
for EPA."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from plant_analytics.db.engine import make_engine
from plant_analytics.db.migrate import upgrade
from plant_analytics.db.tables import ingestion_run, release_fetch
from plant_analytics.fetch.catalogue import by_id, catalogue
from plant_analytics.fetch.service import fetch_file
from plant_analytics.pipeline import tasks
from tests.airflow import test_dag
from tests.airflow.test_dag import airflow_home
from tests.fetch.conftest import (
    EpaServer,
    catalogue_path,
    epa,
    workbook_2022,
    workbook_2022_revised,
)
from tests.pipeline.support import make_settings

__all__ = ["airflow_home", "epa", "workbook_2022", "workbook_2022_revised"]
WATCH_DRIVER = Path(__file__).with_name("watch_dag_driver.py")


@pytest.mark.airflow
def test_the_dag_imports_with_its_one_task(
    airflow_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(test_dag, "DRIVER", WATCH_DRIVER)
    result = test_dag.airflow("check", airflow_home)
    assert result["import_errors"] == {}
    assert result["schedule"] in {"@daily", "Daily", "0 0 * * *"}
    assert result["tasks"] == {"watch_releases": []}


def test_the_task_does_nothing_unless_enabled_then_submits_one_fetch(
    sqlite_engine: Engine,
    tmp_path: Path,
    epa: EpaServer,
    workbook_2022: bytes,
    workbook_2022_revised: bytes,
) -> None:
    off = make_settings(tmp_path, sqlite_engine, fetch_base_url=epa.base_url)
    assert tasks.watch_releases(off)["enabled"] is False
    on = make_settings(tmp_path, sqlite_engine, fetch_base_url=epa.base_url, watch_enabled=True)
    epa.serve("egrid2022_data", workbook_2022)
    item = by_id(catalogue(on), "egrid2022_data")
    assert fetch_file(sqlite_engine, on, item, loaded_by="test").status == "succeeded"
    assert tasks.watch_releases(on)["submitted"] == []
    epa.serve("egrid2022_data", workbook_2022_revised, stamp=1_800_000_000.0)
    found = tasks.watch_releases(on)
    assert found["changed"] == ["egrid2022_data"]
    assert len(found["submitted"]) == 1
    assert tasks.watch_releases(on)["submitted"] == []


@pytest.mark.airflow
def test_dag_runs_with_real_airflow_submit_one_fetch_for_a_changed_file(
    airflow_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    epa: EpaServer,
    workbook_2022: bytes,
    workbook_2022_revised: bytes,
) -> None:
    """Two ``dag.test()`` runs after EPA re-issued a fetched file: one fetch run, queued."""
    monkeypatch.setattr(test_dag, "DRIVER", WATCH_DRIVER)
    database = tmp_path / "plant_analytics.db"
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    settings = make_settings(tmp_path, engine, fetch_base_url=epa.base_url)
    epa.serve("egrid2022_data", workbook_2022)
    item = by_id(catalogue(settings), "egrid2022_data")
    assert fetch_file(engine, settings, item, loaded_by="test").status == "succeeded"
    epa.serve("egrid2022_data", workbook_2022_revised, stamp=1_800_000_000.0)
    env = {
        "PA_DATA_DIR": str(settings.data_dir),
        "PA_DATABASE_URL": f"sqlite:///{database}",
        "PA_BROKER_URL": "",  # the run is queued in the database; a worker or scheduler takes it
        "PA_STORAGE_URL": "",
        "PA_FETCH_BASE_URL": epa.base_url,
        "PA_WATCH_ENABLED": "true",
    }

    def fetch_runs() -> list[tuple[str, str]]:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    ingestion_run.c.status, ingestion_run.c.requested_by, ingestion_run.c.options
                ).order_by(ingestion_run.c.id)
            ).all()
        return [(status, by) for status, by, options in rows if (options or {}).get("fetch")]

    for _ in range(2):
        result = test_dag.airflow("run", airflow_home, env=env)
        assert result["state"] == "success", result
        assert result["task_states"] == {"watch_releases": "success"}
        assert fetch_runs() == [("queued", "airflow")]
    assert len(epa.asked(catalogue_path("egrid2022_data"), "HEAD")) == 2
    with engine.connect() as conn:
        seen = conn.execute(
            sa.select(release_fetch.c.seen_etag, release_fetch.c.etag).where(
                release_fetch.c.file_id == "egrid2022_data"
            )
        ).one()
    assert seen.seen_etag == epa.files[catalogue_path("egrid2022_data")].etag != seen.etag
    engine.dispose()
