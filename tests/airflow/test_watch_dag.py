"""The Airflow DAG ``watch_egrid_releases`` (real Airflow in .venv-airflow; skipped without
it) and its task ``watch_releases`` run in the platform's Python against a local stand-in
for EPA."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from plant_analytics.fetch.catalogue import by_id, catalogue
from plant_analytics.fetch.service import fetch_file
from plant_analytics.pipeline import tasks
from tests.airflow import test_dag
from tests.fetch.conftest import EpaServer, epa, workbook_2022, workbook_2022_revised
from tests.pipeline.support import make_settings

__all__ = ["epa", "workbook_2022", "workbook_2022_revised"]


@pytest.mark.airflow
def test_the_dag_imports_with_its_one_task(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(test_dag, "DRIVER", Path(__file__).with_name("watch_dag_driver.py"))
    result = test_dag.airflow("check", tmp_path)
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
